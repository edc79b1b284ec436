"""Documents → sections: minute items, numbered report sections, slides, plan areas and
action rows, table rows. A section is the unit a citation names; chunks never cross one."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

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

# "34. Budget Strategy 2024/25", "34 Budget Strategy", "(Item 5) Title", "Item 5: Title", "5) Title".
_ITEM_PATTERNS = [
    re.compile(r"^(?P<num>\d{1,3})\.?\s+(?P<title>(?:[A-Z(‘'\"]|\d{2}/\d{3,6}\b).*)$"),
    re.compile(r"^\(?Item\s+(?P<num>\d{1,3})\)?\s*[:.\-–—]?\s*(?P<title>.*)$", re.I),
    re.compile(r"^(?P<num>\d{1,3})\)\s+(?P<title>[A-Z].*)$"),
]
_RESOLUTION_TITLE = re.compile(r"^(?:It was\s+)?(?:unanimously\s+)?RESOLVED\b")
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


def _match_item(line: str) -> tuple[int, str] | None:
    for pattern in _ITEM_PATTERNS:
        m = pattern.match(line.strip())
        if m and m.group("title").strip():
            return int(m.group("num")), m.group("title").strip()
    return None


def _minute_items(doc: Document, pages: list[Page]) -> list[Section]:
    """Minute or agenda items: numbered headings whose numbers rise one by one."""
    groups: list[tuple[int | None, str, list[Line]]] = [(None, "", [])]
    heading_sizes: dict[int, int] = {}
    current: int | None = None
    lines = doc.lines
    i = 0
    while i < len(lines):
        line = lines[i]
        found = _match_item(line.text)
        if found and len(line.text) <= MAX_HEADING_CHARS:
            num, title = found
            plausible = num > 0 if current is None else 0 < num - current <= ITEM_GAP
            if plausible and not _RESOLUTION_TITLE.match(title) and (current is None or not _is_list_entry(lines, i)):
                heading = [line]
                tag = _item_tag_ahead(lines, i)
                if tag is not None:  # "84. Title" / wrapped title lines / "(Item 1)"
                    title = " ".join([title, *(ln.text.strip() for ln in lines[i + 1 : tag])]).strip()
                    heading.extend(lines[i + 1 : tag + 1])
                    i = tag
                elif len(line.text) >= WRAPPED_HEADING_CHARS and i + 1 < len(lines):
                    nxt = lines[i + 1].text.strip()
                    if len(nxt.split()) <= CONTINUATION_MAX_WORDS and not _match_item(nxt):
                        title = f"{title} {nxt}"
                        heading.append(lines[i + 1])
                        i += 1
                current = num
                heading_sizes[len(groups)] = len(heading)
                groups.append((num, title, heading))
                i += 1
                continue
        tagged = _ITEM_TAG.match(line.text.strip())
        if tagged and groups[-1][2]:
            # "Title" then "(Item 4)" with no minute number: the title line starts the item.
            title_line = groups[-1][2].pop()
            current = int(tagged.group(1))
            heading_sizes[len(groups)] = 2
            groups.append((current, title_line.text.strip(), [title_line, line]))
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
            sections.append(
                make_section(doc, "item", str(num), title, group_lines, f"item {num} {title}", heading_sizes.get(g, 1))
            )
    return _unique(sections)


_ITEM_TAG = re.compile(r"^\(Item\s+(\d{1,3})\)$", re.I)
ITEM_TAG_LOOKAHEAD = 4
"""Lines a wrapped item title may take before its "(Item N)" tag."""


def _item_tag_ahead(lines: Sequence[Line], i: int) -> int | None:
    """Index of an "(Item N)" line within the next few lines after a numbered heading."""
    for j in range(i + 1, min(i + 1 + ITEM_TAG_LOOKAHEAD, len(lines))):
        if _ITEM_TAG.match(lines[j].text.strip()):
            return j
        if _match_item(lines[j].text) or len(lines[j].text) > MAX_HEADING_CHARS:
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
