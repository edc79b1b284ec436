"""Text matching exactly as ../shared/EVAL_CONTRACT.md defines it: folding, must_contain,
tokens and "found" (is an evidence quote in a passage)."""

from __future__ import annotations

import re
import unicodedata

STOP_WORDS = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "a",
        "in",
        "was",
        "for",
        "that",
        "on",
        "be",
        "with",
        "as",
        "by",
        "at",
        "it",
        "is",
        "this",
        "which",
        "from",
        "or",
        "an",
        "are",
        "were",
        "had",
        "has",
        "have",
    ]
)
FOUND_SHARE = 0.8
"""Share of a quote's non-number tokens that must be in a passage for the quote to be found there."""

_QUOTES = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"', "–": "-", "—": "-"}
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NUMBER = re.compile(r"^\d")


def fold(text: str) -> str:
    """NFKC, lower case, curly quotes straight, en/em dashes to '-', thousands separators out,
    runs of white space to one space."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_QUOTES)
    while True:
        new = _THOUSANDS.sub("", text)
        if new == text:
            break
        text = new
    return re.sub(r"\s+", " ", text).strip()


def contains(answer: str, needle: str) -> bool:
    """``needle`` occurs in the folded answer; a needle starting (ending) with a digit must not
    have a digit just before (after) it, so '39' does not match '139'."""
    hay, pin = fold(answer), fold(needle)
    if not pin:
        return True
    before = r"(?<!\d)" if pin[0].isdigit() else ""
    after = r"(?!\d)" if pin[-1].isdigit() else ""
    return re.search(before + re.escape(pin) + after, hay) is not None


def tokens(text: str) -> list[str]:
    """Runs of letters and digits, keeping a decimal point or % inside a number; stop words dropped."""
    out = []
    for m in re.finditer(r"[^\W_]+(?:\.[0-9]+[^\W_]*)*%?", fold(text)):
        tok = m.group(0)
        if not tok[0].isdigit():
            tok = tok.rstrip("%")
        if tok and tok not in STOP_WORDS:
            out.append(tok)
    return out


def found(quote: str, passage: str) -> bool:
    """Every number token of the quote is in the passage and at least 80 % of its other tokens are."""
    q = tokens(quote)
    if not q:
        return False
    have = set(tokens(passage))
    numbers = [t for t in q if _NUMBER.match(t)]
    others = [t for t in q if not _NUMBER.match(t)]
    if any(t not in have for t in numbers):
        return False
    if not others:
        return True
    return sum(t in have for t in others) / len(others) >= FOUND_SHARE
