"""app.urlencoded decodes form bodies exactly as urllib.parse.parse_qsl does (blank values
kept, UTF-8 strict), on random bodies and on the edge cases of percent-escapes."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl, urlencode

import pytest

from app import urlencoded


def reference(body: bytes):
    try:
        return parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return "not UTF-8"


def decoded(body: bytes):
    try:
        return urlencoded.parse(body)
    except UnicodeDecodeError:
        return "not UTF-8"


@pytest.mark.parametrize("body", [
    b"", b"query=ASK+%7B%7D", b"%C3%A9=%E2%82%AC", b"a=%C3", b"a=%", b"a=%4", b"a=%41%", b"a=%zz",
    b"a==b", b"&&a&", b"a", b"a=&b", b"q=%5C%78%34%31", b"q=\\x41", b"q=%5C%5C", b"q=a%2Bb+c",
    b"q=%00%FF", "q=é".encode(), b"q=%F0%9F%98%80", b"q=%ED%A0%80",
])
def test_edge_cases_decode_like_parse_qsl(body):
    assert decoded(body) == reference(body)


def test_random_bodies_decode_like_parse_qsl():
    rng = random.Random(20261129)
    alphabet = "ab%+=&\\xé€\U0001F600 ?{}\n\t;#0F9"
    for _ in range(5000):
        fields = [("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))),
                   "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))))
                  for _ in range(rng.randint(0, 4))]
        body = urlencode(fields).encode()
        assert decoded(body) == reference(body) == fields
        raw = "".join(rng.choice("ab%+=&\\x41zZ0é") for _ in range(rng.randint(0, 15))).encode()
        assert decoded(raw) == reference(raw), raw
        noise = bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 8)))
        assert decoded(noise) == reference(noise), noise
