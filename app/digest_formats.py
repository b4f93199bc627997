"""A digest (app.digest.Digest) written as Markdown, an HTML fragment or an e-mail HTML page.

The HTML forms come from Jinja templates (autoescaped) with inline `style` attributes only:
newsletter tools and mail clients drop `<style>`, classes and scripts. Markdown escapes every
character of the data that Markdown or inline HTML would read as markup.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import render_template

from .digest import Digest, Link

# Characters that are markup wherever they stand (emphasis, links, inline HTML, code, headings'
# closing #, GFM tables and strikethrough); CommonMark reads a backslash before them as the
# character itself. Parentheses and "!" only act next to "[" / "]", which are escaped.
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")
# Markup only at the start of a line: list markers, ordered lists, setext underlines.
_LEADING = re.compile(r"^([-+=]|[0-9]+(?=[.)]))")
# "&amp;" and "&#60;" are entity references; a lone "&" is plain text.
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


def md_text(text: str) -> str:
    """Data text safe inside Markdown: one line, every markup character backslash-escaped."""
    text = _SPECIAL.sub(r"\\\1", " ".join(text.split()))
    text = _ENTITY.sub(r"\\&", text)
    match = _LEADING.match(text)
    if match and not match.group(1)[0].isdigit():
        return "\\" + text
    if match:  # "1." -> "1\.": the escape goes before the punctuation
        end = match.end()
        return text[:end] + "\\" + text[end:]
    return text


def md_url(url: str) -> str:
    """A link destination that cannot end the link early (spaces, parentheses, brackets encoded)."""
    return quote(url, safe=":/?#@!$&'*+,;=%-._~")


def md_link(link: Link) -> str:
    return f"[{md_text(link.text)}]({md_url(link.url)})"


def markdown(d: Digest) -> str:
    """The digest as Markdown (also readable as plain text)."""
    out = [f"# {md_text(d.title)}", "", md_text(d.period), "", f"## {md_text(d.say('agenda'))}", ""]
    if not d.days:
        out += [md_text(d.say("no_events")), ""]
    for day in d.days:
        out += [f"### {md_text(day.label)}", ""]
        for event in day.events:
            line = f"- {md_text(event.time)} · **{md_link(event.name)}**"
            if event.cancelled:
                line += f" ({md_text(d.say('cancelled'))})"
            if event.place:
                line += f" · {md_link(event.place)}"
            if event.where:
                line += f" ({md_text(event.where)})"
            if event.organizer:
                line += f" · {md_text(d.say('by'))} {md_link(event.organizer)}"
            out.append(line)
        out.append("")
    out += [f"{md_link(d.more_events or d.agenda)}", ""]
    out += [f"## {md_text(d.changed_since)}", ""]
    for section in d.sections:
        out += [f"### {md_text(section.title)}", ""]
        if not section.items:
            out += [md_text(d.say("nothing_changed")), ""]
            continue
        for item in section.items:
            line = f"- **{md_link(item.name)}**"
            if item.by:
                line += f" · {md_text(d.say('by'))} {md_link(item.by)}"
            if item.notes:
                line += " · " + " · ".join(md_text(n) for n in item.notes)
            if item.summary:
                line += f"  \n  {md_text(item.summary)}"
            out.append(line)
        if section.more:
            out += ["", md_link(section.more)]
        out.append("")
    out += ["---", "", f"{md_text(d.say('footer'))} {md_url(d.sources.url)}", ""]
    return "\n".join(out)


def fragment(d: Digest) -> str:
    """The digest as an HTML fragment (no html/head/body, no scripts, inline styles only)."""
    return render_template("digest/fragment.html", d=d)


def email(d: Digest) -> str:
    """The digest as a complete e-mail-safe HTML page (table layout, inline styles only)."""
    return render_template("digest/email.html", d=d)
