"""IRIs of the vocabularies Mutu writes and reads (see ontology/README.md)."""

MUTU = "https://w3id.org/mutu/ns#"
SCHEMA = "https://schema.org/"
SCHEMA_HTTP = "http://schema.org/"
ORG = "http://www.w3.org/ns/org#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
GEO = "http://www.opengis.net/ont/geosparql#"
ODRL = "http://www.w3.org/ns/odrl/2/"
CC = "http://creativecommons.org/ns#"
VOID = "http://rdfs.org/ns/void#"
FOAF = "http://xmlns.com/foaf/0.1/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SH = "http://www.w3.org/ns/shacl#"
SD = "http://www.w3.org/ns/sparql-service-description#"

DEFAULT_BASE_IRI = "https://mutu.brussels/"
CATEGORY_SCHEME = DEFAULT_BASE_IRI + "categories"

PREFIXES = {
    "mutu": MUTU, "schema": SCHEMA, "org": ORG, "dcat": DCAT, "dcterms": DCTERMS,
    "prov": PROV, "skos": SKOS, "geo": GEO, "odrl": ODRL, "cc": CC, "void": VOID,
    "foaf": FOAF, "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "sh": SH,
}

VISIBILITIES = ("public", "partners", "private")

# The licences a Dataset may use: IRI -> SPDX identifier (kept in step with shapes/).
KNOWN_LICENCES = {
    "https://creativecommons.org/publicdomain/zero/1.0/": "CC0-1.0",
    "https://creativecommons.org/licenses/by/4.0/": "CC-BY-4.0",
    "https://creativecommons.org/licenses/by-sa/4.0/": "CC-BY-SA-4.0",
    "https://creativecommons.org/licenses/by-nc/4.0/": "CC-BY-NC-4.0",
    "https://opendatacommons.org/licenses/odbl/1-0/": "ODbL-1.0",
    "https://opendatacommons.org/licenses/pddl/1-0/": "PDDL-1.0",
    "https://unlicense.org/": "Unlicense",
    "https://www.etalab.gouv.fr/licence-ouverte-open-licence/": "etalab-2.0",
}


def licence_iri(value: str) -> str | None:
    """Return the known licence IRI for an IRI or SPDX id (case-insensitive), else None."""
    if value in KNOWN_LICENCES:
        return value
    lowered = value.strip().lower()
    for iri, spdx in KNOWN_LICENCES.items():
        if spdx.lower() == lowered or iri.rstrip("/") == lowered.rstrip("/").replace("http://", "https://"):
            return iri
    return None
