"""Glossary entries (acronym → expansion) from glossary pages and inline definitions
such as "Medium Term Financial Strategy (MTFS)"."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.models import Document, GlossaryEntry, Page

MAX_TERM_CHARS = 14
# One run of term characters: "[…]*\)?[…]*" over the same characters (")" among them) matched the
# same words in quadratically many ways, all tried when the row then failed.
_TERM = r"(?P<term>\(?[A-Z][A-Za-z0-9&/()]*(?: [A-Z][A-Z0-9&/]+)?)"
_LAYOUT_ROW = re.compile(rf"^\s*{_TERM}\s{{2,}}(?P<exp>\S.*\S)\s*$")
_COLON_ROW = re.compile(rf"^\s*{_TERM}\s*(?::|\s[–—-])\s+(?P<exp>\S.*\S)\s*$")
_GLOSSARY_HEADING = re.compile(r"^\s*glossary(?: of terms)?\s*:?\s*$", re.I)
_INLINE = re.compile(
    # The look-behind starts the name at a word's start only, not at every letter of a long word.
    r"(?<![\w'’&-])(?P<long>(?:[A-Z][\w'’&-]*|and|of|for|the|in|on|&)(?:\s+(?:[A-Z][\w'’&-]*|and|of|for|the|in|on|&)){0,9})\s+\((?P<acr>[A-Z][A-Za-z0-9&]{1,9})\)"
)
_SMALL = {"and", "of", "for", "the", "in", "on", "&", "to", "a"}


def _is_term(term: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", term)
    return (
        0 < len(term) <= MAX_TERM_CHARS
        and sum(c.isupper() for c in letters) >= 2
        and len(term.split()) <= 2
        and not term.isdigit()
    )


def parse_glossary(doc: Document, pages: Sequence[Page]) -> list[GlossaryEntry]:
    """Entries from a glossary document, or from a "Glossary" block on a page of any document."""
    entries: list[GlossaryEntry] = []
    for page in pages:
        if not doc.page_start <= page.number <= doc.page_end:
            continue
        if doc.doc_type == "glossary":
            rows = page.layout.splitlines()
        else:
            lines = page.layout.splitlines() if page.layout.strip() else page.text.splitlines()
            start = next((i for i, ln in enumerate(lines) if _GLOSSARY_HEADING.match(ln)), None)
            if start is None:
                continue
            rows = lines[start + 1 :]
        for row in rows:
            m = _COLON_ROW.match(row) or _LAYOUT_ROW.match(row)
            if m and _is_term(m.group("term").strip()):
                exp = " ".join(m.group("exp").split())
                entries.append(GlossaryEntry(m.group("term").strip(), exp, doc.doc_id, page.number, "glossary"))
    return entries


def inline_definitions(doc: Document) -> list[GlossaryEntry]:
    """ "Long Name (LN)" in running text, kept only when the letters match the words' initials."""
    entries: list[GlossaryEntry] = []
    seen: set[str] = set()
    text_by_page: dict[int, str] = {}
    for line in doc.lines:
        text_by_page[line.page] = text_by_page.get(line.page, "") + " " + line.text
    for page, text in text_by_page.items():
        for m in _INLINE.finditer(" ".join(text.split())):
            acr = m.group("acr")
            expansion = _match_initials(m.group("long").split(), acr)
            if expansion and acr not in seen:
                seen.add(acr)
                entries.append(GlossaryEntry(acr, expansion, doc.doc_id, page, "inline"))
    return entries


def _match_initials(words: list[str], acronym: str) -> str | None:
    """The shortest run of trailing words whose initials spell the acronym (small words optional)."""
    letters = [c for c in acronym if c.isalpha()]
    for n in range(1, len(words) + 1):
        tail = words[-n:]
        if tail[0].lower() in _SMALL:
            continue
        if _spells(tail, [c.lower() for c in letters]):
            return " ".join(tail)
    return None


def _spells(words: list[str], letters: list[str]) -> bool:
    if not words:
        return not letters
    word = words[0]
    initial = word[0].lower()
    if letters and initial == letters[0] and _spells(words[1:], letters[1:]):
        return True
    if word.lower() in _SMALL and _spells(words[1:], letters):
        return True
    # "Sub-Committee (SC)" style: a hyphenated word may give two letters.
    parts = [p for p in re.split(r"[-/]", word) if p]
    if (
        len(parts) > 1
        and len(letters) >= len(parts)
        and all(p[0].lower() == c for p, c in zip(parts, letters, strict=False))
    ):
        return _spells(words[1:], letters[len(parts) :])
    return False
