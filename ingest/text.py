"""Small text operations shared by the ingest steps: slugs, word lists, sentences."""

from __future__ import annotations

import re
import unicodedata

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "with",
    ]
)
_WORD = re.compile(r"[a-z0-9]+")
# A sentence ends at . ! ? (optionally closing quote/bracket) before white space and an
# upper-case letter, digit, quote, bullet or enumerator "(a)"; abbreviations below do not end one.
# Any other bracket continues the sentence: "… up 1%. (29 children …) – above our target of 13%."
_SENTENCE_END = re.compile(r"(?<=[.!?])([\"'’”)\]]?)\s+(?=[A-Z0-9£\"'‘“•]|\((?:[a-z]|[ivx]{1,4}|\d{1,2})\))")
_ABBREVIATIONS = re.compile(
    r"(\b(e\.g|i\.e|etc|Cllr|Mr|Mrs|Ms|Dr|No|Nos|para|paras|approx|inc|vs|cf|St)|^\s*\(?[0-9ivx.]{1,6}"
    r"|(?-i:(?:^|[\s(])[A-Z]))\.$",  # an initial: "seconded by Cllr. J. Davies"
    re.I,
)


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "untitled"


def words(text: str) -> list[str]:
    """Lower-case content words, apostrophes folded (``Children' s`` → ``children``)."""
    text = re.sub(r"['’]\s?s\b", "", text.lower())
    return [w for w in _WORD.findall(text) if w not in STOP_WORDS]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in ``text``; a newline always ends one."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for block in text.split("\n"):
        spans.extend((offset + s, offset + e) for s, e in _split_block(block))
        offset += len(block) + 1
    return spans


def _split_block(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if _ABBREVIATIONS.search(text[start : m.start()]):
            continue
        spans.append((start, m.start() + len(m.group(1))))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return [(s, e) for s, e in spans if text[s:e].strip()]


PARAGRAPH_SHORT_RATIO = 0.7
"""A line shorter than this share of the widest line, before a capitalised line, ends a paragraph."""
_STARTS_NEW = re.compile(r"^[A-Z0-9£•\-–(\"'‘“]")


WIDTH_PERCENTILE = 0.9


def typical_width(lines: list[str]) -> int:
    """The length of a full line of running text (a high percentile, so one overlong line does not count)."""
    lengths = sorted(len(ln.strip()) for ln in lines if ln.strip())
    if not lengths:
        return 80
    return lengths[min(len(lengths) - 1, int(len(lengths) * WIDTH_PERCENTILE))]


def join_lines(lines: list[str], width: int | None = None, hard_breaks: bool = False) -> tuple[str, list[int]]:
    """Join wrapped PDF lines into text, with "\\n" where a paragraph (or list entry) ends.

    Returns the text and the offset at which each line starts in it, so a span of the
    text can be traced back to its lines (and so to its pages). With ``hard_breaks`` every line
    is a paragraph of its own (rendered table rows: one field a line).
    """
    width = width or typical_width(lines)
    parts: list[str] = []
    offsets: list[int] = []
    pos = 0
    for i, raw in enumerate(lines):
        line = raw.strip()
        offsets.append(pos)
        parts.append(line)
        pos += len(line)
        if i + 1 < len(lines):
            nxt = lines[i + 1].strip()
            ends = line.endswith((".", ":", ";", "!", "?")) or len(line) < PARAGRAPH_SHORT_RATIO * width
            sep = "\n" if hard_breaks or (ends and _STARTS_NEW.match(nxt)) else " "
            parts.append(sep)
            pos += 1
    return "".join(parts), offsets
