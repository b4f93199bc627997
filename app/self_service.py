"""Self-service for collectives: edit one's own alternative record, add and cancel events.

A small server-rendered form (no JavaScript needed), in French, Dutch and English, on
`/self-service`. A collective enters its *editor* token once; the session then holds the
token's SHA-256 (never the token itself) in Flask's signed session cookie, which is
HttpOnly, SameSite=Strict, limited to the path /self-service and Secure when the request
came over https. Every request looks the hash up again in the token registry, so a revoked
token stops working at once. Log out clears the session.

Every form carries a per-session random CSRF token in a hidden field; every POST compares
it with the session's using hmac.compare_digest and is refused with 403 (nothing changed)
when it is missing or wrong.

Writes go through app.writes, the path of SPARQL Update and the Graph Store Protocol: copies
of the graph, the token's write scope, SHACL validation of the graph as it would be (a
breach shows the report on the page and changes nothing), one transaction, the change log
(action "self-service").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import unicodedata
from pathlib import Path

import pyoxigraph as ox
from flask import (Blueprint, Flask, current_app, g, redirect, render_template, request, session,
                   url_for)
from flask.sessions import SecureCookieSessionInterface

from . import i18n, reading, writes
from .access import may_write
from .errors import BadRequest, Forbidden, InvalidData, NotFound
from .freshness import exempt
from .namespaces import MUTU, RDF, SCHEMA, SKOS, XSD
from .params import BRUSSELS
from .state import get_store, settings

bp = Blueprint("self_service", __name__, url_prefix="/self-service")
PATH = "/self-service"
LANGS = i18n.LANGUAGES
SCHEME = "https://mutu.brussels/categories"
ACTION = "self-service"
MAX_TEXT = {"name": 200, "description": 5000, "email": 254, "telephone": 40, "url": 2000}
EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
TELEPHONE = re.compile(r"^\+?[0-9 ./()\-]{6,40}$")

# Properties of an alternative the record form owns: saving replaces all their values.
EDITED = (SCHEMA + "name", SCHEMA + "description", SCHEMA + "url", SCHEMA + "email",
          SCHEMA + "telephone", MUTU + "category")

MESSAGES = {
    "title": ("Espace des collectifs", "Ruimte voor collectieven", "Collectives' space"),
    "intro": ("Avec le jeton d'édition de votre collectif, modifiez sa fiche et gérez ses événements. "
              "Chaque modification est validée, puis visible dans le journal public des modifications.",
              "Met het bewerkingstoken van uw collectief past u zijn fiche aan en beheert u zijn activiteiten. "
              "Elke wijziging wordt gevalideerd en verschijnt in het openbare wijzigingslogboek.",
              "With your collective's editor token, edit its record and manage its events. "
              "Every change is validated, then shown in the public change log."),
    "token": ("Jeton d'édition", "Bewerkingstoken", "Editor token"),
    "token_help": ("Le jeton reste sur le serveur le temps de la session ; il n'est jamais affiché.",
                   "Het token blijft enkel voor deze sessie op de server; het wordt nooit getoond.",
                   "The token is kept on the server for this session only; it is never shown."),
    "login": ("Se connecter", "Aanmelden", "Sign in"),
    "logout": ("Se déconnecter", "Afmelden", "Sign out"),
    "bad_token": ("Jeton inconnu ou révoqué.", "Onbekend of ingetrokken token.", "Unknown or revoked token."),
    "not_editor": ("Ce jeton n'est pas un jeton d'édition de collectif.",
                   "Dit token is geen bewerkingstoken van een collectief.",
                   "This token is not a collective's editor token."),
    "signed_in": ("Connecté avec le jeton", "Aangemeld met het token", "Signed in with the token"),
    "your_alternatives": ("Vos alternatives", "Uw alternatieven", "Your alternatives"),
    "no_alternatives": ("Aucune alternative dans vos graphes.", "Geen alternatieven in uw grafen.",
                        "No alternative in your graphs."),
    "graph": ("Graphe", "Graaf", "Graph"),
    "edit": ("Modifier", "Bewerken", "Edit"),
    "record": ("Fiche", "Fiche", "Record"),
    "name": ("Nom", "Naam", "Name"),
    "description": ("Description", "Beschrijving", "Description"),
    "in_lang": ("en", "in het", "in"),
    "url": ("Site web", "Website", "Website"),
    "email": ("Courriel", "E-mail", "Email"),
    "telephone": ("Téléphone", "Telefoon", "Telephone"),
    "categories": ("Catégories", "Categorieën", "Categories"),
    "save": ("Enregistrer", "Opslaan", "Save"),
    "events": ("Événements", "Activiteiten", "Events"),
    "no_events": ("Aucun événement.", "Geen activiteiten.", "No events."),
    "add_event": ("Ajouter un événement", "Activiteit toevoegen", "Add an event"),
    "start": ("Début (heure de Bruxelles)", "Begin (Brusselse tijd)", "Start (Brussels time)"),
    "end": ("Fin (heure de Bruxelles, facultatif)", "Einde (Brusselse tijd, optioneel)",
            "End (Brussels time, optional)"),
    "place": ("Lieu", "Plaats", "Place"),
    "add": ("Ajouter", "Toevoegen", "Add"),
    "cancel": ("Annuler cet événement", "Deze activiteit annuleren", "Cancel this event"),
    "cancelled": ("annulé", "geannuleerd", "cancelled"),
    "saved": ("La fiche est enregistrée.", "De fiche is opgeslagen.", "The record is saved."),
    "added": ("L'événement est ajouté.", "De activiteit is toegevoegd.", "The event is added."),
    "was_cancelled": ("L'événement est annulé.", "De activiteit is geannuleerd.", "The event is cancelled."),
    "unchanged": ("Rien n'a changé.", "Er is niets veranderd.", "Nothing changed."),
    "refused": ("Modification refusée : rien n'a été changé.", "Wijziging geweigerd: er is niets veranderd.",
                "Change refused: nothing was changed."),
    "report": ("Rapport de validation", "Validatierapport", "Validation report"),
    "focus": ("Ressource", "Bron", "Resource"),
    "property": ("Propriété", "Eigenschap", "Property"),
    "value": ("Valeur", "Waarde", "Value"),
    "message": ("Problème", "Probleem", "Problem"),
    "back": ("Retour à vos alternatives", "Terug naar uw alternatieven", "Back to your alternatives"),
    "public_page": ("Page publique", "Openbare pagina", "Public page"),
    "changes": ("Journal des modifications", "Wijzigingslogboek", "Change log"),
    "bad_url": ("Le site web doit être une adresse http:// ou https://.",
                "De website moet een http://- of https://-adres zijn.",
                "The website must be an http:// or https:// address."),
    "bad_email": ("Adresse courriel invalide.", "Ongeldig e-mailadres.", "Invalid email address."),
    "bad_telephone": ("Numéro de téléphone invalide (chiffres, espaces, +, -, /, ., parenthèses).",
                      "Ongeldig telefoonnummer (cijfers, spaties, +, -, /, ., haakjes).",
                      "Invalid telephone number (digits, spaces, +, -, /, ., brackets)."),
    "bad_category": ("Catégorie inconnue.", "Onbekende categorie.", "Unknown category."),
    "bad_place": ("Choisissez un lieu de la liste.", "Kies een plaats uit de lijst.", "Choose a place from the list."),
    "bad_date": ("Date et heure attendues (AAAA-MM-JJ HH:MM).", "Datum en uur verwacht (JJJJ-MM-DD UU:MM).",
                 "A date and time is expected (YYYY-MM-DD HH:MM)."),
    "no_such_time": ("Cette heure n'existe pas à Bruxelles (changement d'heure).",
                     "Dit uur bestaat niet in Brussel (overgang zomer-/wintertijd).",
                     "This time does not exist in Brussels (clock change)."),
    "too_long": ("Texte trop long.", "Tekst te lang.", "Text too long."),
    "need_name": ("Donnez un nom dans au moins une langue.", "Geef een naam in minstens één taal.",
                  "Give a name in at least one language."),
}


def st(key: str, lang: str | None = None) -> str:
    """One message of this module in the request's language."""
    return MESSAGES[key][LANGS.index(lang or i18n.choose())]


# -- setup: session cookie and secret key ------------------------------------------------------

class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, Secure whenever the request came over https."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def init_app(app: Flask) -> None:
    """Register /self-service and configure the session cookie and the secret key."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(app.config["MUTU"])
    app.config.update(SESSION_COOKIE_NAME="mutu_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_PATH=PATH)
    app.session_interface = _SessionInterface()
    app.register_blueprint(bp)


def secret_key(config) -> str:
    """MUTU_SECRET_KEY, else a random key kept in `<store>.secret-key` (created on first use,
    mode 0600) so sessions survive restarts; a `:memory:` store gets a per-process key."""
    if getattr(config, "secret_key", ""):
        return config.secret_key
    location = config.store
    if location == ":memory:" or "://" in location:
        return secrets.token_hex(32)
    path = Path(os.path.abspath(location.rstrip("/\\") or ".") + ".secret-key")
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-key-")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, path)  # fails if another process created it first: use theirs
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
    finally:
        os.unlink(tmp)
    return key


# -- who is signed in, CSRF --------------------------------------------------------------------

def _session_viewer():
    """The editor viewer of the session's token hash, or None (none, revoked, not an editor)."""
    digest = session.get("token")
    if not isinstance(digest, str):
        return None
    found = None
    for record in current_app.extensions["mutu.tokens"].records():
        if hmac.compare_digest(record.sha256, digest) and not record.revoked:
            found = record
    if found is None or found.role != "editor":
        return None
    return found.viewer()


def csrf_token() -> str:
    """The session's CSRF token (made on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


@bp.before_request
def _before():
    if request.method == "POST":
        expected = session.get("csrf")
        sent = request.form.get("csrf", "")
        if not isinstance(expected, str) or not expected or \
                not hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8")):
            raise Forbidden("missing or wrong CSRF token: reload the form and try again; "
                            "nothing was changed")
    # Reads and writes of these pages act for the session's token, not a Bearer header.
    g.mutu_viewer = _session_viewer()
    g.pop("mutu_visible", None)


@bp.after_request
def _after(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'; form-action 'self'"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _editor():
    viewer = g.get("mutu_viewer")
    if viewer is None:
        raise Forbidden("sign in with an editor token first (on /self-service); nothing was changed")
    return viewer


def _render(template: str, status: int = 200, **context):
    lang = i18n.choose()
    html = render_template(template, lang=lang, st=st, csrf=csrf_token(), LANGS=LANGS,
                           viewer=g.get("mutu_viewer"), **context)
    return current_app.response_class(html, status=status, content_type="text/html; charset=utf-8",
                                      headers={"Content-Language": lang})


def _see(endpoint: str, **args):
    return redirect(url_for(endpoint, **args), code=303)


# -- reads ---------------------------------------------------------------------------------------

ALTERNATIVES = """PREFIX schema: <https://schema.org/>
SELECT DISTINCT ?g ?a ?name WHERE { GRAPH ?g {
  ?a a ?type . VALUES ?type { <https://w3id.org/mutu/ns#Alternative> schema:Organization }
  OPTIONAL { ?a schema:name ?name } } }"""
RECORD = "SELECT ?g ?a ?p ?o WHERE { GRAPH ?g { ?a ?p ?o } }"
EVENTS = """PREFIX schema: <https://schema.org/>
SELECT ?g ?a ?e ?name ?start ?status WHERE { GRAPH ?g {
  ?e schema:organizer ?a ; schema:startDate ?start .
  OPTIONAL { ?e schema:name ?name } OPTIONAL { ?e schema:eventStatus ?status } } }"""
PLACES = """PREFIX schema: <https://schema.org/>
SELECT ?p ?name WHERE { ?p a schema:Place . OPTIONAL { ?p schema:name ?name } } LIMIT 5000"""


def _alternatives(viewer) -> list[dict]:
    """[{graph, items: [{iri, name}]}] for each graph of the token's scope that the store has."""
    visible = set(reading.visible())
    out = []
    for graph in viewer.graphs:
        if graph not in visible:
            continue
        names: dict[str, list] = {}
        for row in reading.select(ALTERNATIVES, {"g": ox.NamedNode(graph)}):
            names.setdefault(row["a"].value, [])
            if "name" in row:
                names[row["a"].value].append(row["name"])
        items = [{"iri": iri, "name": i18n.pick(values)} for iri, values in names.items()]
        items.sort(key=lambda x: (str(x["name"].value).lower() if x["name"] else x["iri"]))
        out.append({"graph": graph, "items": items})
    return out


def _scope(viewer, graph: str) -> str:
    """The graph if the token may write it (403 otherwise)."""
    if not graph or not may_write(viewer, graph):
        raise Forbidden(f"the token {viewer.name!r} may not write <{graph}>; nothing was changed")
    return graph


def _record(graph: str, alternative: str) -> dict[str, list]:
    """The alternative's values in `graph`, by property (404 if it has none there)."""
    try:
        node = ox.NamedNode(alternative)
    except ValueError:
        raise NotFound(f"no alternative {alternative!r}") from None
    values: dict[str, list] = {}
    for row in reading.select(RECORD, {"g": ox.NamedNode(graph), "a": node}):
        values.setdefault(row["p"].value, []).append(row["o"])
    types = {o.value for o in values.get(RDF + "type", [])}
    if not types & {MUTU + "Alternative", SCHEMA + "Organization"}:
        raise NotFound(f"no alternative <{alternative}> in <{graph}>")
    return values


def _events(graph: str, alternative: str) -> list[dict]:
    found: dict[str, dict] = {}
    for row in reading.select(EVENTS, {"g": ox.NamedNode(graph), "a": ox.NamedNode(alternative)}):
        e = found.setdefault(row["e"].value, {"iri": row["e"].value, "names": [], "start": row["start"],
                                               "cancelled": False})
        if "name" in row and row["name"] not in e["names"]:
            e["names"].append(row["name"])
        if "status" in row and row["status"].value == SCHEMA + "EventCancelled":
            e["cancelled"] = True
    events = sorted(found.values(), key=lambda e: e["start"].value)
    for e in events:
        e["name"] = i18n.pick(e["names"])
        e["when"] = _local_time(e["start"].value)
    return events


def _local_time(value: str) -> str:
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if when.tzinfo is None:
        return value
    return when.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M")


def _places() -> list[tuple[str, str]]:
    names: dict[str, list] = {}
    for row in reading.select(PLACES):
        names.setdefault(row["p"].value, [])
        if "name" in row:
            names[row["p"].value].append(row["name"])
    places = [(iri, str(i18n.pick(v).value) if v else iri) for iri, v in names.items()]
    return sorted(places, key=lambda p: p[1].lower())


def _categories() -> list[tuple[str, str]]:
    """(IRI, label) of the concepts of the shipped category scheme, by label."""
    import rdflib

    from .pipeline import shipped_context

    scheme = shipped_context()
    in_scheme, pref = rdflib.URIRef(SKOS + "inScheme"), rdflib.URIRef(SKOS + "prefLabel")
    out = []
    for concept in set(scheme.subjects(in_scheme, rdflib.URIRef(SCHEME))):
        labels = [ox.Literal(str(l), language=l.language) if l.language else ox.Literal(str(l))
                  for l in scheme.objects(concept, pref)]
        label = i18n.pick(labels)
        out.append((str(concept), str(label.value) if label else str(concept)))
    return sorted(out, key=lambda c: c[1].lower())


# -- form parsing -------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(name: str, kind: str, errors: list[str], *, multiline: bool = False) -> str:
    value = _CONTROL.sub("", request.form.get(name, "")).strip()
    if not multiline:
        value = " ".join(value.split())
    if len(value) > MAX_TEXT[kind]:
        errors.append(f"{st(kind)}: {st('too_long')} (max {MAX_TEXT[kind]})")
        value = value[:MAX_TEXT[kind]]
    return value


def _lang_texts(field: str, kind: str, errors: list[str], **kw) -> dict[str, str]:
    return {lang: _text(f"{field}_{lang}", kind, errors, **kw) for lang in LANGS}


def _chosen_categories(errors: list[str]) -> list[str]:
    known = {iri for iri, _ in _categories()}
    chosen = [c for c in dict.fromkeys(request.form.getlist("category")) if c]
    if any(c not in known for c in chosen):
        errors.append(st("bad_category"))
    return [c for c in chosen if c in known]


def _brussels_time(name: str, errors: list[str], *, required: bool) -> str | None:
    """A local Brussels date-time from the form as xsd:dateTime text with its offset."""
    raw = request.form.get(name, "").strip()
    if not raw:
        if required:
            errors.append(f"{st('start')}: {st('bad_date')}")
        return None
    label = st("start" if name == "start" else "end")
    try:
        naive = dt.datetime.fromisoformat(raw.replace(" ", "T"))
    except ValueError:
        errors.append(f"{label}: {st('bad_date')}")
        return None
    if naive.tzinfo is not None:
        errors.append(f"{label}: {st('bad_date')}")
        return None
    aware = naive.replace(tzinfo=BRUSSELS, second=0, microsecond=0)
    # A time skipped by the spring clock change does not survive the round trip through UTC.
    if aware.astimezone(dt.timezone.utc).astimezone(BRUSSELS).replace(tzinfo=None) != aware.replace(tzinfo=None):
        errors.append(f"{label}: {st('no_such_time')}")
        return None
    return aware.isoformat(timespec="seconds")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text))[:50].strip("-") or "event"


def _graph_node(graph: str, default_iri: str):
    return ox.DefaultGraph() if graph == default_iri else ox.NamedNode(graph)


def _write(viewer, graph: str, operation) -> writes.WriteResult:
    return writes.execute(get_store(), settings().base_iri, viewer, operation=operation,
                          referenced={graph}, action=ACTION)


# -- pages ---------------------------------------------------------------------------------------

@bp.route("", methods=["GET"])
@exempt
def home():
    viewer = g.get("mutu_viewer")
    if viewer is None:
        return _render("self_service/login.html")
    return _render("self_service/home.html", groups=_alternatives(viewer))


@bp.route("/login", methods=["POST"])
@exempt
def login():
    token = request.form.get("token", "").strip()
    record = current_app.extensions["mutu.tokens"].authenticate(token) if token else None
    if record is None or record.role != "editor":
        message = st("bad_token") if record is None else st("not_editor")
        g.mutu_viewer = None
        return _render("self_service/login.html", status=403, error=message)
    session.clear()
    session["token"] = hashlib.sha256(token.encode("utf-8")).hexdigest()
    session["csrf"] = secrets.token_urlsafe(32)  # a new CSRF token for the signed-in session
    return _see("self_service.home")


@bp.route("/logout", methods=["POST"])
@exempt
def logout():
    session.clear()
    return _see("self_service.home")


def _edit_page(viewer, graph: str, alternative: str, *, status: int = 200, form=None,
               errors=(), report=None, event_form=None):
    values = _record(graph, alternative)
    if form is None:
        def by_lang(prop):
            return {lang: next((o.value for o in values.get(prop, []) if getattr(o, "language", None) == lang), "")
                    for lang in LANGS}

        def first(prop):
            return next((o.value for o in values.get(prop, [])), "")

        form = {"name": by_lang(SCHEMA + "name"), "description": by_lang(SCHEMA + "description"),
                "url": first(SCHEMA + "url"), "email": first(SCHEMA + "email"),
                "telephone": first(SCHEMA + "telephone"),
                "categories": [o.value for o in values.get(MUTU + "category", [])]}
    name = i18n.pick(values.get(SCHEMA + "name", []))
    base = settings().base_iri
    public = "/" + alternative[len(base):] if alternative.startswith(base) else None
    done = request.args.get("done")
    return _render("self_service/edit.html", status=status, graph=graph, alternative=alternative,
                   name=name, form=form, events=_events(graph, alternative), places=_places(),
                   categories=_categories(), errors=list(errors), report=report, public=public,
                   done=done if done in ("saved", "added", "was_cancelled", "unchanged") else None,
                   event_form=event_form or {"name": {}, "description": {}, "categories": []})


@bp.route("/edit", methods=["GET"])
@exempt
def edit():
    viewer = _editor()
    graph = _scope(viewer, request.args.get("graph", ""))
    return _edit_page(viewer, graph, request.args.get("alternative", ""))


def _refused(viewer, graph, alternative, error, **kw):
    """The edit page again, with the form as sent and why nothing was written."""
    if isinstance(error, InvalidData):
        return _edit_page(viewer, graph, alternative, status=422, report=_report_rows(error.report), **kw)
    return _edit_page(viewer, graph, alternative, status=error.status, errors=[error.message], **kw)


def _report_rows(report) -> list[dict]:
    return [{"focus": str(r.focus), "path": r.path or "", "value": "" if r.value is None else str(r.value),
             "message": r.message} for r in report.violations]


@bp.route("/edit", methods=["POST"])
@exempt
def save():
    viewer = _editor()
    graph = _scope(viewer, request.form.get("graph", ""))
    alternative = request.form.get("alternative", "")
    _record(graph, alternative)  # 404 unless the alternative is described in this graph
    errors: list[str] = []
    names = _lang_texts("name", "name", errors)
    descriptions = _lang_texts("description", "description", errors, multiline=True)
    url = _text("url", "url", errors)
    email = _text("email", "email", errors)
    telephone = _text("telephone", "telephone", errors)
    categories = _chosen_categories(errors)
    if url:
        try:
            ox.NamedNode(url)
            ok = re.match(r"^https?://[^\s/]+", url, re.I) is not None
        except ValueError:
            ok = False
        if not ok:
            errors.append(st("bad_url"))
    if email and not EMAIL.match(email):
        errors.append(st("bad_email"))
    if telephone and not TELEPHONE.match(telephone):
        errors.append(st("bad_telephone"))
    form = {"name": names, "description": descriptions, "url": url, "email": email,
            "telephone": telephone, "categories": categories}
    if errors:
        return _edit_page(viewer, graph, alternative, status=400, form=form, errors=errors)

    subject = ox.NamedNode(alternative)
    new = [(SCHEMA + "name", ox.Literal(v, language=lang)) for lang, v in names.items() if v]
    new += [(SCHEMA + "description", ox.Literal(v, language=lang)) for lang, v in descriptions.items() if v]
    if url:
        new.append((SCHEMA + "url", ox.NamedNode(url)))
    if email:
        new.append((SCHEMA + "email", ox.Literal(email)))
    if telephone:
        new.append((SCHEMA + "telephone", ox.Literal(telephone)))
    new += [(MUTU + "category", ox.NamedNode(c)) for c in categories]

    def operation(scratch: ox.Store, default_iri: str) -> None:
        name = _graph_node(graph, default_iri)
        for prop in EDITED:
            for quad in list(scratch.quads_for_pattern(subject, ox.NamedNode(prop), None, name)):
                scratch.remove(quad)
        for prop, value in new:
            scratch.add(ox.Quad(subject, ox.NamedNode(prop), value, name))

    try:
        result = _write(viewer, graph, operation)
    except (InvalidData, BadRequest, Forbidden) as error:
        return _refused(viewer, graph, alternative, error, form=form)
    return _see("self_service.edit", graph=graph, alternative=alternative,
                done="saved" if result.changes else "unchanged")


@bp.route("/events", methods=["POST"])
@exempt
def add_event():
    viewer = _editor()
    graph = _scope(viewer, request.form.get("graph", ""))
    alternative = request.form.get("alternative", "")
    _record(graph, alternative)
    errors: list[str] = []
    names = _lang_texts("name", "name", errors)
    descriptions = _lang_texts("description", "description", errors, multiline=True)
    categories = _chosen_categories(errors)
    start = _brussels_time("start", errors, required=True)
    end = _brussels_time("end", errors, required=False)
    place = request.form.get("place", "")
    if place not in {iri for iri, _ in _places()}:
        errors.append(st("bad_place"))
    if not any(names.values()):
        errors.append(st("need_name"))
    event_form = {"name": names, "description": descriptions, "categories": categories,
                  "start": request.form.get("start", ""), "end": request.form.get("end", ""), "place": place}
    if errors:
        return _edit_page(viewer, graph, alternative, status=400, errors=errors, event_form=event_form)

    first = next(v for lang in LANGS if (v := names[lang]))
    slug = f"{_slug(first)}-{start[:10]}-{secrets.token_hex(3)}"
    event = ox.NamedNode(f"{settings().base_iri}event/{slug}")
    date_time = ox.NamedNode(XSD + "dateTime")
    triples = [(RDF + "type", ox.NamedNode(MUTU + "Event")), (RDF + "type", ox.NamedNode(SCHEMA + "Event")),
               (SCHEMA + "startDate", ox.Literal(start, datatype=date_time)),
               (SCHEMA + "location", ox.NamedNode(place)),
               (SCHEMA + "organizer", ox.NamedNode(alternative)),
               (SCHEMA + "eventStatus", ox.NamedNode(SCHEMA + "EventScheduled"))]
    if end:
        triples.append((SCHEMA + "endDate", ox.Literal(end, datatype=date_time)))
    triples += [(SCHEMA + "name", ox.Literal(v, language=lang)) for lang, v in names.items() if v]
    triples += [(SCHEMA + "description", ox.Literal(v, language=lang)) for lang, v in descriptions.items() if v]
    triples += [(MUTU + "category", ox.NamedNode(c)) for c in categories]

    def operation(scratch: ox.Store, default_iri: str) -> None:
        name = _graph_node(graph, default_iri)
        scratch.extend(ox.Quad(event, ox.NamedNode(p), o, name) for p, o in triples)

    try:
        _write(viewer, graph, operation)
    except (InvalidData, BadRequest, Forbidden) as error:
        return _refused(viewer, graph, alternative, error, event_form=event_form)
    return _see("self_service.edit", graph=graph, alternative=alternative, done="added")


@bp.route("/events/cancel", methods=["POST"])
@exempt
def cancel_event():
    viewer = _editor()
    graph = _scope(viewer, request.form.get("graph", ""))
    alternative = request.form.get("alternative", "")
    _record(graph, alternative)
    iri = request.form.get("event", "")
    if iri not in {e["iri"] for e in _events(graph, alternative)}:
        raise NotFound(f"no event <{iri}> of this alternative in <{graph}>")
    event, status = ox.NamedNode(iri), ox.NamedNode(SCHEMA + "eventStatus")

    def operation(scratch: ox.Store, default_iri: str) -> None:
        name = _graph_node(graph, default_iri)
        for quad in list(scratch.quads_for_pattern(event, status, None, name)):
            scratch.remove(quad)
        scratch.add(ox.Quad(event, status, ox.NamedNode(SCHEMA + "EventCancelled"), name))

    try:
        _write(viewer, graph, operation)
    except (InvalidData, BadRequest, Forbidden) as error:
        return _refused(viewer, graph, alternative, error)
    return _see("self_service.edit", graph=graph, alternative=alternative, done="was_cancelled")
