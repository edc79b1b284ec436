"""Records that flow through ingestion: PDF → pages → documents → sections → chunks.

Plain dataclasses; every field says what it means. Dates are ISO strings
(``YYYY-MM-DD``) or ``None`` when the papers do not give one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: The fixed vocabulary of document types.
#: ``agenda``: notice of meeting and agenda; ``minutes``: record of a meeting;
#: ``report``: an officer or cabinet-member report put to a meeting;
#: ``presentation``: a slide deck; ``plan``: an action or improvement plan laid
#: out as tables; ``glossary``: a stand-alone list of terms; ``table``: any other
#: tabular paper (e.g. a risk register); ``other``: anything else.
DOC_TYPES = ("agenda", "minutes", "report", "presentation", "plan", "glossary", "table", "other")

#: Kinds of section. ``item``: a numbered minute or agenda item; ``section``: a
#: numbered report section or an unnumbered heading block; ``slide``: one slide of
#: a deck; ``area``: an improvement-plan area's heading and introduction;
#: ``action``: one improvement-plan action row; ``row``: one row of a progress or
#: other table; ``glossary``: a glossary block; ``preamble``: text before the
#: first heading (attendance, summary).
SECTION_KINDS = ("item", "section", "slide", "area", "action", "row", "glossary", "preamble")


@dataclass(frozen=True)
class Page:
    """One PDF page's text, after clean-up."""

    number: int
    """1-based page number in the PDF file."""
    text: str
    """Reading-order text: running headers/footers and page-number lines removed,
    hyphenated line breaks joined."""
    layout: str
    """The same page in pypdf's layout mode (table rows kept on one line, columns
    aligned by spaces), with the same clean-up. Used for tables."""
    ocr_confidence: float | None = None
    """When the page had no text layer and its text was read by OCR: the mean confidence (0-100) of
    the words read. ``None`` for text from the PDF's text layer."""


@dataclass(frozen=True)
class Line:
    """One line of a document's text with the page it stands on."""

    page: int
    text: str


@dataclass
class Document:
    """One document inside a PDF (an agenda pack holds several)."""

    doc_id: str
    """Stable id: the source file's slug, a slash, the type and date (or title slug)."""
    title: str
    doc_type: str
    """One of :data:`DOC_TYPES`."""
    organisation: str | None
    """The council or body that published it, when the papers name it."""
    committee: str | None
    """The committee or meeting body, e.g. ``Overview and Scrutiny Committee``."""
    meeting_date: str | None
    """The meeting the document records (minutes) or was written for (agenda, report)."""
    document_date: str | None
    """The date the document itself bears (a deck's feedback date, a report's date)."""
    page_start: int
    page_end: int
    source_file: str
    """File name of the PDF it came from (no folder)."""
    lines: list[Line] = field(default_factory=list, repr=False, compare=False)
    """The document's text, line by line with pages; not stored in the index."""

    def record(self) -> dict[str, Any]:
        """The fields that are stored, without the text."""
        d = asdict(self)
        d.pop("lines")
        return d


@dataclass
class Section:
    """A structural unit of a document: a minute item, report section, slide,
    plan area or action row. Chunks never cross a section boundary."""

    section_id: str
    """Unique within the index: ``<doc_id>#<kind>-<number or ordinal>``."""
    doc_id: str
    kind: str
    """One of :data:`SECTION_KINDS`."""
    number: str | None
    """The number the papers give it (``34``, ``5.3``, ``Area 4, action 1.8``), if any."""
    title: str
    text: str
    """The section's text, heading included."""
    page_start: int
    page_end: int
    locator: str
    """Human label used in citations, e.g. ``Minutes, 24 January 2024 — item 34 Budget Strategy``."""
    lines: list[Line] = field(default_factory=list, repr=False, compare=False)
    """The section's lines with pages (for chunking); not stored."""
    extra: dict[str, str] = field(default_factory=dict)
    """Kind-specific fields, e.g. ``lead`` and ``due`` for a plan action."""


@dataclass
class Resolution:
    """What a meeting resolved, agreed or recommended (``kind='decision'``), or a
    recommendation put to a meeting for it to decide (``kind='proposal'``). Verbatim."""

    resolution_id: str
    doc_id: str
    section_id: str
    kind: str
    """``decision`` (recorded in minutes) or ``proposal`` (asked of the meeting in a report)."""
    text: str
    """The resolution's words exactly as printed, including its list number if any."""
    number: str | None
    """Its number in a numbered list of resolutions (``1``, ``(ii)``), if any."""
    organisation: str | None
    committee: str | None
    meeting_date: str | None
    minute_item: str | None
    """The minute or agenda item number it belongs to (``34``), or that a resolution's own text
    names (``Agenda Item D-1``)."""
    page: int
    locator: str
    mover: str | None = None
    """Who moved or proposed it, as the papers name them (``Cllr. O. Williams``, ``Coleman``), if they do."""
    seconder: str | None = None
    """Who seconded it, as the papers name them, if they do."""
    vote: str | None = None
    """How the vote went, if the papers say: the outcome and tally (``carried 5-2``, ``failed 4-2-1-1``),
    ``approved (unanimous)``, a bare tally (``5-0``) or roll-call counts (``Yeas: 6, Nays: 1``)."""


@dataclass
class GlossaryEntry:
    """An acronym or short term and what it stands for."""

    term: str
    expansion: str
    doc_id: str
    page: int
    source: str
    """``glossary`` (a glossary page) or ``inline`` (defined in running text as "Long Name (LN)")."""


@dataclass
class Chunk:
    """The unit that is embedded, retrieved and cited. Never crosses a section."""

    chunk_id: str
    doc_id: str
    section_id: str
    text: str
    """The passage as cited: the document's words, without added context."""
    embed_text: str
    """What is embedded: document and section title, then ``text``."""
    page_start: int
    page_end: int
    locator: str
    content_hash: str
    """sha256 of (model id, embedding template, embed_text): equal hash, equal vector."""
    ordinal: int
    """Position of the chunk within its document, from 0."""
