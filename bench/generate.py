#!/usr/bin/env python3
"""Generate realistic synthetic Mutu data as N-Triples, for benchmarks and validation tests.

    python bench/generate.py --triples 1000000 --out bench/out/1m.nt [--invalid-share 0.01] [--seed 42]

The output follows the vocabulary contract of ontology/README.md: a SKOS category scheme
(~40 concepts), the 8 known licences, then a stream of records — one alternative, one place
and about five events per cycle (events dominate, like a real agenda). Every event's
organiser and location point to records written earlier in the file, so any prefix of the
stream is self-contained.

The generator streams (constant memory) and is deterministic for a given --seed and
--today. It stops after the first record that reaches --triples, so the file holds exactly
or slightly more than that many triples (the actual count is printed on stderr).

With --invalid-share X, that share of the records (alternatives, places, events) gets exactly
one realistic defect each. A sidecar FILE.defects.json ({focus IRI: defect kind}) is always
written (empty when X is 0) so tests can compare validation reports against it.

Only the standard library is used. Exit status: 0 on success, 2 on a usage or I/O error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time

# --- vocabularies (kept in step with app/namespaces.py; this script stays standalone) ---

MUTU = "https://w3id.org/mutu/ns#"
SCHEMA = "https://schema.org/"
ORG = "http://www.w3.org/ns/org#"
DCTERMS = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
GEO = "http://www.opengis.net/ont/geosparql#"
CC = "http://creativecommons.org/ns#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
BASE = "https://mutu.brussels/"
SCHEME = BASE + "categories"

DEFECT_KINDS = (
    "name-without-language",
    "invalid-postal-code",
    "coordinates-in-paris",
    "end-before-start",
    "organizer-is-place",
    "start-date-plain-string",
    "unknown-category",
    "two-fr-names",
)
# Which defect kinds make sense for which record type (order = round-robin order).
APPLICABLE = {
    "alternative": (0, 6, 7),
    "place": (0, 1, 2, 7),
    "event": (0, 3, 4, 5, 6, 7),
}


def iri(value: str) -> str:
    return f"<{value}>"


def esc(text: str) -> str:
    """Escape a string for an N-Triples literal."""
    return (text.replace("\\", "\\\\").replace('"', '\\"')
            .replace("\n", "\\n").replace("\r", "\\r"))


def lang(text: str, tag: str) -> str:
    return f'"{esc(text)}"@{tag}'


def plain(text: str) -> str:
    return f'"{esc(text)}"'


def typed(text: str, datatype: str) -> str:
    return f'"{esc(text)}"^^<{XSD}{datatype}>'


# Predicates and classes, pre-rendered.
A = iri(RDF + "type")
S_NAME, S_DESC, S_URL = iri(SCHEMA + "name"), iri(SCHEMA + "description"), iri(SCHEMA + "url")
S_EMAIL, S_TEL = iri(SCHEMA + "email"), iri(SCHEMA + "telephone")
S_LOCATION, S_ADDRESS, S_GEO = iri(SCHEMA + "location"), iri(SCHEMA + "address"), iri(SCHEMA + "geo")
S_STREET, S_POSTAL = iri(SCHEMA + "streetAddress"), iri(SCHEMA + "postalCode")
S_LOCALITY, S_COUNTRY = iri(SCHEMA + "addressLocality"), iri(SCHEMA + "addressCountry")
S_LAT, S_LON = iri(SCHEMA + "latitude"), iri(SCHEMA + "longitude")
S_START, S_END = iri(SCHEMA + "startDate"), iri(SCHEMA + "endDate")
S_ORGANIZER, S_STATUS = iri(SCHEMA + "organizer"), iri(SCHEMA + "eventStatus")
S_INLANG, S_FREE = iri(SCHEMA + "inLanguage"), iri(SCHEMA + "isAccessibleForFree")
S_FOUNDING = iri(SCHEMA + "foundingDate")
M_CATEGORY, M_RRULE = iri(MUTU + "category"), iri(MUTU + "rrule")
G_HASGEOM, G_ASWKT = iri(GEO + "hasGeometry"), iri(GEO + "asWKT")
SK_INSCHEME, SK_PREF, SK_BROADER = iri(SKOS + "inScheme"), iri(SKOS + "prefLabel"), iri(SKOS + "broader")
SK_TOP, SK_NOTATION = iri(SKOS + "hasTopConcept"), iri(SKOS + "notation")
DC_TITLE, DC_ID = iri(DCTERMS + "title"), iri(DCTERMS + "identifier")
RDFS_SEEALSO, RDFS_COMMENT = iri(RDFS + "seeAlso"), iri(RDFS + "comment")

ALT_TYPES = (iri(MUTU + "Alternative"), iri(SCHEMA + "Organization"), iri(ORG + "Organization"))
PLACE_TYPES = (iri(MUTU + "Place"), iri(SCHEMA + "Place"))
EVENT_TYPES = (iri(MUTU + "Event"), iri(SCHEMA + "Event"))
T_ADDRESS, T_GEOCOORD = iri(SCHEMA + "PostalAddress"), iri(SCHEMA + "GeoCoordinates")
T_GEOMETRY = iri(GEO + "Geometry")
SCHEDULED, CANCELLED = iri(SCHEMA + "EventScheduled"), iri(SCHEMA + "EventCancelled")
POSTPONED = iri(SCHEMA + "EventPostponed")
TRUE, FALSE = typed("true", "boolean"), typed("false", "boolean")

# --- reference tables ---------------------------------------------------------------

# slug, parent slug (None = top concept), fr, nl, en, kind of alternative (fr, nl)
CATEGORIES = (
    ("alimentation", None, "Alimentation", "Voeding", "Food", ("Collectif alimentaire", "Voedselcollectief")),
    ("potagers-collectifs", "alimentation", "Potagers collectifs", "Collectieve moestuinen", "Community gardens", ("Potager collectif", "Collectieve moestuin")),
    ("gasap", "alimentation", "Groupes d'achat solidaires", "Voedselteams", "Community-supported agriculture", ("GASAP", "Voedselteam")),
    ("epiceries-cooperatives", "alimentation", "Épiceries coopératives", "Coöperatieve kruideniers", "Cooperative grocery stores", ("Épicerie coopérative", "Coöperatieve kruidenier")),
    ("frigos-solidaires", "alimentation", "Frigos solidaires", "Solidaire koelkasten", "Community fridges", ("Frigo solidaire", "Solidaire koelkast")),
    ("reemploi", None, "Réemploi", "Hergebruik", "Reuse", ("Collectif réemploi", "Hergebruikcollectief")),
    ("repair-cafes", "reemploi", "Repair cafés", "Repair cafés", "Repair cafés", ("Repair Café", "Repair Café")),
    ("donneries", "reemploi", "Donneries", "Weggeefwinkels", "Free shops", ("Donnerie", "Weggeefwinkel")),
    ("ressourceries", "reemploi", "Ressourceries", "Kringloopwinkels", "Second-hand shops", ("Ressourcerie", "Kringloopwinkel")),
    ("bibliotheques-d-objets", "reemploi", "Bibliothèques d'objets", "Spullenbibliotheken", "Libraries of things", ("Bibliothèque d'objets", "Spullenbibliotheek")),
    ("energie", None, "Énergie", "Energie", "Energy", ("Collectif énergie", "Energiecollectief")),
    ("cooperatives-energetiques", "energie", "Coopératives énergétiques", "Energiecoöperaties", "Energy cooperatives", ("Coopérative énergétique", "Energiecoöperatie")),
    ("renovation-collective", "energie", "Rénovation collective", "Collectieve renovatie", "Collective renovation", ("Rénovons ensemble", "Samen renoveren")),
    ("sobriete-energetique", "energie", "Sobriété énergétique", "Energiesoberheid", "Energy sufficiency", ("Défi énergie", "Energie-uitdaging")),
    ("mobilite", None, "Mobilité", "Mobiliteit", "Mobility", ("Collectif mobilité", "Mobiliteitscollectief")),
    ("ateliers-velo", "mobilite", "Ateliers vélo", "Fietsateliers", "Bike workshops", ("Atelier vélo", "Fietsatelier")),
    ("autopartage", "mobilite", "Autopartage", "Autodelen", "Car sharing", ("Autopartage", "Autodelen")),
    ("rues-scolaires", "mobilite", "Rues scolaires", "Schoolstraten", "School streets", ("Rue scolaire", "Schoolstraat")),
    ("habitat", None, "Habitat", "Wonen", "Housing", ("Collectif habitat", "Wooncollectief")),
    ("habitat-groupe", "habitat", "Habitat groupé", "Cohousing", "Cohousing", ("Habitat groupé", "Cohousing")),
    ("community-land-trust", "habitat", "Community Land Trust", "Community Land Trust", "Community land trusts", ("CLT", "CLT")),
    ("occupations-temporaires", "habitat", "Occupations temporaires", "Tijdelijke bezettingen", "Temporary occupations", ("Occupation temporaire", "Tijdelijke bezetting")),
    ("economie-sociale", None, "Économie sociale", "Sociale economie", "Social economy", ("Entreprise sociale", "Sociale onderneming")),
    ("monnaies-locales", "economie-sociale", "Monnaies locales", "Lokale munten", "Local currencies", ("Monnaie locale", "Lokale munt")),
    ("systemes-d-echange-locaux", "economie-sociale", "Systèmes d'échange locaux", "LETS-groepen", "Local exchange systems", ("SEL", "LETS")),
    ("cooperatives", "economie-sociale", "Coopératives", "Coöperaties", "Cooperatives", ("Coopérative", "Coöperatie")),
    ("tiers-lieux", "economie-sociale", "Tiers-lieux", "Derde plekken", "Third places", ("Tiers-lieu", "Derde plek")),
    ("culture", None, "Culture et éducation", "Cultuur en onderwijs", "Culture and education", ("Collectif culturel", "Cultuurcollectief")),
    ("education-populaire", "culture", "Éducation populaire", "Volksopvoeding", "Popular education", ("Université populaire", "Volksuniversiteit")),
    ("ateliers-creatifs", "culture", "Ateliers créatifs", "Creatieve ateliers", "Creative workshops", ("Atelier créatif", "Creatief atelier")),
    ("medias-libres", "culture", "Médias libres", "Vrije media", "Free media", ("Radio libre", "Vrije radio")),
    ("nature", None, "Nature et biodiversité", "Natuur en biodiversiteit", "Nature and biodiversity", ("Collectif nature", "Natuurcollectief")),
    ("compost-de-quartier", "nature", "Compost de quartier", "Buurtcompost", "Neighbourhood composting", ("Compost de quartier", "Buurtcompost")),
    ("verdurisation", "nature", "Verdurisation", "Vergroening", "Greening", ("Quartier durable", "Duurzame wijk")),
    ("apiculture-urbaine", "nature", "Apiculture urbaine", "Stadsimkerij", "Urban beekeeping", ("Rucher urbain", "Stadsbijenstal")),
    ("solidarite", None, "Solidarité", "Solidariteit", "Solidarity", ("Collectif solidaire", "Solidariteitscollectief")),
    ("accueil-migrants", "solidarite", "Accueil des personnes migrantes", "Opvang van migranten", "Welcoming migrants", ("Réseau d'accueil", "Opvangnetwerk")),
    ("entraide-de-quartier", "solidarite", "Entraide de quartier", "Burenhulp", "Neighbourly help", ("Entraide", "Burenhulp")),
    ("numerique-solidaire", "solidarite", "Numérique solidaire", "Digitale inclusie", "Digital inclusion", ("Espace public numérique", "Digitale buurtpunt")),
    ("soins-communautaires", "solidarite", "Santé communautaire", "Gemeenschapsgezondheid", "Community health", ("Maison médicale", "Wijkgezondheidscentrum")),
)
LEAF_CATEGORIES = tuple(c for c in CATEGORIES if c[1] is not None)
UNKNOWN_CATEGORY_SLUGS = ("permaculture", "zero-dechet", "tiers-lieu", "repair-cafe", "agriculture-urbaine")

# IRI, SPDX id, fr, nl, en title
LICENCES = (
    ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0", "Domaine public CC0 1.0", "CC0 1.0 Publiek domein", "CC0 1.0 Universal Public Domain Dedication"),
    ("https://creativecommons.org/licenses/by/4.0/", "CC-BY-4.0", "Attribution 4.0 International", "Naamsvermelding 4.0 Internationaal", "Attribution 4.0 International"),
    ("https://creativecommons.org/licenses/by-sa/4.0/", "CC-BY-SA-4.0", "Attribution - Partage dans les mêmes conditions 4.0", "Naamsvermelding - GelijkDelen 4.0", "Attribution-ShareAlike 4.0 International"),
    ("https://creativecommons.org/licenses/by-nc/4.0/", "CC-BY-NC-4.0", "Attribution - Pas d'utilisation commerciale 4.0", "Naamsvermelding - NietCommercieel 4.0", "Attribution-NonCommercial 4.0 International"),
    ("https://opendatacommons.org/licenses/odbl/1-0/", "ODbL-1.0", "Licence ouverte de bases de données 1.0", "Open Database License 1.0", "Open Database License 1.0"),
    ("https://opendatacommons.org/licenses/pddl/1-0/", "PDDL-1.0", "Dédicace au domaine public 1.0", "Publiek Domein Toewijding 1.0", "Public Domain Dedication and License 1.0"),
    ("https://unlicense.org/", "Unlicense", "The Unlicense (domaine public)", "The Unlicense (publiek domein)", "The Unlicense"),
    ("https://www.etalab.gouv.fr/licence-ouverte-open-licence/", "etalab-2.0", "Licence Ouverte 2.0", "Open Licentie 2.0 (Etalab)", "Open Licence 2.0 (Etalab)"),
)
LICENCE_TYPES = (iri(MUTU + "Licence"), iri(DCTERMS + "LicenseDocument"), iri(CC + "License"))

# postal code, commune fr, commune nl, centre lat, centre lon, streets (fr, nl)
COMMUNES = (
    ("1000", "Bruxelles", "Brussel", 50.8466, 4.3528, (("Rue Haute", "Hoogstraat"), ("Rue Antoine Dansaert", "Antoine Dansaertstraat"), ("Rue Blaes", "Blaesstraat"))),
    ("1020", "Laeken", "Laken", 50.8790, 4.3500, (("Rue Marie-Christine", "Maria-Christinastraat"), ("Avenue de la Reine", "Koninginnelaan"))),
    ("1030", "Schaerbeek", "Schaarbeek", 50.8676, 4.3774, (("Rue Royale Sainte-Marie", "Koninklijke Sint-Mariastraat"), ("Avenue Louis Bertrand", "Louis Bertrandlaan"))),
    ("1040", "Etterbeek", "Etterbeek", 50.8361, 4.3887, (("Rue de Tervaete", "Tervaetestraat"), ("Avenue d'Auderghem", "Oudergemselaan"))),
    ("1050", "Ixelles", "Elsene", 50.8275, 4.3720, (("Chaussée d'Ixelles", "Elsensesteenweg"), ("Rue de la Brasserie", "Brouwerijstraat"))),
    ("1060", "Saint-Gilles", "Sint-Gillis", 50.8270, 4.3457, (("Chaussée de Waterloo", "Waterloosesteenweg"), ("Rue de Mérode", "Merodestraat"))),
    ("1070", "Anderlecht", "Anderlecht", 50.8360, 4.3080, (("Rue Wayez", "Wayezstraat"), ("Chaussée de Mons", "Bergensesteenweg"))),
    ("1080", "Molenbeek-Saint-Jean", "Sint-Jans-Molenbeek", 50.8553, 4.3230, (("Chaussée de Gand", "Gentsesteenweg"), ("Rue de Ribaucourt", "Ribaucourtstraat"))),
    ("1081", "Koekelberg", "Koekelberg", 50.8620, 4.3260, (("Rue Herkoliers", "Herkoliersstraat"), ("Avenue du Panthéon", "Pantheonlaan"))),
    ("1082", "Berchem-Sainte-Agathe", "Sint-Agatha-Berchem", 50.8650, 4.2960, (("Rue de Grand-Bigard", "Groot-Bijgaardenstraat"), ("Avenue du Roi Albert", "Koning Albertlaan"))),
    ("1083", "Ganshoren", "Ganshoren", 50.8710, 4.3090, (("Avenue Charles-Quint", "Keizer Karellaan"), ("Rue Vanderveken", "Vandervekenstraat"))),
    ("1090", "Jette", "Jette", 50.8780, 4.3270, (("Rue Léon Theodor", "Leon Theodorstraat"), ("Avenue de Jette", "Jetselaan"))),
    ("1120", "Neder-Over-Heembeek", "Neder-Over-Heembeek", 50.8930, 4.3850, (("Rue de Beyseghem", "Beizegemstraat"), ("Rue François Vekemans", "François Vekemansstraat"))),
    ("1130", "Haren", "Haren", 50.8880, 4.4160, (("Rue de Cortenbach", "Cortenbachstraat"), ("Rue du Donjon", "Torenstraat"))),
    ("1140", "Evere", "Evere", 50.8720, 4.4020, (("Chaussée de Haecht", "Haachtsesteenweg"), ("Rue Stroobants", "Stroobantsstraat"))),
    ("1150", "Woluwe-Saint-Pierre", "Sint-Pieters-Woluwe", 50.8300, 4.4300, (("Rue au Bois", "Bosstraat"), ("Avenue de Tervueren", "Tervurenlaan"))),
    ("1160", "Auderghem", "Oudergem", 50.8150, 4.4270, (("Chaussée de Wavre", "Waversesteenweg"), ("Boulevard du Souverain", "Vorstlaan"))),
    ("1170", "Watermael-Boitsfort", "Watermaal-Bosvoorde", 50.7990, 4.4150, (("Rue du Loutrier", "Ottervangerstraat"), ("Place Keym", "Keymplein"))),
    ("1180", "Uccle", "Ukkel", 50.8020, 4.3400, (("Chaussée d'Alsemberg", "Alsembergsesteenweg"), ("Rue Vanderkindere", "Vanderkinderestraat"))),
    ("1190", "Forest", "Vorst", 50.8110, 4.3180, (("Chaussée de Bruxelles", "Brusselsesteenweg"), ("Avenue Van Volxem", "Van Volxemlaan"))),
    ("1200", "Woluwe-Saint-Lambert", "Sint-Lambrechts-Woluwe", 50.8460, 4.4250, (("Rue Voot", "Vootstraat"), ("Avenue Georges Henri", "Georges Henrilaan"))),
    ("1210", "Saint-Josse-ten-Noode", "Sint-Joost-ten-Node", 50.8530, 4.3720, (("Chaussée de Louvain", "Leuvensesteenweg"), ("Rue de la Limite", "Grensstraat"))),
)
LAT_MIN, LAT_MAX, LON_MIN, LON_MAX = 50.78, 50.90, 4.28, 4.45

# kinds of places (fr, nl, en)
PLACE_KINDS = (
    ("Maison de quartier", "Buurthuis"), ("Salle polyvalente", "Polyvalente zaal"),
    ("Jardin partagé", "Gedeelde tuin"), ("Atelier partagé", "Gedeelde werkplaats"),
    ("Centre culturel", "Cultureel centrum"), ("Local associatif", "Verenigingslokaal"),
    ("Entrepôt", "Opslagplaats"), ("Café citoyen", "Burgercafé"), ("Parc", "Park"),
    ("Bibliothèque", "Bibliotheek"),
)
# kinds of events (fr, nl, en)
EVENT_KINDS = (
    ("Atelier", "Workshop", "Workshop"), ("Rencontre", "Ontmoeting", "Meetup"),
    ("Assemblée générale", "Algemene vergadering", "General assembly"),
    ("Portes ouvertes", "Opendeurdag", "Open day"), ("Formation", "Opleiding", "Training"),
    ("Marché", "Markt", "Market"), ("Soirée d'information", "Infoavond", "Information evening"),
    ("Chantier participatif", "Werkdag", "Work party"), ("Fête de quartier", "Buurtfeest", "Street party"),
    ("Projection-débat", "Film en debat", "Screening and debate"),
    ("Permanence", "Zitdag", "Drop-in session"), ("Balade découverte", "Ontdekkingswandeling", "Discovery walk"),
)
EVENT_QUALIFIERS = (
    ("de printemps", "in de lente"), ("d'automne", "in de herfst"), ("mensuel", "maandelijks"),
    ("pour débutant·es", "voor beginners"), ("en famille", "voor het hele gezin"),
    ("ouvert à toutes et tous", "voor iedereen"), ("spécial", "speciaal"), ("du mercredi", "op woensdag"),
)
RRULES = ("FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;BYDAY=SA", "FREQ=MONTHLY;BYDAY=1WE",
          "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH")
START_HOURS = (9, 10, 10, 14, 14, 17, 18, 18, 19, 19, 19, 20)
START_MINUTES = (0, 0, 0, 30, 30, 15, 45)
LANGUAGES = ("fr", "fr", "fr", "nl", "nl", "en", "fr")  # inLanguage picks


def slugify(text: str) -> str:
    table = str.maketrans("àâäçéèêëîïôöùûüÿ·", "aaaceeeeiioouuuy-")
    out = []
    for ch in text.lower().translate(table):
        out.append(ch if ch.isascii() and ch.isalnum() else "-")
    return "-".join(part for part in "".join(out).split("-") if part)


def last_sunday(year: int, month: int) -> dt.date:
    day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


def brussels_offset(day: dt.date) -> str:
    """UTC offset of Brussels at noon on that day (CEST from the last Sunday of March
    to the last Sunday of October)."""
    if last_sunday(day.year, 3) <= day < last_sunday(day.year, 10):
        return "+02:00"
    return "+01:00"


# --- the generator --------------------------------------------------------------------


class Generator:
    """Yields records (lists of N-Triples lines) and records the injected defects."""

    def __init__(self, seed: int, invalid_share: float, today: dt.date):
        self.rng = random.Random(f"mutu-bench-{seed}")
        self.defect_rng = random.Random(f"mutu-bench-defects-{seed}")
        self.invalid_share = invalid_share
        self.defect_counts = [0] * len(DEFECT_KINDS)
        self.rr = 0  # round-robin pointer over DEFECT_KINDS
        # Days from today-30 to today+365 (+3 for multi-day events): (date text, offset).
        self.days = []
        for delta in range(-30, 369):
            day = today + dt.timedelta(days=delta)
            self.days.append((day.isoformat(), brussels_offset(day)))
        self.leaves = [
            (iri(f"{BASE}category/{c[0]}"), c[2], c[3], c[5]) for c in LEAF_CATEGORIES
        ]
        self.counts = {"alternative": 0, "place": 0, "event": 0}

    # -- defects
    def pick_defect(self, record_type: str) -> int | None:
        """None, or the defect kind for this record: the least used applicable kind,
        ties broken in round-robin order."""
        if self.invalid_share <= 0 or self.defect_rng.random() >= self.invalid_share:
            return None
        options = APPLICABLE[record_type]
        n = len(DEFECT_KINDS)
        kind = min(options, key=lambda k: (self.defect_counts[k], (k - self.rr) % n))
        self.rr = (kind + 1) % n
        self.defect_counts[kind] += 1
        return kind

    # -- helpers shared by records
    def alt_category(self, n: int) -> int:
        """Main category index of alternative n (a pure function, so events can reuse it)."""
        return (n * 7919 + 13) % len(self.leaves)

    def alt_commune(self, n: int) -> int:
        return (n * 104729 + 5) % len(COMMUNES)

    # -- records
    def static(self) -> list[str]:
        lines = []
        scheme = iri(SCHEME)
        lines.append(f"{scheme} {A} {iri(SKOS + 'ConceptScheme')} .\n")
        lines.append(f"{scheme} {SK_PREF} {lang('Catégories Mutu', 'fr')} .\n")
        lines.append(f"{scheme} {SK_PREF} {lang('Mutu-categorieën', 'nl')} .\n")
        lines.append(f"{scheme} {SK_PREF} {lang('Mutu categories', 'en')} .\n")
        cat_types = (iri(MUTU + "Category"), iri(SKOS + "Concept"))
        for i, (slug, parent, fr, nl, en, _kind) in enumerate(CATEGORIES):
            s = iri(f"{BASE}category/{slug}")
            lines += [f"{s} {t} .\n" for t in (f"{A} {cat_types[0]}", f"{A} {cat_types[1]}")]
            lines.append(f"{s} {SK_INSCHEME} {scheme} .\n")
            lines.append(f"{s} {SK_PREF} {lang(fr, 'fr')} .\n")
            lines.append(f"{s} {SK_PREF} {lang(nl, 'nl')} .\n")
            lines.append(f"{s} {SK_PREF} {lang(en, 'en')} .\n")
            lines.append(f"{s} {SK_NOTATION} {plain(str(i + 1))} .\n")
            if parent is None:
                lines.append(f"{scheme} {SK_TOP} {s} .\n")
            else:
                lines.append(f"{s} {SK_BROADER} {iri(f'{BASE}category/{parent}')} .\n")
        for url, spdx, fr, nl, en in LICENCES:
            s = iri(url)
            lines += [f"{s} {A} {t} .\n" for t in LICENCE_TYPES]
            lines.append(f"{s} {DC_TITLE} {lang(fr, 'fr')} .\n")
            lines.append(f"{s} {DC_TITLE} {lang(nl, 'nl')} .\n")
            lines.append(f"{s} {DC_TITLE} {lang(en, 'en')} .\n")
            lines.append(f"{s} {DC_ID} {plain(spdx)} .\n")
            lines.append(f"{s} {RDFS_SEEALSO} {s} .\n")
        return lines

    def alternative(self, n: int) -> tuple[str, list[str], int | None]:
        r = self.rng.random
        focus = f"{BASE}alternative/bench-{n}"
        s = f"<{focus}>"
        defect = self.pick_defect("alternative")
        cat_iri, _cfr, _cnl, (kind_fr, kind_nl) = self.leaves[self.alt_category(n)]
        pc, cfr, cnl, _lat, _lon, streets = COMMUNES[self.alt_commune(n)]
        street_fr, street_nl = streets[n % len(streets)]
        name_fr = f"{kind_fr} {cfr}" if r() < 0.5 else f"{kind_fr} {street_fr}"
        name_nl = f"{kind_nl} {cnl}" if r() < 0.5 else f"{kind_nl} {street_nl}"
        if n >= len(self.leaves):  # names repeat in real data, but not too often
            name_fr += f" {n // len(self.leaves) + 1}"
            name_nl += f" {n // len(self.leaves) + 1}"
        lines = [f"{s} {A} {t} .\n" for t in ALT_TYPES]
        if defect == 0:
            lines.append(f"{s} {S_NAME} {plain(name_fr)} .\n")
        else:
            lines.append(f"{s} {S_NAME} {lang(name_fr, 'fr')} .\n")
        lines.append(f"{s} {S_NAME} {lang(name_nl, 'nl')} .\n")
        if defect == 7:
            lines.append(f"{s} {S_NAME} {lang(name_fr.upper(), 'fr')} .\n")
        if r() < 0.25:
            lines.append(f"{s} {S_NAME} {lang(name_fr, 'en')} .\n")
        lines.append(f"{s} {S_DESC} {lang(f'{kind_fr} citoyen actif à {cfr} depuis quelques années. Bienvenue à toutes et tous !', 'fr')} .\n")
        lines.append(f"{s} {S_DESC} {lang(f'{kind_nl} van buurtbewoners in {cnl}. Iedereen is welkom!', 'nl')} .\n")
        slug = f"{slugify(name_fr)}-{n}"
        lines.append(f"{s} {S_URL} <https://{slug}.example/> .\n")
        if r() < 0.9:
            lines.append(f"{s} {S_EMAIL} {plain(f'contact@{slug}.example')} .\n")
        if r() < 0.7:
            lines.append(f'{s} {S_TEL} "+32 2 {int(r() * 900) + 100} {int(r() * 90) + 10} {int(r() * 90) + 10}" .\n')
        if r() < 0.5:
            lines.append(f"{s} {S_FOUNDING} {typed(str(1975 + int(r() * 50)), 'gYear')} .\n")
        lines.append(f"{s} {M_CATEGORY} {cat_iri} .\n")
        if r() < 0.3:  # a second, different category
            other = (self.alt_category(n) + 1 + int(r() * (len(self.leaves) - 1))) % len(self.leaves)
            lines.append(f"{s} {M_CATEGORY} {self.leaves[other][0]} .\n")
        if defect == 6:
            bad = UNKNOWN_CATEGORY_SLUGS[n % len(UNKNOWN_CATEGORY_SLUGS)]
            lines.append(f"{s} {M_CATEGORY} <{BASE}category/{bad}> .\n")
        lines.append(f"{s} {S_LOCATION} <{BASE}place/bench-{n}> .\n")
        self.counts["alternative"] += 1
        return focus, lines, defect

    def place(self, n: int) -> tuple[str, list[str], int | None]:
        r = self.rng.random
        focus = f"{BASE}place/bench-{n}"
        s = f"<{focus}>"
        defect = self.pick_defect("place")
        pc, cfr, cnl, lat0, lon0, streets = COMMUNES[self.alt_commune(n)]
        street_fr, street_nl = streets[n % len(streets)]
        kind_fr, kind_nl = PLACE_KINDS[int(r() * len(PLACE_KINDS))]
        number = int(r() * 180) + 1
        lines = [f"{s} {A} {t} .\n" for t in PLACE_TYPES]
        name_fr = f"{kind_fr} {street_fr} {number}"
        if defect == 0:
            lines.append(f"{s} {S_NAME} {plain(name_fr)} .\n")
        else:
            lines.append(f"{s} {S_NAME} {lang(name_fr, 'fr')} .\n")
        lines.append(f"{s} {S_NAME} {lang(f'{kind_nl} {street_nl} {number}', 'nl')} .\n")
        if defect == 7:
            lines.append(f"{s} {S_NAME} {lang(f'{kind_fr} de {cfr}', 'fr')} .\n")
        # Address: an IRI (bulk-load friendly); a blank node for ~10% of valid places.
        if defect is None and r() < 0.1:
            addr = f"_:addr{n}"
        else:
            addr = f"<{focus}/address>"
        lines.append(f"{s} {S_ADDRESS} {addr} .\n")
        lines.append(f"{addr} {A} {T_ADDRESS} .\n")
        dutch = r() < 0.3
        street = f"{street_nl} {number}" if dutch else f"{street_fr} {number}"
        lines.append(f"{addr} {S_STREET} {plain(street)} .\n")
        if defect == 1:
            pc = "999" if n % 2 else "10000"
        lines.append(f'{addr} {S_POSTAL} "{pc}" .\n')
        lines.append(f"{addr} {S_LOCALITY} {plain(cnl if dutch else cfr)} .\n")
        lines.append(f'{addr} {S_COUNTRY} "BE" .\n')
        if defect == 2:  # somewhere in Paris
            lat, lon = 48.8566 + (r() - 0.5) * 0.04, 2.3522 + (r() - 0.5) * 0.06
        else:
            lat = min(max(lat0 + (r() - 0.5) * 0.016, LAT_MIN), LAT_MAX)
            lon = min(max(lon0 + (r() - 0.5) * 0.024, LON_MIN), LON_MAX)
        geo = f"<{focus}/geo>"
        lines.append(f"{s} {S_GEO} {geo} .\n")
        lines.append(f"{geo} {A} {T_GEOCOORD} .\n")
        lines.append(f'{geo} {S_LAT} "{lat:.6f}"^^<{XSD}decimal> .\n')
        lines.append(f'{geo} {S_LON} "{lon:.6f}"^^<{XSD}decimal> .\n')
        if r() < 0.3:
            geom = f"<{focus}/geometry>"
            lines.append(f"{s} {G_HASGEOM} {geom} .\n")
            lines.append(f"{geom} {A} {T_GEOMETRY} .\n")
            lines.append(f'{geom} {G_ASWKT} "POINT({lon:.6f} {lat:.6f})"^^<{GEO}wktLiteral> .\n')
        self.counts["place"] += 1
        return focus, lines, defect

    def event(self, n: int, last: int) -> tuple[str, list[str], int | None]:
        """Event n, organised by one of the alternatives 0..last (all already written)."""
        r = self.rng.random
        focus = f"{BASE}event/bench-{n}"
        s = f"<{focus}>"
        defect = self.pick_defect("event")
        org = int(r() * (last + 1))
        cat_iri, cat_fr, cat_nl, _kinds = self.leaves[self.alt_category(org)]
        kfr, knl, ken = EVENT_KINDS[int(r() * len(EVENT_KINDS))]
        qfr, qnl = EVENT_QUALIFIERS[int(r() * len(EVENT_QUALIFIERS))]
        name_fr = f"{kfr} {qfr} – {cat_fr.lower()}"
        lines = [f"{s} {A} {t} .\n" for t in EVENT_TYPES]
        if defect == 0:
            lines.append(f"{s} {S_NAME} {plain(name_fr)} .\n")
        else:
            lines.append(f"{s} {S_NAME} {lang(name_fr, 'fr')} .\n")
        lines.append(f"{s} {S_NAME} {lang(f'{knl} {qnl} – {cat_nl.lower()}', 'nl')} .\n")
        if defect == 7:
            lines.append(f"{s} {S_NAME} {lang(f'{kfr} ({cat_fr.lower()})', 'fr')} .\n")
        if r() < 0.1:
            lines.append(f"{s} {S_NAME} {lang(ken, 'en')} .\n")
        if r() < 0.6:
            lines.append(f"{s} {S_DESC} {lang(f'{kfr} {qfr}. Entrée libre, inscription souhaitée.', 'fr')} .\n")
        # Dates: a day from today-30 to today+365, local time with the Brussels offset.
        d = int(r() * 396)
        day, off = self.days[d]
        hour = START_HOURS[int(r() * len(START_HOURS))]
        minute = START_MINUTES[int(r() * len(START_MINUTES))]
        if defect == 5:
            lines.append(f'{s} {S_START} "next tuesday" .\n')
        else:
            lines.append(f'{s} {S_START} "{day}T{hour:02d}:{minute:02d}:00{off}"^^<{XSD}dateTime> .\n')
        if defect == 3:  # ends the day before it starts
            eday, eoff = self.days[d - 1] if d > 0 else ((dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat(), off)
            lines.append(f'{s} {S_END} "{eday}T{hour:02d}:{minute:02d}:00{eoff}"^^<{XSD}dateTime> .\n')
        elif r() < 0.95:
            x = r()
            if x < 0.03:  # a festival over two or three days
                eday, eoff = self.days[d + 1 + int(r() * 2)]
                lines.append(f'{s} {S_END} "{eday}T18:00:00{eoff}"^^<{XSD}dateTime> .\n')
            else:
                ehour = min(hour + 1 + int(x * 4), 23)
                lines.append(f'{s} {S_END} "{day}T{ehour:02d}:{minute:02d}:00{off}"^^<{XSD}dateTime> .\n')
        place = org if r() < 0.7 else int(r() * (last + 1))
        lines.append(f"{s} {S_LOCATION} <{BASE}place/bench-{place}> .\n")
        if defect == 4:
            lines.append(f"{s} {S_ORGANIZER} <{BASE}place/bench-{place}> .\n")
        else:
            lines.append(f"{s} {S_ORGANIZER} <{BASE}alternative/bench-{org}> .\n")
        x = r()
        status = SCHEDULED if x < 0.93 else (CANCELLED if x < 0.98 else POSTPONED)
        lines.append(f"{s} {S_STATUS} {status} .\n")
        lines.append(f'{s} {S_INLANG} "{LANGUAGES[int(r() * len(LANGUAGES))]}" .\n')
        if defect == 6:
            bad = UNKNOWN_CATEGORY_SLUGS[n % len(UNKNOWN_CATEGORY_SLUGS)]
            lines.append(f"{s} {M_CATEGORY} <{BASE}category/{bad}> .\n")
        else:
            lines.append(f"{s} {M_CATEGORY} {cat_iri} .\n")
        if r() < 0.5:
            lines.append(f"{s} {S_FREE} {TRUE if r() < 0.8 else FALSE} .\n")
        if r() < 0.1:
            lines.append(f'{s} {M_RRULE} "{RRULES[int(r() * len(RRULES))]}" .\n')
        if r() < 0.2:
            lines.append(f"{s} {S_URL} <https://agenda.example/{n}> .\n")
        self.counts["event"] += 1
        return focus, lines, defect


def _write(gen: Generator, triples: int, out_path: str, defects_path: str) -> int:
    """Stream the records into out_path and the defects into defects_path; return the
    number of triples written."""
    written = 0
    n_defects = 0
    with open(out_path, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out, \
            open(defects_path, "w", encoding="utf-8", newline="\n") as side:
        side.write("{")
        lines = gen.static()
        out.write("".join(lines))
        written += len(lines)
        cycle = 0
        event_n = 0
        chunk: list[str] = []
        done = written >= triples

        def emit(record):
            nonlocal written, n_defects
            focus, rec_lines, defect = record
            chunk.extend(rec_lines)
            written += len(rec_lines)
            if defect is not None:
                side.write(("," if n_defects else "") + f"\n  {json.dumps(focus)}: "
                           f"{json.dumps(DEFECT_KINDS[defect])}")
                n_defects += 1
            return written >= triples

        while not done:
            # The place first: alternative n is located at place n.
            done = emit(gen.place(cycle)) or emit(gen.alternative(cycle))
            # 4 to 6 events per cycle, 5 on average.
            events = 4 + int(gen.rng.random() * 3)
            for _ in range(events):
                if done:
                    break
                done = emit(gen.event(event_n, cycle))
                event_n += 1
            cycle += 1
            if len(chunk) > 20000 or done:
                out.write("".join(chunk))
                chunk.clear()
        side.write("\n}\n" if n_defects else "}\n")
    return written


def generate(triples: int, out_path: str, invalid_share: float = 0.0, seed: int = 42,
             today: dt.date | None = None, log=sys.stderr) -> dict:
    """Write the N-Triples file and its FILE.defects.json sidecar; return a summary."""
    started = time.perf_counter()
    gen = Generator(seed, invalid_share, today or dt.date.today())
    defects_path = out_path + ".defects.json"
    tmp_out, tmp_defects = out_path + ".part", defects_path + ".part"
    try:
        written = _write(gen, triples, tmp_out, tmp_defects)
    except BaseException:
        for path in (tmp_out, tmp_defects):
            try:
                os.remove(path)
            except OSError:
                pass
        raise
    os.replace(tmp_out, out_path)
    os.replace(tmp_defects, defects_path)
    elapsed = time.perf_counter() - started
    summary = {
        "triples": written,
        "alternatives": gen.counts["alternative"],
        "places": gen.counts["place"],
        "events": gen.counts["event"],
        "categories": len(CATEGORIES),
        "licences": len(LICENCES),
        "defects": {k: c for k, c in zip(DEFECT_KINDS, gen.defect_counts)},
        "seconds": round(elapsed, 3),
        "bytes": os.path.getsize(out_path),
    }
    if log is not None:
        print(f"wrote {written} triples to {out_path} in {elapsed:.2f} s "
              f"({summary['bytes'] / 1e6:.1f} MB): {summary['alternatives']} alternatives, "
              f"{summary['places']} places, {summary['events']} events, "
              f"{summary['categories']} categories, {summary['licences']} licences", file=log)
        total = sum(gen.defect_counts)
        print(f"defects injected: {total} (share {invalid_share:g}) -> {defects_path}", file=log)
        for kind, count in summary["defects"].items():
            if invalid_share > 0:
                print(f"  {kind}: {count}", file=log)
    return summary


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value:g}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="generate.py",
        description="Write realistic synthetic Mutu data (alternatives, places, events, "
                    "categories, licences) as N-Triples, streaming and deterministic.",
        epilog="Also writes FILE.defects.json: {focus IRI: defect kind} for the injected "
               "defects (an empty object when --invalid-share is 0). Defect kinds: "
               + ", ".join(DEFECT_KINDS) + ".")
    parser.add_argument("--triples", "-n", type=_positive, required=True,
                        help="number of triples to write (the file holds exactly or slightly "
                             "more: generation stops after the record that reaches it)")
    parser.add_argument("--out", "-o", required=True, help="output file (N-Triples)")
    parser.add_argument("--invalid-share", type=_share, default=0.0, metavar="X",
                        help="share (0..1) of records that get exactly one defect (default 0)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--today", type=_date, default=None, metavar="YYYY-MM-DD",
                        help="the date events are spread around (today-30 to today+365 days; "
                             "default: the current date). Fix it for byte-identical output.")
    parser.add_argument("--format", choices=("nt",), default="nt",
                        help="output format (only N-Triples)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    parent = os.path.dirname(os.path.abspath(args.out))
    try:
        os.makedirs(parent, exist_ok=True)
        generate(args.triples, args.out, args.invalid_share, args.seed, args.today)
    except OSError as exc:
        print(f"generate.py: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
