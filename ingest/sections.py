"""Documents → sections: minute items, numbered report sections, slides, plan areas and
action rows, table rows. A section is the unit a citation names; chunks never cross one."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ingest.documents import doc_label
from ingest.models import Document, Line, Page, Section
from ingest.text import slugify

log = logging.getLogger(__name__)

MAX_HEADING_CHARS = 110
"""A numbered line longer than this is a numbered paragraph or list entry, not a heading."""
WRAPPED_HEADING_CHARS = 70
"""A heading line at least this long may wrap: a short next line is its continuation."""
CONTINUATION_MAX_WORDS = 8
ITEM_GAP = 3
"""A minute item number may skip at most this many numbers (items withdrawn or taken elsewhere)."""

_RESOLUTION_TITLE = re.compile(r"^(?:It was\s+)?(?:unanimously\s+)?(?:RESOLVED|AGREED)\b")
_TOP = re.compile(r"^(?P<num>\d{1,2})\.\s+(?P<title>[A-Z].*)$")
_SUB = re.compile(r"^(?P<major>\d{1,2})\.(?P<minor>\d{1,2})\.?(?:\s+(?P<rest>.*))?$")
FRONT_HEADINGS = {
    "summary",
    "executive summary",
    "recommendation(s)",
    "recommendations",
    "recommendation",
    "reason(s)",
    "reasons",
    "reason",
    "introduction",
    "background",
    "purpose of report",
    "public background papers used in the preparation of the report:",
    "list of appendices:",
    "background papers",
    "appendices",
}


def segment_sections(doc: Document, pages: Sequence[Page]) -> list[Section]:
    """Split one document into its sections, by the structure its type has."""
    doc_pages = [p for p in pages if doc.page_start <= p.number <= doc.page_end]
    splitter: dict[str, Callable[[Document, list[Page]], list[Section]]] = {
        "minutes": _minute_items,
        "agenda": _minute_items,
        "report": _report_sections,
        "presentation": _slides,
        "plan": _plan,
        "glossary": _per_page,
        "table": _per_page,
        "other": _report_sections,
    }
    sections = [s for s in splitter[doc.doc_type](doc, doc_pages) if s.text.strip()]
    if not sections and doc.lines:
        sections = _per_page(doc, doc_pages)
    return sections


def make_section(
    doc: Document, kind: str, number: str | None, title: str, lines: list[Line], label: str, heading_lines: int = 1
) -> Section:
    key = number or slugify(title)[:40]
    return Section(
        section_id=f"{doc.doc_id}#{kind}-{slugify(key)}",
        doc_id=doc.doc_id,
        kind=kind,
        number=number,
        title=title,
        text="\n".join(ln.text for ln in lines),
        page_start=lines[0].page if lines else doc.page_start,
        page_end=lines[-1].page if lines else doc.page_start,
        locator=f"{doc_label(doc)} — {label}",
        lines=lines,
        extra={"heading_lines": str(heading_lines)},
    )


def _unique(sections: list[Section]) -> list[Section]:
    seen: dict[str, int] = {}
    for s in sections:
        if s.section_id in seen:
            seen[s.section_id] += 1
            s.section_id = f"{s.section_id}-{seen[s.section_id]}"
        else:
            seen[s.section_id] = 1
    return sections


# One grammar for the numbered items of minutes and agendas. A heading line is an optional
# roll-call or file number that clerks print before an item ("98-3512 37. …", after a status
# stamp such as "WITHDRAWN" if any), then the item's label: "34." / "34" / "5)" (every
# council), "3A." (an item added after 3), "A." and "IV." (lettered and Roman agenda parts),
# labels that carry their parent's ("5.1", "10.25.01", "A.-1", "H-1"), "89. (C)", and "(C)"
# after a roll-call number only (a lettered sub-item voted on its own; without one, "(c)" is a
# point of a resolution, not an item). Whether a line that fits is an item is decided by the
# outline it continues (see _minute_items), not here.
_HEADING = re.compile(
    r"^(?:(?:[A-Z]{3,}\s*)?(?P<ref>\d{2,4}-\d{3,5})\s+)?"
    r"(?:(?P<compound>(?:[A-Z]|\d{1,4})(?:\.?-\d{1,3}|\.\d{1,3})+)\.?"
    r"|(?P<num>\d{1,4})(?P<suffix>[A-Z])?(?:\.\s*\((?P<sub>[A-Z]{1,2})\)|[.)])?"
    r"|(?P<alpha>[A-Z]|[IVXL]{2,6})\."
    r"|\((?P<paren>[A-Z]{1,2})\))"
    r"\s+(?P<title>\S.*)$"
)
# An item title starts as a heading does: a capital, a bracket or quote, or a decision or
# file reference ("24/00108 - …", "24-7164 A Resolution …"); a lower-case word is running text.
_TITLE_START = re.compile(r"^(?:[A-Z(‘'\"“]|\d{2}/\d{3,6}\b|\d{2,4}-\d{3,5}\s)")
# "Item 5: Title", "(Item 5) Title", "Agenda Item H-1": the label is named, not implied.
_TAGGED = re.compile(
    r"^\(?(?i:(?:agenda\s*)?item)\s*(?P<label>[A-Z]{1,2}-\d{1,3}|[A-Z]\b|\d{1,3}(?:[.-]\d{1,3})?[A-Z]?)\)?"
    r"(?:\s*$|\s*[:.\-–—]\s*(?P<title>.*)$|\s+\[[^\]]*\]\s*$|\s+(?P<plain>[A-Z(].*)$)"
)
_ROMAN = re.compile(r"^L?X{0,3}(?:IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}


@dataclass
class _Heading:
    """A line that may open a minute or agenda item, with each reading of its label."""

    alts: list[tuple[str, int]]
    """(style, value) readings: ``num``, ``letter``, ``roman``, ``paren`` or ``compound``."""
    label: str
    title: str
    ref: tuple[int, int] | None = None
    """The roll-call or file number printed before the label (``98-3512`` as (98, 3512)), to compare."""
    prefix: str | None = None
    """A compound label's parent ("A" of "A-1")."""
    inserted: bool = False
    """"3A.": an item added after item 3."""
    sub: int | None = None
    sub_label: str = ""
    named: bool = False
    """"Agenda Item H-1": the line says it is an item, so it needs no outline around it."""


@dataclass
class _Level:
    """One open level of an agenda's outline and the item it is at."""

    style: str
    value: int
    label: str
    number: str
    prefix: str | None = None


def _roman(text: str) -> int | None:
    """``IV`` → 4; None for letters that are no Roman numeral."""
    if not text or not _ROMAN.match(text):
        return None
    total = 0
    for a, b in zip(text, text[1:] + " ", strict=True):
        v = _ROMAN_VALUES[a]
        total += -v if b != " " and _ROMAN_VALUES[b] > v else v
    return total


def _parse_heading(text: str) -> _Heading | None:
    """The item label and title a line starts with, if it reads as an item heading."""
    text = text.strip()
    if len(text) > MAX_HEADING_CHARS:
        return None
    m = _HEADING.match(text)
    if not m:
        return _named_heading(text)
    if not (_TITLE_START.match(m["title"]) or (m["ref"] and m["title"][0].isdigit())):
        return None  # a roll-call entry may open with an address: "98-3611 (B) 2009-27th, vacant"
    title = m["title"].strip()
    ref = (int(m["ref"].split("-")[0]), int(m["ref"].split("-")[1])) if m["ref"] else None
    if m["compound"]:
        parts = re.split(r"\.?-|\.", m["compound"])
        label = m["compound"].replace(".-", "-")
        prefix = label[: len(label) - len(parts[-1]) - 1]
        return _Heading([("compound", int(parts[-1]))], label, title, ref, prefix=prefix)
    if m["num"]:
        value = int(m["num"])
        head = _Heading([("num", value)], m["num"] + (m["suffix"] or ""), title, ref, inserted=bool(m["suffix"]))
        if m["sub"]:
            head.sub, head.sub_label = _letters_value(m["sub"]), f"({m['sub']})"
        return head
    if m["paren"]:
        if ref is None:
            return None
        return _Heading([("paren", _letters_value(m["paren"]))], f"({m['paren']})", title, ref)
    alpha = m["alpha"]
    if ref is None and not _heading_case(title):
        return None  # "A. Thomas reported …": an initial, not a lettered heading
    alts: list[tuple[str, int]] = [("letter", ord(alpha) - 64)] if len(alpha) == 1 else []
    if (value := _roman(alpha)) is not None:
        alts.append(("roman", value))
    return _Heading(alts, alpha, title, ref) if alts else None


def _named_heading(text: str) -> _Heading | None:
    """A heading that calls itself an item: "Item 5: Title", "Agenda Item H-1"."""
    t = _TAGGED.match(text)
    if not t or _ITEM_TAG.match(text):
        return None  # "(Item 4)" under a title line: the title line is the heading (see _minute_items)
    label, title = t["label"], (t["title"] or t["plain"] or "").strip()
    if label.isalpha():
        return _Heading([("letter", _letters_value(label))], label, title, named=True)
    parts = re.split(r"[.-]", label)
    if len(parts) > 1:
        return _Heading([("compound", int(parts[-1]))], label, title, prefix=parts[0], named=True)
    inserted = label[-1].isalpha()
    number = int(label[:-1] if inserted else label)
    return _Heading([("num", number)], label, title, inserted=inserted, named=True)


def _letters_value(letters: str) -> int:
    """``A`` → 1, ``Z`` → 26, ``AA`` → 27: lettered sub-items run on past Z by doubling."""
    return ord(letters[0]) - 64 + 26 * (len(letters) - 1)


def _heading_case(title: str) -> bool:
    """Capitals or title case ("Call to Order & Roll Call"), brackets aside: how headings are set."""
    bare = re.sub(r"\([^()]*\)", " ", title)  # innermost brackets: "[^)]*" ran on from every unclosed "("
    return all(w[0].isupper() for w in re.findall(r"[A-Za-z][\w'’]*", bare) if len(w) >= 4)


_TITLE_ABBREVIATIONS = frozenset({"Mrs", "Cllr", "Nos", "Ord", "Res", "Ltd"})
"""Abbreviations a title runs on after ("Ord. to rezone …"): their full stop ends no sentence."""


def _item_title(title: str, line: str) -> tuple[str, bool]:
    """The heading's title, and whether the item's text follows it on the same line
    ("2644. Public Forum: Mr Hoggins …", "5. City Clerk to issue Licenses. Moved by …")."""
    inline = False
    colon = re.search(r":-?\s+(?=\S)", title)
    if colon and (title.rstrip().endswith(".") or len(line) >= WRAPPED_HEADING_CHARS):
        title, inline = title[: colon.start()], True
    for stop in re.finditer(r"(?<!\w)(\w+)\.\s+(?=[A-Z])", title):  # from a word's start, not each letter
        word = stop.group(1)
        if re.search(r"[a-z]{2}$", word) and word not in _TITLE_ABBREVIATIONS:
            title, inline = title[: stop.end(1)], True
            break
    title = title.strip().rstrip(":-–— ").strip()
    if title.endswith(".") and not re.search(r"(?:^|[\s.])[A-Z]\.$", title):  # an initial keeps its stop: "Park L.P."
        title = title[:-1]
    return title, inline


def _wraps(line: str, nxt: str, nxt_head: _Heading | None) -> bool:
    """Whether ``nxt`` is the end of a long heading that wrapped: a short line that is no heading,
    sentence or capitals part heading of its own, after a heading line that is not complete."""
    line, nxt = line.strip(), nxt.strip()
    return (
        len(line) >= WRAPPED_HEADING_CHARS
        and not line.endswith((".", ":", ";"))
        and len(nxt.split()) <= CONTINUATION_MAX_WORDS
        and nxt_head is None
        and not re.search(r"[.;:]\s+\S", nxt)
        and not (nxt.isupper() and not line.isupper())
    )


RUNNING_LINES = 3
"""How many lines at the top and foot of a page a running header or footer may take."""


def _repeated(lines: Sequence[Line]) -> set[str]:
    """Lines printed at the top or foot of two or more pages: running headers and footers
    ("Agenda Item H-1 – Resolution …" on every page of a transcript), never an item heading."""
    by_page: dict[int, list[str]] = {}
    for ln in lines:
        by_page.setdefault(ln.page, []).append(" ".join(ln.text.split()))
    pages: dict[str, set[int]] = {}
    for page, texts in by_page.items():
        for text in {*texts[:RUNNING_LINES], *texts[-RUNNING_LINES:]}:
            pages.setdefault(text, set()).add(page)
    return {text for text, on in pages.items() if len(on) > 1}


def _open(levels: Sequence[_Level], style: str, prefix: str | None = None) -> int | None:
    """Index of the open level of ``style`` (and, for compound labels, the same parent)."""
    for k in range(len(levels) - 1, -1, -1):
        if levels[k].style == style and (style != "compound" or levels[k].prefix == prefix):
            return k
    return None


def _level(parents: list[_Level], style: str, value: int, h: _Heading, label: str | None = None) -> list[_Level]:
    """``parents`` with a new innermost level: the item that ``h`` opens."""
    label = label or h.label
    if not parents or style == "compound":
        number = label
    elif style == "paren":
        number = parents[-1].number + label
    else:
        number = f"{parents[-1].number}.{label}"
    return [*parents, _Level(style, value, label, number, h.prefix if style == "compound" else None)]


_Last = dict[tuple[str, str | None, int], int]
"""For each reading (style, parent of a compound label, value): the last line that has it."""


def _last_readings(heads: Sequence[_Heading | None]) -> _Last:
    """Where each reading of a label last occurs, so "does the list go on?" is one look-up."""
    last: _Last = {}
    for i, h in enumerate(heads):
        for style, value in h.alts if h else ():
            last[(style, h.prefix if h and style == "compound" else None, value)] = i
    return last


def _follows(last: _Last, i: int, style: str, value: int, prefix: str | None) -> bool:
    """Whether a later heading continues ``value`` in ``style``: the numbers of a real list of
    items rise, a stray "400 Robert Drive" or "2003 Building Code" line has none after it."""
    key = prefix if style == "compound" else None
    return any(last.get((style, key, v), -1) > i for v in range(value + 1, value + ITEM_GAP + 1))


def _next_item(levels: list[_Level], h: _Heading) -> list[_Level] | None:
    """The outline after ``h`` when it is the next item of an open level."""
    if h.sub is not None:  # "89. (C)": sub-item C of item 89
        k = _open(levels, "num")
        if k is None or levels[k].value != h.alts[0][1]:
            return None
        return _level(levels[: k + 1], "paren", h.sub, h, h.sub_label)
    for style, value in h.alts:
        k = _open(levels, style, h.prefix)
        if k is not None:
            step = value - levels[k].value
            if 0 < step <= ITEM_GAP or (step == 0 and h.inserted):
                return _level(levels[:k], style, value, h)
    return None


def _new_item(
    levels: list[_Level],
    h: _Heading,
    i: int,
    heads: Sequence[_Heading | None],
    lines: Sequence[Line],
    ref_rises: bool,
    last: _Last,
) -> list[_Level] | None:
    """The outline after ``h`` when it opens a level, or restarts one after a part heading."""
    style, value = h.alts[0]
    if h.named and not levels:
        return _level([], style, value, h)
    if style == "paren":  # "98-3516 (B)": a sub-item with its own roll call, under the current item
        k = _open(levels, "num")
        return _level(levels[: k + 1], "paren", value, h) if k is not None and ref_rises else None
    if style == "num" and (k := _open(levels, "num")) is not None:
        # Numbering starts again for a new part ("EXTRA ITEMS", "BOARD OF HEALTH") when the
        # roll-call numbers run on or a capitals heading precedes, and the old run has ended.
        prev = lines[i - 1].text.strip() if i else ""
        part = prev.isupper() and not prev.endswith(":") and heads[i - 1] is None
        if (ref_rises or (value == 1 and part)) and not _follows(last, i, "num", levels[k].value, None):
            return _level(levels[:k], "num", value, h)
        return None
    for style, value in h.alts:
        if style == "compound":
            parent = next((k for k in range(len(levels) - 1, -1, -1) if levels[k].label == h.prefix), None)
            if parent is not None and value == 1:
                return _level(levels[: parent + 1], style, value, h)
            if not levels and _follows(last, i, style, value, h.prefix):
                return _level([], style, value, h)
            continue
        if _open(levels, style) is not None:
            continue  # a style does not nest inside itself: "1." under item 87 is a paragraph
        parents = list(levels)
        while parents and parents[-1].style == "compound":
            parents.pop()  # "D-6" names its own place; "1." after it is a part of D, not of D-6
        if value == 1 or (not levels and _follows(last, i, style, value, None)):
            return _level(parents, style, value, h)
    return None


def _list_intro(lines: Sequence[Line], i: int, heads: Sequence[_Heading | None]) -> bool:
    """A sentence ending in a colon ("Persons are reminded of the following:") introduces a list."""
    if not i or heads[i - 1] is not None:
        return False
    prev = lines[i - 1].text.strip()
    return prev.endswith(":") and len(prev.split()) >= 3 and bool(re.search(r"\b[a-z]{3,}\b", prev))


def _minute_items(doc: Document, pages: list[Page]) -> list[Section]:
    """Minute or agenda items: numbered headings that continue an outline whose numbers rise
    one by one, each level under the item above it (``V. Reports`` / ``A. Finance`` / ``1. …``)."""
    lines = doc.lines
    repeated = _repeated(lines)
    heads = [None if " ".join(ln.text.split()) in repeated else _parse_heading(ln.text) for ln in lines]
    last = _last_readings(heads)
    groups: list[tuple[str | None, str, list[Line]]] = [(None, "", [])]
    heading_sizes: dict[int, int] = {}
    roll_calls: dict[int, str] = {}
    levels: list[_Level] = []
    listing: tuple[str, int] | None = None
    last_ref: tuple[int, int] | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        h = heads[i]
        placed: list[_Level] | None = None
        if h is not None and not _RESOLUTION_TITLE.match(h.title):
            if listing and any(s == listing[0] and v == listing[1] + 1 for s, v in h.alts):
                listing = (listing[0], listing[1] + 1)  # the next entry of a list, not an item
            else:
                listing = None
                placed = _next_item(levels, h)
                if placed is not None and levels and _is_list_entry(lines, i):
                    placed = None
                elif placed is None and h.ref is None and h.alts[0][0] != "compound" and _list_intro(lines, i, heads):
                    listing = h.alts[0]
                elif placed is None:
                    rises = h.ref is not None and (last_ref is None or h.ref > last_ref)
                    placed = _new_item(levels, h, i, heads, lines, rises, last)
        if placed is not None and h is not None:
            levels = placed
            last_ref = h.ref or last_ref
            title, inline = _item_title(h.title, line.text)
            heading = [line]
            tag = _item_tag_ahead(lines, i)
            if tag is not None:  # "84. Title" / wrapped title lines / "(Item 1)"
                title = " ".join([title, *(ln.text.strip() for ln in lines[i + 1 : tag])]).strip()
                heading.extend(lines[i + 1 : tag + 1])
                i = tag
            elif not inline and i + 1 < len(lines) and _wraps(line.text, lines[i + 1].text, heads[i + 1]):
                nxt = lines[i + 1].text.strip()
                title = _item_title(f"{title} {nxt}", "")[0]
                heading.append(lines[i + 1])
                i += 1
            heading_sizes[len(groups)] = len(heading)
            if h.ref:
                roll_calls[len(groups)] = re.findall(r"\d{2,4}-\d{3,5}", line.text)[0]
            groups.append((levels[-1].number, title, heading))
            i += 1
            continue
        tagged = _ITEM_TAG.match(line.text.strip())
        if tagged and groups[-1][2]:
            # "Title" then "(Item 4)" with no minute number: the title line starts the item.
            title_line = groups[-1][2].pop()
            number = tagged.group(1)
            levels = [_Level("num", int(number), number, number)]
            heading_sizes[len(groups)] = 2
            groups.append((number, title_line.text.strip(), [title_line, line]))
            i += 1
            continue
        groups[-1][2].append(line)
        i += 1
    sections: list[Section] = []
    for g, (num, title, group_lines) in enumerate(groups):
        if not group_lines:
            continue
        if num is None:
            label = "attendance and opening" if doc.doc_type == "minutes" else "front sheet"
            sections.append(
                make_section(doc, "preamble", None, label.capitalize(), group_lines, label, heading_lines=0)
            )
        else:
            section = make_section(
                doc, "item", num, title, group_lines, f"item {num} {title}".strip(), heading_sizes.get(g, 1)
            )
            if g in roll_calls:
                section.extra["roll_call"] = roll_calls[g]  # the number its vote is recorded under
            sections.append(section)
    return _unique(sections)


_ITEM_TAG = re.compile(r"^\(Item\s+(\d{1,3})\)$", re.I)
ITEM_TAG_LOOKAHEAD = 4
"""Lines a wrapped item title may take before its "(Item N)" tag."""


def _item_tag_ahead(lines: Sequence[Line], i: int) -> int | None:
    """Index of an "(Item N)" line within the next few lines after a numbered heading."""
    for j in range(i + 1, min(i + 1 + ITEM_TAG_LOOKAHEAD, len(lines))):
        if _ITEM_TAG.match(lines[j].text.strip()):
            return j
        if _parse_heading(lines[j].text) or len(lines[j].text) > MAX_HEADING_CHARS:
            return None
    return None


def _is_list_entry(lines: Sequence[Line], i: int) -> bool:
    """A "1." line right after "…resolved to approve the following recommendations:" is a list entry."""
    prev = lines[i - 1].text.strip() if i else ""
    return prev.endswith(":") and bool(re.search(r"resolv|agree|recommend|decid", prev, re.I))


def _report_sections(doc: Document, pages: list[Page]) -> list[Section]:
    """Numbered report sections (``5.3 Recommendations``) and the cover sheet's headings."""
    from ingest.tables import segment_progress_rows  # tables imports this module's helpers

    lines = list(doc.lines)
    rows: list[Section] = []
    table = segment_progress_rows(pages, doc.doc_id, doc_label(doc)) if pages else None
    if table is not None and table.rows:
        lines = _drop_table_lines(lines, table)
        rows = table.rows

    groups: list[tuple[str, str | None, str, list[Line]]] = [("preamble", None, "Cover sheet", [])]
    top: int = 0
    minor: int = 0
    top_title = ""
    pending_top: list[Line] = []
    for line in lines:
        text = line.text.strip()
        lowered = text.lower().rstrip()
        if lowered in FRONT_HEADINGS or lowered.rstrip(":") in FRONT_HEADINGS:
            groups.append(("section", None, text.rstrip(":"), [line]))
            continue
        m_top = _TOP.match(text)
        if m_top and int(m_top.group("num")) == top + 1 and len(text) <= MAX_HEADING_CHARS:
            top, minor = int(m_top.group("num")), 0
            top_title = m_top.group("title").strip().rstrip(":")
            groups.append(("section", str(top), top_title, [line]))
            pending_top = [line]
            continue
        m_sub = _SUB.match(text)
        if m_sub:
            major, sub = int(m_sub.group("major")), int(m_sub.group("minor"))
            if (major == top and sub == minor + 1) or (major == top + 1 and sub == 1):
                if major != top:
                    top, top_title = major, ""
                minor = sub
                rest = (m_sub.group("rest") or "").strip()
                title = (
                    rest.rstrip(":")
                    if rest and len(rest.split()) <= CONTINUATION_MAX_WORDS
                    else (top_title or rest[:60])
                )
                number = f"{major}.{sub}"
                if pending_top and groups[-1][1] == str(major) and len(groups[-1][3]) == len(pending_top):
                    groups.pop()  # a bare "5. Heading" joins its first subsection
                    groups.append(("section", number, title, [*pending_top, line]))
                else:
                    groups.append(("section", number, title, [line]))
                pending_top = []
                continue
        groups[-1][3].append(line)
    sections = []
    for kind, number, title, group_lines in groups:
        if not group_lines or (number and len(group_lines) == 1 and group_lines[0].text.strip() == number):
            continue  # a bare "3.3" above a table whose rows are sections of their own
        label = f"section {number} {title}".strip() if number else title
        sections.append(
            make_section(
                doc,
                "preamble" if kind == "preamble" else "section",
                number,
                title,
                group_lines,
                label,
                heading_lines=0 if kind == "preamble" else 1,
            )
        )
    return _unique(sections + rows)


def _drop_table_lines(lines: list[Line], table: object) -> list[Line]:
    """Remove the progress table's lines (they become row sections) from the prose."""

    def collapse(s: str) -> str:
        return " ".join(s.split())

    start_page, start_heading = table.start_page, collapse(table.start_heading)  # type: ignore[attr-defined]
    end_page, end_heading = table.end_page, table.end_heading  # type: ignore[attr-defined]
    out: list[Line] = []
    inside = False
    for line in lines:
        text = collapse(line.text)
        if not inside and line.page == start_page and text == start_heading:
            inside = True
            continue
        if inside and end_heading and line.page == end_page and text == collapse(end_heading):
            inside = False
        if inside and not end_heading and line.page > end_page:
            inside = False
        if not inside:
            out.append(line)
    return out


def _slides(doc: Document, pages: list[Page]) -> list[Section]:
    """One section per slide (page); its first line is its title."""
    sections = []
    for k, page in enumerate(pages, start=1):
        lines = [ln for ln in doc.lines if ln.page == page.number]
        if not lines:
            continue
        title = lines[0].text.strip()
        if len(lines) > 1 and len(title.split()) <= 3 and len(lines[1].text.split()) <= 4:
            title = f"{title}: {lines[1].text.strip()}"  # "Use of resources" / "Strengths"
        sections.append(make_section(doc, "slide", f"slide {k}", title, lines, f"slide {k}: {title}"))
    return _unique(sections)


def _plan(doc: Document, pages: list[Page]) -> list[Section]:
    from ingest.tables import segment_plan

    sections = segment_plan(pages, doc.doc_id, doc_label(doc))
    return _unique(sections) if sections else _report_sections(doc, pages)


def _per_page(doc: Document, pages: list[Page]) -> list[Section]:
    kind = "glossary" if doc.doc_type == "glossary" else "section"
    sections = []
    for page in pages:
        lines = [ln for ln in doc.lines if ln.page == page.number]
        if lines:
            sections.append(
                make_section(doc, kind, f"page {page.number}", doc.title, lines, f"page {page.number}", heading_lines=0)
            )
    return _unique(sections)
