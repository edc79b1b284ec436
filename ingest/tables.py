"""Tables in council papers: improvement-plan action tables and two-column progress tables.

Both read a page's layout text (:attr:`Page.layout`), where pypdf keeps a table row's
cells on one line and aligns columns with spaces.

* :func:`segment_plan` reads an action or improvement plan laid out as numbered areas
  ("(Area 3) Title"), each followed by a table whose header names columns such as
  Action | Accountable Lead | By When | Expected Outcomes | Measures. Each row is one
  action, numbered in its first cell (``1.1``, ``1.2`` …, numbering may restart per area).
* :func:`segment_progress_rows` finds a two-column table inside a report (e.g.
  Recommendation | Progress Update) and returns one section per row.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from ingest.models import Line, Page, Section

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------
# Layout constants (character columns of pypdf's layout text).

CELL_GAP = 2
"""Cells on a layout line are at least this many spaces apart; words within a cell, one."""
NUMBER_COLUMN_MAX_WIDTH = 6
"""A leftmost column no wider than this holds row numbers ("1.10"), not text."""
TITLE_WORDS = 12
"""An action section's title is the first this-many words of its action text."""
HEADING_LOOKAHEAD = 4
"""An area heading's table header follows within this many non-blank lines."""
HEADER_WRAP_LINES = 4
"""A plan table's header titles wrap onto at most this many further lines."""
HEADING_WRAP_LINES = 2
"""An area heading wraps onto at most this many further lines."""
ALIGN_TOLERANCE = 3
"""Columns may drift by this many characters from page to page."""
HEADER_TITLE_MAX_WORDS = 4
"""A progress table's column titles are short ("Progress Update")."""
PLAN_TITLE_MAX_WORDS = 8
"""A plan header's titles may run longer ("Expected Outcomes (what difference it will make)")."""
FIRST_COLUMN_MAX_SHARE = 0.5
"""A progress table's first column ends within this share of the page's width."""
MISPLACED_DATE_COST = 50.0
"""Cost of reading a column of dates as anything but the date column."""
SHARED_COLUMN_COST = 20.0
"""Cost of reading two column spans on a page as one column."""
PROSE_ROW_MIN_LINES = 2
"""A progress table's rows hold prose: on average at least this many lines of text each."""
MIN_TITLE_LETTERS = 3
"""A progress row's first cell holds words, not a number or a rule line."""

_PAGE_MARKER = re.compile(r"^\s*Page\s+\d+\s*$", re.I)
_CELL_SPLIT = re.compile(rf"\S+(?: {{1,{CELL_GAP - 1}}}\S+)*")  # words closer than CELL_GAP share a cell
_ACTION_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2}){1,2}[a-z]?\.?$")
"""An action's number in its first cell: ``1.1``, ``2.10``, ``1.2.3``."""
_AREA_HEADING = re.compile(r"^(?P<lead>[^()\d]{0,60}?)\(?\bArea\s+(?P<num>\d{1,2})\b\)?\s*[:.\-–—]?\s+(?P<title>\S.*)$")
_CONTINUED = re.compile(r"(?<!\s)\s*\(\s*continued\s*\)\s*", re.I)  # from a space run's start, not each space
_END_HEADING = re.compile(r"^\d{1,2}\.\s+[A-Z][^.]{0,80}$")
"""A numbered top-level report heading ("4. Consultation") that ends a progress table."""
_DATE_WORD = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*|(?:19|20)\d\d|\d{1,2}(?:st|nd|rd|th)?"
    r"|q[1-4]|daily|weekly|fortnightly|monthly|quarterly|annually|yearly|ongoing|immediate(?:ly)?|tbc|by|end|of"
    r"|and|from|to|onwards|each|every|week|month|quarter|year",
    re.I,
)
_HEADING_WORDS = re.compile(r"^[A-Z][A-Za-z'’&,:()\- ]*$")
_LETTERS = re.compile(r"[A-Za-z]")
_ALNUM = re.compile(r"[A-Za-z0-9]")

# Column roles of a plan table, recognised from the header's words.
_ROLE_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("action", re.compile(r"\baction|\bactivit|\btasks?\b|what we will do", re.I)),
    ("lead", re.compile(r"\blead\b|accountab|responsib|\bowner", re.I)),
    ("due", re.compile(r"\bwhen\b|deadline|\bdue\b|timescale|\bdate\b|timeline", re.I)),
    ("outcomes", re.compile(r"outcome|difference", re.I)),
    ("measures", re.compile(r"measure|indicator|\bkpis?\b|success criteria", re.I)),
)
_ROLE_LABELS = {
    "lead": "Accountable lead",
    "due": "By when",
    "outcomes": "Expected outcomes",
    "measures": "Measures that matter",
}
_NUMBER = "number"


@dataclass
class ProgressTable:
    """A two-column progress table found inside a report, and where it stands."""

    rows: list[Section]
    start_page: int
    start_heading: str
    """The header line as printed, white space collapsed (``Recommendation Progress Update``)."""
    end_page: int
    end_heading: str | None
    """The numbered heading that ends the table (``4. Consultation``), or None at the pages' end."""


# ---------------------------------------------------------------------------
# Shared helpers


def _collapse(text: str) -> str:
    return " ".join(text.split())


def join_wrapped(parts: Iterable[str]) -> str:
    """Join a cell's wrapped lines with single spaces; ``pre-`` + ``proceedings`` joins without one."""
    out = ""
    for part in parts:
        part = _collapse(part)
        if not part:
            continue
        if not out:
            out = part
        elif re.search(r"\w-$", out):
            out += part
        else:
            out += " " + part
    return out


def _stream(pages: Sequence[Page]) -> list[tuple[int, str]]:
    """Every layout line of the pages in order, with its page; page-number lines dropped."""
    out: list[tuple[int, str]] = []
    for page in pages:
        for line in page.layout.splitlines():
            if _PAGE_MARKER.match(line):
                continue
            out.append((page.number, line.rstrip()))
    return out


def _chunks(line: str) -> list[tuple[int, str]]:
    """Cells of a layout line: runs of text separated by at least :data:`CELL_GAP` spaces."""
    return [(m.start(), m.group()) for m in _CELL_SPLIT.finditer(line)]


# ---------------------------------------------------------------------------
# Improvement plans


@dataclass
class _Column:
    role: str
    title: str
    x: int


@dataclass
class _Segment:
    """The data lines of one area's table on one page ("" marks a blank line)."""

    area: str
    page: int
    columns: list[_Column]
    after_header: bool
    lines: list[str] = field(default_factory=list)


@dataclass
class _Row:
    number: str
    page: int
    """The page the row starts on."""
    cells: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def add(self, role: str, page: int, text: str) -> None:
        self.cells.setdefault(role, []).append((page, text))

    def value(self, role: str) -> str:
        return join_wrapped(text for _, text in self.cells.get(role, []))

    def pages(self) -> list[int]:
        return sorted({page for frags in self.cells.values() for page, _ in frags})


@dataclass
class _Area:
    number: str
    title: str
    heading: list[Line]
    rows: list[_Row] = field(default_factory=list)
    pages: set[int] = field(default_factory=set)


def _role_of(title: str) -> str | None:
    for role, pattern in _ROLE_WORDS:
        if pattern.search(title):
            return role
    return None


def _plan_header(line: str) -> list[tuple[int, str]] | None:
    """The header line's titles if ``line`` opens a plan table (an action column and a lead or date column)."""
    chunks = _chunks(line)
    if len(chunks) < 3 or any(len(text.split()) > PLAN_TITLE_MAX_WORDS for _, text in chunks):
        return None
    roles = {_role_of(text) for _, text in chunks}
    if _role_of(chunks[0][1]) != "action" or not roles & {"lead", "due"}:
        return None
    return chunks


def _header_columns(first: list[tuple[int, str]], more: list[str]) -> list[_Column]:
    """Column titles completed from the header's wrapped lines, each with its role."""
    titles = [[text] for _, text in first]
    starts = [x for x, _ in first]
    for line in more:
        for x, text in _chunks(line):
            # a wrapped word belongs to the title that starts at or before it
            k = max((i for i, s in enumerate(starts) if s <= x + ALIGN_TOLERANCE), default=0)
            titles[k].append(text)
    columns: list[_Column] = []
    seen: set[str] = set()
    for x, words in zip(starts, titles, strict=True):
        title = join_wrapped(words)
        role = _role_of(title) or re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "column"
        while role in seen:
            role += "_2"
        seen.add(role)
        columns.append(_Column(role, title, x))
    return columns


def _area_heading(stream: list[tuple[int, str]], i: int) -> tuple[str, str, list[Line], int] | None:
    """An area heading at ``stream[i]``: (number, title, heading lines, index after it).

    Only a line followed closely by a plan table header counts, so prose that merely
    mentions "Area 2" does not."""
    page, raw = stream[i]
    m = _AREA_HEADING.match(raw.strip())
    if not m or len(raw) - len(raw.lstrip()) > ALIGN_TOLERANCE or _plan_header(raw):
        return None
    seen = 0
    for _, ahead in stream[i + 1 :]:
        if not ahead.strip():
            continue
        if _plan_header(ahead):
            break
        seen += 1
        if seen >= HEADING_LOOKAHEAD:
            return None
    else:
        return None
    heading = [Line(page, _collapse(raw))]
    title_parts = [m.group("title")]
    j = i + 1
    while j < len(stream) and len(heading) <= HEADING_WRAP_LINES:
        wrap_page, wrap = stream[j]
        if not wrap.strip() or _plan_header(wrap) or _AREA_HEADING.match(wrap.strip()):
            break
        heading.append(Line(wrap_page, _collapse(wrap)))
        title_parts.append(wrap)
        j += 1
    title = _CONTINUED.sub(" ", join_wrapped(title_parts)).strip()
    title = title.rstrip(" .")  # "(continued)." leaves a stray full stop; titles need none
    return m.group("num"), title, heading, j


def _clusters(lines: list[str]) -> list[tuple[int, int]]:
    """Column spans [start, end) of a table's lines: x ranges holding text, split by gutters."""
    width = max((len(line) for line in lines), default=0)
    filled = [False] * width
    for line in lines:
        for x, ch in enumerate(line):
            if not ch.isspace():
                filled[x] = True
    spans: list[tuple[int, int]] = []
    x = 0
    while x < width:
        if not filled[x]:
            x += 1
            continue
        start = x
        gap = 0
        while x < width and gap < CELL_GAP:
            gap = 0 if filled[x] else gap + 1
            x += 1
        spans.append((start, x - gap))
    return spans


def _date_like(texts: list[str]) -> bool:
    """Whether a column's words are all dates or frequencies ("December 2023", "Monthly")."""
    tokens = re.findall(r"[A-Za-z]+|\d+", " ".join(texts))
    return bool(tokens) and all(_DATE_WORD.fullmatch(t) for t in tokens)


def _map_columns(
    spans: list[tuple[int, int]], lines: list[str], columns: list[_Column], ref: dict[str, int] | None
) -> tuple[list[str], bool]:
    """The role of each column span, and whether the spans matched the header one for one.

    A narrow leftmost span is the row number. Spans that match the header's columns
    one for one are taken in order (a header can be printed out of line with its
    columns). Otherwise (a column empty on this page) each span takes, in left-to-right
    order, the role whose position on a page that did match is nearest; a span of dates
    is the date column wherever it stands."""
    roles: list[str] = []
    rest = spans
    if len(spans) > 1 and spans[0][1] - spans[0][0] <= NUMBER_COLUMN_MAX_WIDTH:
        roles.append(_NUMBER)
        rest = spans[1:]
    if len(rest) == len(columns):
        return roles + [c.role for c in columns], True
    where = ref or {}
    costs: list[list[float]] = []
    for start, end in rest:
        dated = _date_like([line[start:end] for line in lines])
        row = []
        for c in columns:
            cost = float(abs(start - where.get(c.role, c.x)))
            if dated:
                cost = 0.0 if c.role == "due" else cost + MISPLACED_DATE_COST
            row.append(cost)
        costs.append(row)
    # order-keeping assignment: best[j][k] = cost of spans 0..j with span j in column k
    inf = float("inf")
    best = [[inf] * len(columns) for _ in rest]
    back = [[0] * len(columns) for _ in rest]
    for k in range(len(columns)):
        best[0][k] = costs[0][k]
    for j in range(1, len(rest)):
        for k in range(len(columns)):
            for p in range(k + 1):
                cost = best[j - 1][p] + costs[j][k] + (SHARED_COLUMN_COST if p == k else 0.0)
                if cost < best[j][k]:
                    best[j][k], back[j][k] = cost, p
    k = min(range(len(columns)), key=lambda c: best[-1][c])
    picked = [k]
    for j in range(len(rest) - 1, 0, -1):
        k = back[j][k]
        picked.append(k)
    return roles + [columns[k].role for k in reversed(picked)], False


def _blocks(segment: _Segment) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in segment.lines:
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _split_block(block: list[str], spans: list[tuple[int, int]], roles: list[str]) -> dict[str, list[str]]:
    cells: dict[str, list[str]] = {}
    for line in block:
        for (start, end), role in zip(spans, roles, strict=True):
            text = _collapse(line[start:end])
            if text:
                cells.setdefault(role, []).append(text)
    return cells


def _unshift(cells: dict[str, list[str]], columns: list[_Column]) -> dict[str, list[str]]:
    """A row printed one column to the right (its number under Action) moves back left."""
    order = [_NUMBER] + [c.role for c in columns]
    return {order[k - 1]: cells[role] for k, role in enumerate(order) if k and role in cells}


def _rows_from_segments(segments: list[_Segment], areas: dict[str, _Area]) -> None:
    # First the column spans of every segment; where they match the header one for one,
    # their positions guide the segments on the same (else the nearest) page that don't.
    laid_out: list[tuple[_Segment, list[str], list[tuple[int, int]], list[str]]] = []
    refs: dict[int, dict[str, int]] = {}
    for seg in segments:
        lines = [line for line in seg.lines if line.strip()]
        if not lines:
            continue
        spans = _clusters(lines)
        roles, matched = _map_columns(spans, lines, seg.columns, None)
        if matched:
            refs.setdefault(seg.page, {role: start for (start, _), role in zip(spans, roles, strict=True)})
        laid_out.append((seg, lines, spans, roles if matched else []))
    for seg, lines, spans, known in laid_out:
        roles = known
        if not roles:
            ref = refs[min(refs, key=lambda p: (abs(p - seg.page), p > seg.page))] if refs else None
            roles, _ = _map_columns(spans, lines, seg.columns, ref)
        log.debug("plan area %s page %d: columns %s", seg.area, seg.page, list(zip(spans, roles, strict=True)))
        _add_rows(seg, spans, roles, areas[seg.area])


def _add_rows(seg: _Segment, spans: list[tuple[int, int]], roles: list[str], area: _Area) -> None:
    for k, block in enumerate(_blocks(seg)):
        cells = _split_block(block, spans, roles)
        number_cell = " ".join(cells.get(_NUMBER, []))
        action_cell = " ".join(cells.get("action", []))
        if not number_cell and _ACTION_NUMBER.match(action_cell):
            cells = _unshift(cells, seg.columns)
            number_cell = " ".join(cells.get(_NUMBER, []))
        words = number_cell.split()
        number = words[0].rstrip(".") if words and _ACTION_NUMBER.match(words[0]) else ""
        if len(words) > (1 if number else 0):
            # e.g. a stray "Page 63" printed in the number column
            log.debug("plan area %s page %d: ignored %r in number column", seg.area, seg.page, number_cell)
        # a block at the top of a page, with no number, continues the row the last page ended
        carried = k == 0 and not seg.after_header and bool(area.rows)
        if number or (cells.get("action") and not carried) or not area.rows:
            area.rows.append(_Row(number, seg.page))
        row = area.rows[-1]
        for role, texts in cells.items():
            if role != _NUMBER:
                for text in texts:
                    row.add(role, seg.page, text)
        area.pages.add(seg.page)


def _ends_table(raw: str, columns: list[_Column]) -> bool:
    """A heading printed alone at the table's left edge ("Glossary of Terms") ends the table.

    Only row numbers stand that far left inside a table; a stray page marker there
    ("Page" / "63") is one word a line."""
    chunks = _chunks(raw)
    if len(chunks) != 1:
        return False
    x, text = chunks[0]
    return x <= columns[0].x + ALIGN_TOLERANCE and bool(_HEADING_WORDS.match(text)) and len(text.split()) > 1


def _parse_plan(stream: list[tuple[int, str]]) -> tuple[list[Line], dict[str, _Area], list[list[Line]]]:
    """The lines before the first area, the areas with their rows, and blocks of text
    after a table that are not part of it (each opened by its heading)."""
    intro: list[Line] = []
    areas: dict[str, _Area] = {}
    after: list[list[Line]] = []
    segments: list[_Segment] = []
    area: _Area | None = None
    columns: list[_Column] | None = None
    segment: _Segment | None = None
    i = 0
    while i < len(stream):
        page, raw = stream[i]
        heading = _area_heading(stream, i)
        if heading:
            number, title, heading_lines, i = heading
            if number not in areas:
                areas[number] = _Area(number, title, heading_lines, pages={page})
            area, columns, segment = areas[number], None, None
            continue
        header = _plan_header(raw)
        if header and area is not None:
            more: list[str] = []
            i += 1
            # the header's wrapped title lines, up to a blank line or the first numbered row
            while (
                i < len(stream)
                and len(more) < HEADER_WRAP_LINES
                and stream[i][1].strip()
                and stream[i][0] == page
                and not _ACTION_NUMBER.match(stream[i][1].split()[0])
            ):
                more.append(stream[i][1])
                i += 1
            columns = _header_columns(header, more)
            segment = _Segment(area.number, page, columns, after_header=True)
            segments.append(segment)
            continue
        i += 1
        if area is None:
            if raw.strip():
                (after[-1] if after else intro).append(Line(page, _collapse(raw)))
            continue
        if columns is None:
            continue
        if _ends_table(raw, columns):
            after.append([Line(page, _collapse(raw))])
            area, columns, segment = None, None, None
            continue
        if segment is None or segment.page != page:
            segment = _Segment(area.number, page, columns, after_header=False)
            segments.append(segment)
        segment.lines.append(raw)
    _rows_from_segments(segments, areas)
    return intro, areas, after


def _words(text: str, limit: int) -> str:
    words = text.split()
    return " ".join(words[:limit]) + (" …" if len(words) > limit else "")


def _action_section(row: _Row, area: _Area, name: str, key: str, doc_id: str, doc_label: str) -> Section:
    action = row.value("action")
    lines: list[Line] = []

    def field_lines(label: str, role: str) -> None:
        frags = row.cells.get(role, [])
        by_page: list[tuple[int, list[str]]] = []
        for page, text in frags:
            if by_page and by_page[-1][0] == page:
                by_page[-1][1].append(text)
            else:
                by_page.append((page, [text]))
        for k, (page, texts) in enumerate(by_page):
            joined = join_wrapped(texts)
            if joined:
                lines.append(Line(page, f"{label}: {joined}" if k == 0 else joined))

    field_lines(name, "action")
    if not lines:
        lines.append(Line(row.page, name))
    extra_roles = [r for r in row.cells if r not in ("action", *_ROLE_LABELS)]
    for role in [*_ROLE_LABELS, *extra_roles]:
        field_lines(_ROLE_LABELS.get(role, role.replace("_", " ").capitalize()), role)
    pages = row.pages() or [lines[0].page]
    extra = {
        "area": area.number,
        "area_title": area.title,
        "action": row.number,
        "lead": row.value("lead"),
        "due": row.value("due"),
        "outcomes": row.value("outcomes"),
        "measures": row.value("measures"),
    }
    for role in extra_roles:
        extra[role] = row.value(role)
    return Section(
        section_id=f"{doc_id}#action-area{area.number}-{key}",
        doc_id=doc_id,
        kind="action",
        number=name,
        title=_words(action or row.value("outcomes") or name, TITLE_WORDS),
        text="\n".join(line.text for line in lines),
        page_start=pages[0],
        page_end=pages[-1],
        locator=f"{doc_label} — {name}",
        lines=lines,
        extra=extra,
    )


def _text_section(lines: list[Line], key: str, title: str, doc_id: str, doc_label: str) -> Section:
    return Section(
        section_id=f"{doc_id}#section-{key}",
        doc_id=doc_id,
        kind="section",
        number=None,
        title=title,
        text="\n".join(ln.text for ln in lines),
        page_start=lines[0].page,
        page_end=lines[-1].page,
        locator=f"{doc_label} — {title}",
        lines=lines,
    )


def segment_plan(pages: list[Page], doc_id: str, doc_label: str) -> list[Section]:
    """An improvement plan's sections: its introduction, one ``area`` section per area
    heading and one ``action`` section per table row, then any text after the last
    table (e.g. a glossary) under its heading. Empty when the pages hold no plan table
    under an area heading."""
    intro, areas, after = _parse_plan(_stream(pages))
    if not any(area.rows for area in areas.values()):
        return []
    sections: list[Section] = []
    if intro:
        title = next((ln.text for ln in intro if ln.text.lower() == "introduction"), "Introduction")
        sections.append(_text_section(intro, "introduction", title, doc_id, doc_label))
    for area in areas.values():
        sections.append(_area_section(area, doc_id, doc_label))
        sections += _action_sections(area, doc_id, doc_label)
    for k, lines in enumerate(after, start=1):
        sections.append(_text_section(lines, f"after-tables-{k}", lines[0].text, doc_id, doc_label))
    return sections


def _area_section(area: _Area, doc_id: str, doc_label: str) -> Section:
    return Section(
        section_id=f"{doc_id}#area-{area.number}",
        doc_id=doc_id,
        kind="area",
        number=f"Area {area.number}",
        title=area.title,
        text="\n".join(ln.text for ln in area.heading),
        page_start=area.heading[0].page,
        page_end=max(area.pages),  # the area runs to its last row
        locator=f"{doc_label} — Area {area.number}: {area.title}",
        lines=list(area.heading),
        extra={"area": area.number, "area_title": area.title, "actions": str(len(area.rows))},
    )


def _action_sections(area: _Area, doc_id: str, doc_label: str) -> list[Section]:
    sections: list[Section] = []
    used: dict[str, int] = {}
    previous = ""
    for ordinal, row in enumerate(area.rows, start=1):
        if row.number:
            name, key = f"Area {area.number}, action {row.number}", row.number
            previous = row.number
        else:
            after = f", after {previous}" if previous else ""
            name, key = f"Area {area.number}, action (unnumbered{after})", f"u{ordinal}"
            log.info("plan area %s: row %d has no number (%s)", area.number, ordinal, name)
        used[key] = used.get(key, 0) + 1
        if used[key] > 1:  # a number printed twice stays two rows
            name, key = f"{name} ({used[key]})", f"{key}-{used[key]}"
        section = _action_section(row, area, name, key, doc_id, doc_label)
        if not section.extra["lead"] or not section.extra["due"]:
            log.info("plan %s: no lead or date in the table", name)
        sections.append(section)
    return sections


# ---------------------------------------------------------------------------
# Progress tables inside reports


def _page_widths(stream: list[tuple[int, str]]) -> dict[int, int]:
    widths: dict[int, int] = {}
    for page, line in stream:
        widths[page] = max(widths.get(page, 0), len(line))
    return widths


def _progress_header(line: str, width: int) -> list[tuple[int, str]] | None:
    """Column titles if ``line`` is a short-titled header whose second column starts in the page's left half."""
    chunks = _chunks(line)
    if len(chunks) < 2 or chunks[0][0] > ALIGN_TOLERANCE:
        return None
    for _, text in chunks:
        if len(text.split()) > HEADER_TITLE_MAX_WORDS or not text[0].isupper() or text[-1] in ".,;:":
            return None
    if chunks[1][0] > width * FIRST_COLUMN_MAX_SHARE:
        return None
    return chunks


def _row_start(chunks: list[tuple[int, str]], left: int, width: int) -> bool:
    """A table row's first line: a short first cell at the table's left edge, then the text column."""
    if len(chunks) < 2:
        return False
    (x0, first), (x1, _) = chunks[0], chunks[1]
    return (
        abs(x0 - left) <= ALIGN_TOLERANCE
        and len(_LETTERS.findall(first)) >= MIN_TITLE_LETTERS
        and x1 <= width * FIRST_COLUMN_MAX_SHARE
    )


@dataclass
class _ProgressRow:
    title: list[tuple[int, str]] = field(default_factory=list)
    body: list[Line] = field(default_factory=list)


def _progress_headers(
    stream: list[tuple[int, str]], widths: dict[int, int]
) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    """Candidate header lines: short titles, and the next line starts a row under them."""
    for i, (page, line) in enumerate(stream):
        header = _progress_header(line, widths[page])
        if not header:
            continue
        nxt = next(((p, ln) for p, ln in stream[i + 1 :] if ln.strip()), None)
        if nxt is None:
            continue
        chunks = _chunks(nxt[1])
        if _row_start(chunks, header[0][0], widths[nxt[0]]) and abs(chunks[1][0] - header[1][0]) <= ALIGN_TOLERANCE:
            yield i, header


def _read_progress_table(
    stream: list[tuple[int, str]], widths: dict[int, int], start: int, header: list[tuple[int, str]]
) -> tuple[list[_ProgressRow], int, str | None]:
    """The rows under the header at ``stream[start]``, and the page and text of the heading that ends them."""
    left = header[0][0]
    start_heading = _collapse(stream[start][1])
    rows: list[_ProgressRow] = []
    end_page, end_heading = stream[-1][0], None
    in_title = False
    title_edge = 0
    for page, line in stream[start + 1 :]:
        text = line.strip()
        if not text:
            in_title = False
            continue
        if _END_HEADING.match(text) and len(line) - len(line.lstrip()) <= left + ALIGN_TOLERANCE and not in_title:
            end_page, end_heading = page, text
            break
        if not _ALNUM.search(text) or _collapse(line) == start_heading:
            continue  # rule lines ("---  --") and a header repeated on a new page
        chunks = _chunks(line)
        if not in_title and _row_start(chunks, left, widths[page]):
            rows.append(_ProgressRow())
            in_title, title_edge = True, chunks[1][0]
        elif in_title and not (
            abs(chunks[0][0] - left) <= ALIGN_TOLERANCE and chunks[0][0] + len(chunks[0][1]) < title_edge
        ):
            in_title = False
        if not rows:
            log.debug("progress table: text before the first row skipped: %r", text)
            continue
        row = rows[-1]
        if in_title:
            row.title.append((page, chunks[0][1]))
            rest = " ".join(t for _, t in chunks[1:])
            if rest:
                row.body.append(Line(page, _collapse(rest)))
        else:
            row.body.append(Line(page, _collapse(line)))
    return rows, end_page, end_heading


def segment_progress_rows(pages: list[Page], doc_id: str, doc_label: str) -> ProgressTable | None:
    """The first progress table in the pages (a header of short column titles, rows whose
    narrow first column names the subject and whose second holds prose), one ``row``
    section per row; None if there is none.

    The table runs to the next numbered top-level heading at the left margin ("4.
    Consultation") or the pages' end. Text printed full width between rows (a long cell
    the PDF lets out of its column) belongs to the row above it."""
    stream = _stream(pages)
    widths = _page_widths(stream)
    for start, header in _progress_headers(stream, widths):
        rows, end_page, end_heading = _read_progress_table(stream, widths, start, header)
        if rows and sum(len(row.body) for row in rows) >= PROSE_ROW_MIN_LINES * len(rows):
            return _progress_table(rows, stream[start], header, end_page, end_heading, doc_id, doc_label)
        # one-line rows are a glossary or list laid out in two columns, not a progress table
        log.debug("progress table: header %r has no prose rows", stream[start][1].strip())
    return None


def _mend_hyphens(lines: list[Line]) -> list[Line]:
    """Pull a word broken over a line end ("pre-" / "proceedings …") up onto the first line."""
    out = list(lines)
    for k in range(len(out) - 1):
        cur, nxt = out[k], out[k + 1]
        if re.search(r"\w-$", cur.text) and re.match(r"[a-z]", nxt.text):
            first, _, rest = nxt.text.partition(" ")
            out[k], out[k + 1] = Line(cur.page, cur.text + first), Line(nxt.page, rest)
    return [ln for ln in out if ln.text]


def _progress_table(
    rows: list[_ProgressRow],
    start: tuple[int, str],
    header: list[tuple[int, str]],
    end_page: int,
    end_heading: str | None,
    doc_id: str,
    doc_label: str,
) -> ProgressTable:
    table_name = " | ".join(text for _, text in header)
    sections: list[Section] = []
    for k, row in enumerate(rows, start=1):
        title = join_wrapped(t for _, t in row.title)
        lines = [Line(row.title[0][0], title), *_mend_hyphens(row.body)]
        sections.append(
            Section(
                section_id=f"{doc_id}#row-{k}",
                doc_id=doc_id,
                kind="row",
                number=None,
                title=title,
                text="\n".join(ln.text for ln in lines),
                page_start=min(ln.page for ln in lines),
                page_end=max(ln.page for ln in lines),
                locator=f"{doc_label} — progress: {title}",
                lines=lines,
                extra={"table": table_name},
            )
        )
    return ProgressTable(sections, start[0], _collapse(start[1]), end_page, end_heading)
