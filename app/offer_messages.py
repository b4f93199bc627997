"""Interface messages of the offers and requests pages (fr, nl, en), merged into app.i18n."""

MESSAGES = {
    "offers": ("Offres et demandes", "Aanbod en vragen", "Offers and requests"),
    "offers_all": ("Tout", "Alles", "All"),
    "offers_offers": ("Offres", "Aanbod", "Offers"),
    "offers_requests": ("Demandes", "Vragen", "Requests"),
    "offer": ("Offre", "Aanbod", "Offer"),
    "request": ("Demande", "Vraag", "Request"),
    "offer_kind": ("Type", "Soort", "Kind"),
    "offer_conditions": ("Conditions", "Voorwaarden", "Terms"),
    "offer_price": ("Prix", "Prijs", "Price"),
    "offer_availability": ("Disponibilité", "Beschikbaarheid", "Availability"),
    "offered_by": ("Proposé par", "Aangeboden door", "Offered by"),
    "sought_by": ("Demandé par", "Gevraagd door", "Sought by"),
    "offer_contact": ("Contact", "Contact", "Contact"),
    "offer_contact_reserved": (
        "pas de contact public : les coordonnées peuvent être réservées aux partenaires. "
        "Passez par la page de l'alternative",
        "geen openbaar contact: de gegevens kunnen enkel voor partners zijn. "
        "Ga via de pagina van het alternatief",
        "no public contact: the details may be reserved to partners. "
        "Ask through the alternative's page"),
    "near": ("Près de (commune ou code postal)", "Dichtbij (gemeente of postcode)",
             "Near (commune or postal code)"),
    "radius_km": ("Rayon (km)", "Straal (km)", "Radius (km)"),
    "distance": ("à {} km", "op {} km", "{} km away"),
    "what_we_offer": ("Ce que nous offrons", "Wat we aanbieden", "What we offer"),
    "what_we_seek": ("Ce que nous cherchons", "Wat we zoeken", "What we seek"),
    "kind_skill": ("compétence", "vaardigheid", "skill"),
    "kind_service": ("service", "dienst", "service"),
    "kind_room": ("local", "lokaal", "room"),
    "kind_equipment": ("matériel", "materiaal", "equipment"),
    "conditions_free": ("gratuit", "gratis", "free"),
    "conditions_exchange": ("en échange", "in ruil", "in exchange"),
    "conditions_paid": ("payant", "betalend", "paid"),
    "all_kinds": ("tous", "alle", "all"),
}
