"""The digest's words and its Markdown escaping (no app, no store)."""

from __future__ import annotations

import datetime as dt

import pytest

from app import digest_text
from app.digest_formats import md_text, md_url


def test_every_message_has_french_dutch_and_english():
    for key, texts in digest_text.MESSAGES.items():
        assert len(texts) == 3 and all(t.strip() for t in texts), key
        fields = [sorted(part.split("}")[0] for part in t.split("{")[1:]) for t in texts]
        assert fields[0] == fields[1] == fields[2], key


def test_dates_in_three_languages():
    day = dt.date(2026, 12, 5)
    assert digest_text.long_date(day, "fr") == "samedi 5 décembre 2026"
    assert digest_text.long_date(day, "nl") == "zaterdag 5 december 2026"
    assert digest_text.day_heading(day, "en") == "Saturday 5 December 2026"
    assert digest_text.day_heading(day, "fr") == "Samedi 5 décembre 2026"


@pytest.mark.parametrize("raw, escaped", [
    ("Repair *Café* _du_ [coin] <b>", r"Repair \*Café\* \_du\_ \[coin\] \<b\>"),
    ("`code` #1 | ~x~ back\\slash", r"\`code\` \#1 \| \~x\~ back\\slash"),
    ("- not a list", r"\- not a list"),
    ("+ nor this", r"\+ nor this"),
    ("2026. not ordered", r"2026\. not ordered"),
    ("=== not a heading", r"\=== not a heading"),
    ("&amp; stays text & so does this", r"\&amp; stays text & so does this"),
    ("Saint-Gilles, 10.5 km (approx.)!", "Saint-Gilles, 10.5 km (approx.)!"),
    ("two\nlines\t and  spaces", "two lines and spaces"),
])
def test_markdown_escaping(raw, escaped):
    assert md_text(raw) == escaped


def test_link_destinations_cannot_close_early():
    assert md_url("https://x.example/a b(c)<d>") == "https://x.example/a%20b%28c%29%3Cd%3E"
