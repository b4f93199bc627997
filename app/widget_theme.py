"""The look of an embedded widget from a few URL parameters, validated strictly (400 otherwise).

Colours reach the page's CSS only after matching `HEX`, as `#rrggbb`; the font is a key into
`FONTS`; nothing a client sends is placed in a style block as text it chose.

    >>> theme({"accent": "c0392b", "n": "5"}).accent
    '#c0392b'
    >>> theme({"accent": "red"})
    Traceback (most recent call last):
    ...
    app.params.ParameterError: parameter 'accent': must be a hex colour: 3 or 6 hex digits, with or without a leading # (e.g. 2f6f4f)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from .i18n import LANGUAGES
from .params import ParameterError

THEME_ARGS = ("accent", "bg", "text", "font", "lang", "n", "compact")
HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")  # used with fullmatch: no "$" before a newline
# Unquoted family names: the style block is autoescaped, and a quote would become &#39; there.
FONTS = {"system": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
         "serif": "Georgia, Times New Roman, serif"}
DEFAULTS = {"accent": "#2f6f4f", "bg": "#ffffff", "text": "#1d1d1d"}
MAX_ITEMS = 50
MIN_CONTRAST = 4.5  # WCAG 2 AA for normal text


@dataclass(frozen=True)
class Theme:
    """Validated look of a widget: colours as #rrggbb, a font key, item count, compact layout."""

    accent: str = DEFAULTS["accent"]
    bg: str = DEFAULTS["bg"]
    text: str = DEFAULTS["text"]
    font: str = "system"
    n: int = 10
    compact: bool = False

    @property
    def font_stack(self) -> str:
        return FONTS[self.font]

    def css(self) -> str:
        """CSS custom properties for the page's style block (values validated above)."""
        return (f":root{{--mutu-accent:{self.accent};--mutu-bg:{self.bg};--mutu-text:{self.text};"
                f"--mutu-font:{self.font_stack}}}")


def _single(args: Mapping[str, str], name: str) -> str | None:
    getlist = getattr(args, "getlist", None)
    values = getlist(name) if getlist else ([args[name]] if name in args else [])
    if len(values) > 1:
        raise ParameterError(name, "is given more than once")
    return values[0] if values else None


def colour(name: str, raw: str) -> str:
    """`raw` as #rrggbb, or a ParameterError naming the parameter."""
    match = HEX.fullmatch(raw)
    if not match:
        raise ParameterError(name, "must be a hex colour: 3 or 6 hex digits, with or without a "
                             "leading # (e.g. 2f6f4f)")
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def _luminance(hex_colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def theme(args: Mapping[str, str], *, default_n: int = 10) -> Theme:
    """Parse the theme parameters; unreadable text (contrast below 4.5:1 against bg) is a 400."""
    values: dict = {}
    for name in ("accent", "bg", "text"):
        raw = _single(args, name)
        if raw is not None:
            values[name] = colour(name, raw)
    font = _single(args, "font")
    if font is not None:
        if font not in FONTS:
            raise ParameterError("font", f"must be one of {', '.join(FONTS)}")
        values["font"] = font
    lang = _single(args, "lang")
    if lang is not None and lang not in LANGUAGES:
        raise ParameterError("lang", f"must be one of {', '.join(LANGUAGES)}")
    n = _single(args, "n")
    if n is not None:
        if not re.fullmatch(r"[0-9]{1,3}", n) or not 1 <= int(n) <= MAX_ITEMS:
            raise ParameterError("n", f"must be a whole number from 1 to {MAX_ITEMS}")
        values["n"] = int(n)
    else:
        values["n"] = default_n
    compact = _single(args, "compact")
    if compact is not None:
        if compact not in ("0", "1"):
            raise ParameterError("compact", "must be 0 or 1")
        values["compact"] = compact == "1"
    result = Theme(**values)
    for name in ("text", "accent"):
        ratio = contrast(getattr(result, name), result.bg)
        if ratio < MIN_CONTRAST:
            raise ParameterError(name, f"{getattr(result, name)} on bg {result.bg} has a contrast of "
                                 f"{ratio:.1f}:1; at least {MIN_CONTRAST}:1 is needed to be readable")
    return result
