"""Dates as council papers write them: "Wednesday, 24 January 2024", "24th January 2024",
"January 27, 2020", "13/03/2019". Returned as ISO ``YYYY-MM-DD``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = (
    r"(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_PATTERNS = [
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\.?,?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTH}\.?\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(r"\b(?P<day>[0-3]?\d)/(?P<month>[01]?\d)/(?P<year>(?:19|20)\d\d)\b"),
]


@dataclass(frozen=True)
class FoundDate:
    iso: str
    start: int
    end: int


def find_dates(text: str) -> list[FoundDate]:
    """Every date in ``text`` in order of position (day-first for numeric dates, as UK papers write them)."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            month_raw = m.group("month")
            month = int(month_raw) if month_raw.isdigit() else MONTHS[month_raw.lower().rstrip(".")]
            try:
                day = dt.date(int(m.group("year")), month, int(m.group("day")))
            except ValueError:
                continue
            found.append(FoundDate(day.isoformat(), m.start(), m.end()))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


def first_date(text: str) -> str | None:
    dates = find_dates(text)
    return dates[0].iso if dates else None


def human_date(iso: str | None) -> str:
    """``2024-01-24`` → ``24 January 2024`` (as citations show it)."""
    if not iso:
        return "undated"
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B')} {d.year}"
