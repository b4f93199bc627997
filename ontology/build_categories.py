"""Build ontology/categories.ttl, the Mutu category scheme, from the SSEDAS taxonomy.

Run from anywhere:  python ontology/build_categories.py [SSEDAS_DIR]

SSEDAS_DIR defaults to $MUTU_SSEDAS_DIR or /work/shared/data/ssedas-taxonomy. The output is
written by hand (not by an RDF serializer) so that it is byte-for-byte deterministic and easy
to review in a diff.

Source: the SSEDAS taxonomy of the TransforMap project (public domain, the Unlicense).
`taxonomy.json` (SPARQL JSON results) gives labels, parents and tags;
`filtermenu_treestructure.json` gives the same tree and is used to check the structure.

Mapping:
- the 12 categories become top concepts of <https://mutu.brussels/categories>;
- the 11 subcategories are skos:narrower of their category;
- the 106 types of initiative become one concept per `type_of_initiative_tag`. Four tags
  occur twice in the taxonomy (e.g. `seed_saving` under "Grow it yourself" and under
  "Education & Policy"), so they give 102 concepts; such a concept has both parents
  (skos:broader) and both SSEDAS entities (skos:exactMatch).
- concept IRIs: https://mutu.brussels/category/<slug>; types use their tag with "_" turned into
  "-", categories use the fixed slugs of CATEGORIES below (never derived at run time, so they
  stay stable if a label changes upstream).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

BASE = "https://mutu.brussels/"
SCHEME = BASE + "categories"
CONCEPT_BASE = BASE + "category/"
ROOT = "https://base.transformap.co/entity/Q1234"
SOURCE_REPO = ("https://github.com/TransforMap/openstreetmap-taxonomy/tree/"
               "0e696225a1082e69ef2cb2aa07308f23b20a4f44/susy-json")
DEFAULT_SOURCE = "/work/shared/data/ssedas-taxonomy"
OUTPUT = Path(__file__).resolve().parent / "categories.ttl"

# SSEDAS entity id -> (slug, French label, Dutch label) for the 12 categories and 11 subcategories.
CATEGORIES: dict[str, tuple[str, str, str]] = {
    "Q10001": ("food-agriculture", "Alimentation et agriculture", "Voeding en landbouw"),
    "Q10002": ("fair-trade", "Commerce équitable", "Eerlijke handel"),
    "Q10003": ("reduce-reuse-repair-recycle", "Réduire, réutiliser, réparer, recycler",
               "Verminderen, hergebruiken, herstellen, recycleren"),
    "Q10004": ("housing-habitat", "Logement et habitat", "Wonen en huisvesting"),
    "Q10005": ("infrastructure-resources", "Infrastructures et ressources",
               "Infrastructuur en hulpbronnen"),
    "Q10006": ("social-inclusion", "Inclusion sociale", "Sociale inclusie"),
    "Q10007": ("education-training", "Éducation et formation", "Onderwijs en vorming"),
    "Q10008": ("finance", "Finance", "Financiën"),
    "Q10009": ("active-citizenship", "Citoyenneté active", "Actief burgerschap"),
    "Q100100": ("self-organisation-mutuality", "Auto-organisation et entraide",
                "Zelforganisatie en onderlinge hulp"),
    "Q100111": ("susy-map-partner-network", "Réseau des partenaires de la carte SUSY",
                "Partnernetwerk van de SUSY-kaart"),
    "Q100122": ("other-fields", "Autres domaines", "Andere domeinen"),
    # subcategories
    "Q30001": ("grow-it-yourself-together", "Cultiver soi-même et ensemble", "Zelf en samen telen"),
    "Q30002": ("buy-local", "Acheter local", "Lokaal kopen"),
    "Q30003": ("food-rescue", "Récupération alimentaire", "Voedselredding"),
    "Q30004": ("food-education-policy", "Éducation et politiques alimentaires",
               "Voedseleducatie en voedselbeleid"),
    "Q40001": ("reduce", "Réduire", "Verminderen"),
    "Q40002": ("share-reuse", "Partager et réutiliser", "Delen en hergebruiken"),
    "Q40003": ("repair", "Réparer", "Herstellen"),
    "Q40004": ("recycle-upcycle", "Recycler et surcycler", "Recycleren en upcyclen"),
    "Q50001": ("political-engagement", "Engagement politique", "Politiek engagement"),
    "Q50002": ("participation", "Participation", "Participatie"),
    "Q50003": ("communities-networks", "Communautés et réseaux", "Gemeenschappen en netwerken"),
}

# type_of_initiative_tag -> (French label, Dutch label) for the types of initiative.
TYPES: dict[str, tuple[str, str]] = {
    # Food & Agriculture / Grow it yourself & together
    "community_garden": ("Jardinage collectif", "Samentuinieren"),
    "communitysupported_agriculture": ("Agriculture soutenue par la communauté",
                                       "Gemeenschapslandbouw"),
    "edible_town": ("Ville comestible", "Eetbare stad"),
    "foodpurchasing_combine": ("Groupe d'achat alimentaire", "Voedselaankoopgroep"),
    "guerilla_garden": ("Jardinage de guérilla", "Guerrillatuinieren"),
    "seed_saving": ("Initiatives de sauvegarde des semences", "Initiatieven voor zaadbehoud"),
    "self_harvest": ("Autocueillette", "Zelfoogst"),
    "other_growyourself": ("Autres initiatives pour cultiver soi-même et ensemble",
                           "Andere initiatieven om zelf en samen te telen"),
    # Buy local
    "farm_shop": ("Vente directe / magasin à la ferme", "Rechtstreekse verkoop / hoevewinkel"),
    "local_farmersmarket": ("Marché de producteurs locaux", "Lokale boerenmarkt"),
    "vegetable_box": ("Paniers de légumes", "Groentepakketten"),
    "virtual_directpurchase": ("Vente directe en ligne", "Rechtstreeks online kopen"),
    "food_cooperative": ("Coopérative alimentaire", "Voedingscoöperatie"),
    "other_buylocal": ("Autres initiatives d'achat local",
                       "Andere initiatieven om lokaal te kopen"),
    # Food rescue
    "foodrescue": ("Groupes de partage alimentaire", "Groepen voor voedseldeling"),
    "foodrescue_distribution": ("Points de partage alimentaire", "Uitdeelpunten voor voedseldeling"),
    "foodrescue_cuisine": ("Cuisine d'aliments récupérés", "Koken met geredde voeding"),
    "recycling_foodwaste": ("Valorisation des déchets alimentaires", "Recycleren van voedselafval"),
    "other_foodrescue": ("Autres initiatives de récupération alimentaire",
                         "Andere initiatieven voor voedselredding"),
    # Education & Policy (food)
    "agro_empowerment": ("Autonomisation des agriculteurs", "Empowerment van boeren"),
    "agroecology_education": ("Éducation à l'agroécologie", "Vorming in agro-ecologie"),
    "agro_sucessionnetwork": ("Réseau de reprise d'exploitations agricoles",
                              "Netwerk voor bedrijfsovername in de landbouw"),
    "foodpolicy_council": ("Conseils de politique alimentaire", "Voedselraden"),
    "food_souvereignity": ("Initiatives pour la souveraineté alimentaire",
                           "Initiatieven voor voedselsoevereiniteit"),
    "permaculture_education": ("Formation à la permaculture", "Vorming in permacultuur"),
    "schoolgarden": ("Potagers scolaires", "Schooltuinen"),
    "slowfood": ("Slow Food", "Slow Food"),
    "other_foodedunpolicy": ("Autres initiatives d'éducation et de politique alimentaires",
                             "Andere initiatieven rond voedseleducatie en voedselbeleid"),
    # Fair trade
    "fairtrade_shop": ("Magasins de commerce équitable", "Fairtradewinkels"),
    "fairtrade_school": ("Écoles du commerce équitable", "Fairtradescholen"),
    "fairtrade_town": ("Communes du commerce équitable", "Fairtradegemeenten"),
    "fairtrade_wholesaler": ("Grossistes du commerce équitable", "Fairtradegroothandels"),
    "directtrade": ("Commerce direct", "Directe handel"),
    "development_cooperation": ("Coopération au développement", "Ontwikkelingssamenwerking"),
    "other_fairtrade": ("Autres initiatives de commerce équitable",
                        "Andere initiatieven voor eerlijke handel"),
    # Reduce
    "waste_awareness": ("Sensibilisation aux déchets", "Sensibilisering rond afval"),
    "nopacking_shop": ("Magasins et initiatives zéro emballage",
                       "Verpakkingsvrije winkels en initiatieven"),
    "other_wastereduction": ("Autres initiatives de réduction des déchets",
                             "Andere initiatieven om afval te verminderen"),
    # Share & Reuse
    "used_goods": ("Vente de seconde main", "Verkoop van tweedehandsgoederen"),
    "fleamarket": ("Marché aux puces", "Rommelmarkt"),
    "garment_rental": ("Location de vêtements", "Kledingverhuur"),
    "giveaway_shop": ("Donnerie", "Weggeefwinkel"),
    "lending_central": ("Prêterie (bibliothèque d'objets)", "Uitleenpunt (spullenbibliotheek)"),
    "swap_market": ("Marchés d'échange", "Ruilmarkten"),
    "other_sharing": ("Autres initiatives de partage et de réemploi",
                      "Andere initiatieven voor delen en hergebruik"),
    # Repair
    "repairing": ("Entretien et réparation", "Onderhoud en herstelling"),
    "repair_cafe": ("Repair cafés", "Repaircafés"),
    "repair_resale": ("Revente d'objets réparés", "Verkoop van herstelde spullen"),
    "other_repair": ("Autres initiatives de réparation", "Andere herstelinitiatieven"),
    # Recycle & Upcycle
    "recycling": ("Recyclage", "Recyclage"),
    "upcycling": ("Surcyclage", "Upcycling"),
    "eco_art": ("Art écologique appliqué", "Toegepaste ecokunst"),
    "other_reupcycle": ("Autres initiatives de recyclage et de surcyclage",
                        "Andere initiatieven voor recyclage en upcycling"),
    # Housing & habitat
    "cohousing": ("Habitat groupé", "Cohousing"),
    "commune": ("Communautés de vie", "Woongemeenschappen"),
    "ecovillage": ("Écovillages", "Ecodorpen"),
    "squatted_place": ("Squats", "Kraakpanden"),
    "other_habitat": ("Autres initiatives de logement et d'habitat",
                      "Andere woon- en huisvestingsinitiatieven"),
    # Infrastructure & Resources
    "freespace": ("Espace libre / espace partagé", "Vrije ruimte / gedeelde ruimte"),
    "sustainable_mobility": ("Initiative de mobilité durable",
                             "Initiatief voor duurzame mobiliteit"),
    "bicycle_selfrepair": ("Atelier vélo participatif", "Doe-het-zelf-fietsherstelplaats"),
    "bicycle_awareness": ("Association de promotion du vélo", "Fietsersvereniging"),
    "collective_energy": ("Énergie locale en propriété collective",
                          "Lokale energie in collectief eigendom"),
    "localcollective_ressources": ("Ressources locales en propriété collective",
                                   "Lokale hulpbronnen in collectief eigendom"),
    "community_forestry": ("Gestion forestière communautaire", "Gemeenschappelijk bosbeheer"),
    "other_infraressources": ("Autres initiatives d'infrastructures et de ressources",
                              "Andere initiatieven rond infrastructuur en hulpbronnen"),
    # Social inclusion
    "socialinclusion_employment": ("Inclusion sociale par l'emploi", "Sociale inclusie via werk"),
    "socialinclusion_empowerment": ("Initiatives d'émancipation", "Empowermentinitiatieven"),
    "lowincome_supermarket": ("Épiceries sociales (supermarchés sociaux)",
                              "Sociale kruideniers (sociale supermarkten)"),
    "foodbank": ("Banque alimentaire", "Voedselbank"),
    "homeless_shelter": ("Hébergement pour sans-abri", "Opvang voor daklozen"),
    "other_socialinclusion": ("Autres initiatives d'inclusion sociale",
                              "Andere initiatieven voor sociale inclusie"),
    # Education & Training
    "coworking": ("Coworking", "Coworking"),
    "business_incubators": ("Centres d'entreprises et incubateurs",
                            "Ondernemerscentra en incubatoren"),
    "entrepreneurship_education": ("Formation à l'entrepreneuriat",
                                   "Opleiding in ondernemerschap"),
    "social_incubators": ("Incubateur d'entreprises sociales",
                          "Incubator voor sociale ondernemingen"),
    "sse_education": ("Éducation à l'économie durable et solidaire",
                      "Onderwijs over duurzame en solidaire economie"),
    "sse_research": ("Recherche sur l'économie durable et solidaire",
                     "Onderzoek naar duurzame en solidaire economie"),
    "other_education": ("Autres initiatives d'éducation et de formation",
                        "Andere onderwijs- en vormingsinitiatieven"),
    # Finance
    "communitycurrency": ("Monnaie locale", "Lokale munt"),
    "microfinance": ("Microfinance", "Microfinanciering"),
    "mutual_insurance": ("Assurance mutuelle", "Onderlinge verzekering"),
    "ethicalfinance_education": ("Promotion de la finance éthique",
                                 "Bevordering van ethisch financieren"),
    "solidarity_lending": ("Prêt solidaire", "Solidaire lening"),
    "timebanking": ("Banque de temps", "Tijdbank"),
    "other_finance": ("Autres initiatives financières", "Andere financiële initiatieven"),
    # Active Citizenship / Political engagement
    "directdemocracy": ("Initiatives de démocratie directe",
                        "Initiatieven voor directe democratie"),
    "consumerism_awareness": ("Sensibilisation à la surconsommation",
                              "Sensibilisering rond overconsumptie"),
    "other_political": ("Autres formes d'engagement politique",
                        "Andere vormen van politiek engagement"),
    # Participation
    "participatory_budgeting": ("Budgets participatifs", "Participatieve begrotingen"),
    "citizen_council": ("Conseil citoyen", "Burgerraad"),
    "youth_council": ("Conseil des jeunes", "Jeugdraad"),
    "other_participation": ("Autres initiatives de participation",
                            "Andere participatie-initiatieven"),
    # Communities / Networks
    "ngo": ("Associations et ONG", "Middenveldorganisaties en ngo's"),
    "community_group": ("Groupes citoyens", "Burgergroepen"),
    "networking_initiative": ("Initiatives de mise en réseau", "Netwerkinitiatieven"),
    "other_communities": ("Autres communautés et réseaux", "Andere gemeenschappen en netwerken"),
    # Self-Organization & mutuality
    "mutualsociety_art": ("Mutuelles d'artistes", "Onderlinge verenigingen van kunstenaars"),
    "mutualsociety_aid": ("Sociétés d'entraide mutuelle", "Verenigingen voor onderlinge hulp"),
    "other_mutualsociety": ("Autres initiatives d'auto-organisation et d'entraide",
                            "Andere initiatieven voor zelforganisatie en onderlinge hulp"),
    # SUSY-map partner network / Other
    "ssedas_partner": ("Partenaires SSEDAS", "SSEDAS-partners"),
    "other": ("Autres initiatives", "Andere initiatieven"),
}

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _qid(iri: str) -> str:
    return iri.rsplit("/", 1)[1]


def _lit(text: str, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"' + (f"@{lang}" if lang else "")


def load(source: Path) -> tuple[list[dict], list[dict]]:
    """Return (categories, types) as plain dicts, in the taxonomy's order."""
    bindings = json.loads((source / "taxonomy.json").read_text("utf-8"))["results"]["bindings"]
    tree = json.loads((source / "filtermenu_treestructure.json").read_text("utf-8"))

    cats: list[dict] = []
    types: dict[str, dict] = {}
    for b in bindings:
        iri = b["item"]["value"]
        if iri == ROOT:
            continue
        label = " ".join(b["itemLabel"]["value"].split())
        parent = b["subclass_of"]["value"]
        if "type_of_initiative_tag" in b:
            tag = b["type_of_initiative_tag"]["value"]
            entry = types.setdefault(tag, {"tag": tag, "label": label, "parents": [], "iris": []})
            if entry["label"] != label:
                raise ValueError(f"tag {tag} has two labels: {entry['label']!r}, {label!r}")
            entry["parents"].append(parent)
            entry["iris"].append(iri)
        else:
            cats.append({"iri": iri, "label": label, "parent": None if parent == ROOT else parent})

    # Cross-check with the tree: same categories, same parents, same types.
    seen: set[tuple[str, str | None]] = set()

    def walk(node: dict, parent: str | None) -> None:
        for el in node.get("elements", []):
            seen.add((el["UUID"], parent))
            walk(el, el["UUID"])

    walk(tree, None)
    expected = {(c["iri"], c["parent"]) for c in cats}
    expected |= {(iri, p) for t in types.values() for iri, p in zip(t["iris"], t["parents"])}
    if seen != expected:
        raise ValueError(f"taxonomy.json and the tree disagree: {sorted(seen ^ expected)}")
    return cats, list(types.values())


def build(source: Path) -> str:
    cats, types = load(source)
    slug_of: dict[str, str] = {}
    for c in cats:
        slug_of[c["iri"]] = CATEGORIES[_qid(c["iri"])][0]
    for t in types:
        slug_of[t["tag"]] = t["tag"].replace("_", "-")
    slugs = list(slug_of.values())
    bad = [s for s in slugs if not SLUG_RE.match(s)]
    if bad or len(set(slugs)) != len(slugs):
        raise ValueError(f"bad or duplicate slugs: {bad or sorted(slugs)}")

    def ref(key: str) -> str:
        return f"<{CONCEPT_BASE}{slug_of[key]}>"

    top = [c for c in cats if c["parent"] is None]
    children: dict[str, list[str]] = {}
    for c in cats:
        if c["parent"]:
            children.setdefault(c["parent"], []).append(ref(c["iri"]))
    for t in types:
        for p in t["parents"]:
            children.setdefault(p, []).append(ref(t["tag"]))

    out: list[str] = [
        "# GENERATED by ontology/build_categories.py from the SSEDAS taxonomy — do not edit by hand.",
        "# Source: TransforMap/openstreetmap-taxonomy, susy-json/ (the Unlicense, public domain).",
        "",
        "@prefix mutu:    <https://w3id.org/mutu/ns#> .",
        "@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .",
        "",
        f"<{SCHEME}>",
        "    a skos:ConceptScheme ;",
        "    skos:prefLabel " + " , ".join([
            _lit("Catégories des alternatives", "fr"),
            _lit("Categorieën van alternatieven", "nl"),
            _lit("Categories of alternatives", "en")]) + " ;",
        "    dcterms:title " + " , ".join([
            _lit("Catégories des alternatives", "fr"),
            _lit("Categorieën van alternatieven", "nl"),
            _lit("Categories of alternatives", "en")]) + " ;",
        "    rdfs:comment " + " , ".join([
            _lit("Le schéma de catégories partagé par Mutu, repris de la taxonomie SSEDAS "
                 "(TransforMap) des initiatives d'économie sociale et solidaire : 12 catégories, "
                 "11 sous-catégories et leurs types d'initiatives.", "fr"),
            _lit("Het gedeelde categorieschema van Mutu, overgenomen uit de SSEDAS-taxonomie "
                 "(TransforMap) van initiatieven uit de sociale en solidaire economie: "
                 "12 categorieën, 11 subcategorieën en hun soorten initiatieven.", "nl"),
            _lit("The category scheme Mutu shares, taken from the SSEDAS taxonomy (TransforMap) "
                 "of social and solidarity economy initiatives: 12 categories, 11 subcategories "
                 "and their types of initiative.", "en")]) + " ;",
        f"    dcterms:source <{ROOT}> , <{SOURCE_REPO}> ;",
        "    dcterms:license <https://unlicense.org/> ;",
        "    skos:hasTopConcept " + " ,\n        ".join(ref(c["iri"]) for c in top) + " .",
        "",
    ]

    def concept(key: str, en: str, fr: str | None, nl: str | None, broader: list[str],
                notation: str | None, matches: list[str]) -> None:
        lines = [ref(key), "    a mutu:Category , skos:Concept ;", f"    skos:inScheme <{SCHEME}> ;"]
        labels = [_lit(en, "en")] + ([_lit(fr, "fr")] if fr else []) + ([_lit(nl, "nl")] if nl else [])
        lines.append("    skos:prefLabel " + " , ".join(labels) + " ;")
        if notation:
            lines.append(f"    skos:notation {_lit(notation)} ;")
        if broader:
            lines.append("    skos:broader " + " , ".join(broader) + " ;")
        else:
            lines.append(f"    skos:topConceptOf <{SCHEME}> ;")
        if key in children:
            lines.append("    skos:narrower " + " ,\n        ".join(children[key]) + " ;")
        lines.append("    skos:exactMatch " + " , ".join(f"<{m}>" for m in matches) + " .")
        out.extend(lines + [""])

    for c in cats:
        _, fr, nl = CATEGORIES[_qid(c["iri"])]
        concept(c["iri"], c["label"], fr, nl, [ref(c["parent"])] if c["parent"] else [],
                None, [c["iri"]])
    for t in types:
        fr, nl = TYPES.get(t["tag"], (None, None))
        concept(t["tag"], t["label"], fr, nl, [ref(p) for p in t["parents"]], t["tag"], t["iris"])
    return "\n".join(out)


def main(argv: list[str]) -> int:
    source = Path(argv[1] if len(argv) > 1 else os.environ.get("MUTU_SSEDAS_DIR", DEFAULT_SOURCE))
    text = build(source)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({text.count('a mutu:Category')} concepts)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
