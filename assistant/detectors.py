"""General detectors of what a sentence holds — a figure, a sum of money, a percentage, a date or
time, a proper name, a vote — written for how any council's papers print these, not for one
council. Each returns a count or a flag; the answer scorer weighs them as soft features.
"""

from __future__ import annotations

import functools
import re

from ingest.dates import MONTHS, find_dates

_FIGURE = re.compile(
    r"(?<![\w./-])(?P<cur>[£$€])?\s?(?P<num>\d[\d,]*(?:\.\d+)?)"
    r"(?P<unit>\s?(?:%|per ?cent\b|percent\b|m\b|bn\b|k\b|million\b|billion\b|thousand\b))?"
)
"""A number as papers print figures: "£23.335m", "$4,500", "4.99%", "1,250", "12 per cent"."""
_CLOCK = re.compile(r"\b\d{1,2}(?:[:.]\d{2})?\s?(?:a\.?m\.?|p\.?m\.?)(?!\w)", re.I)
"""A time of day: "7:00 p.m.", "10.30am", "6 pm"."""
_VOTE = re.compile(r"(?<![\w./-])\d{1,2}\s?[-–]\s?\d{1,2}(?![\w/-]|\.\d)")
"""A vote count: "carried 5-0", "7–2"."""
_PROPER = re.compile(r"(?<![\w'’])[A-Z][a-z]+(?:['’-][A-Za-z]+)?")
"""A capitalised word; whether it is a name is decided against the papers' own vocabulary."""


FACTS_CACHE = 65536
"""Sentences whose detector results are kept: the same ones are candidates question after question."""


def figures(text: str, exclude: set[str] | None = None) -> list[tuple[str, str, str]]:
    """(currency, number, unit) of each figure in ``text`` that is not a date, a year, a list
    number opening the sentence, or one of ``exclude`` (the numbers the question already holds)."""
    return [f for f in _figures(text) if not exclude or f[1] not in exclude]


@functools.lru_cache(maxsize=FACTS_CACHE)
def _figures(text: str) -> tuple[tuple[str, str, str], ...]:
    for d in reversed(find_dates(text)):
        text = text[: d.start] + " " * (d.end - d.start) + text[d.end :]
    out = []
    for m in _FIGURE.finditer(text):
        cur, num, unit = m.group("cur") or "", m.group("num").rstrip(","), (m.group("unit") or "").strip()
        plain = num.replace(",", "")
        if not cur and not unit and len(plain) == 4 and plain[:2] in ("19", "20"):
            continue  # a year
        if m.start() < 4 and not cur and not unit and text[m.end() : m.end() + 1] in ".)":
            continue  # the sentence's own list number ("3. …", "2) …")
        out.append((cur, plain, unit))
    return tuple(out)


def has_money(found: list[tuple[str, str, str]]) -> bool:
    """A figure with a currency sign, or counted in thousands, millions or billions."""
    return any(cur or (unit and not unit.startswith(("%", "per"))) for cur, _, unit in found)


def has_percent(found: list[tuple[str, str, str]]) -> bool:
    return any(unit.startswith(("%", "per")) for _, _, unit in found)


@functools.lru_cache(maxsize=FACTS_CACHE)
def has_date(text: str) -> bool:
    """A full date, a month named with a day or year, or a time of day."""
    if find_dates(text) or _CLOCK.search(text):
        return True
    words = text.replace(",", " ").split()
    for i, w in enumerate(words):
        if w.lower().rstrip(".") in MONTHS and len(w) > 2 and w[0].isupper():
            near = words[max(0, i - 1) : i + 3]
            if any(x.strip(".,;:()").rstrip("stndrh").isdigit() for x in near):
                return True
    return False


def has_vote(text: str) -> bool:
    return bool(_VOTE.search(text))


@functools.lru_cache(maxsize=FACTS_CACHE)
def _capitalised(text: str) -> tuple[str, ...]:
    return tuple(m.group(0).lower() for m in _PROPER.finditer(text))


@functools.lru_cache(maxsize=FACTS_CACHE)
def upper_share(text: str) -> float:
    """Share of the letters that are capitals (titles and running heads are in capitals)."""
    return sum(ch.isupper() for ch in text) / max(1, sum(ch.isalpha() for ch in text))


def proper_names(text: str, common_words: set[str], asked: set[str]) -> int:
    """Capitalised words the papers never write in lower case (names of people, firms, places)
    that the question does not already hold. The first word of the sentence counts only when it is
    no common word either."""
    count = 0
    for word in _capitalised(text):
        if word in common_words or word in asked or word.rstrip("s") in common_words:
            continue
        count += 1
    return count


def defines(text: str, acronym: str) -> bool:
    """The sentence spells the acronym out: the words just before (or after) it begin with its
    letters ("Medium Term Financial Strategy (MTFS)", "TIF – Tax Increment Financing")."""
    letters = [c.lower() for c in acronym.rstrip("s") if c.isalpha()]
    if not letters:
        return False
    words = [w.strip("()[],;:–-\"'“”") for w in text.split()]
    positions = [i for i, w in enumerate(words) if w.rstrip("s") == acronym.rstrip("s")]
    for i in positions:
        for span in (words[max(0, i - 2 * len(letters)) : i], words[i + 1 : i + 1 + 2 * len(letters)]):
            initials = [w[0].lower() for w in span if w and w[0].isupper()]
            if _contains_run(initials, letters):
                return True
    return False


def _contains_run(initials: list[str], letters: list[str]) -> bool:
    n = len(letters)
    return any(initials[i : i + n] == letters for i in range(len(initials) - n + 1))
