"""The bundled agenda pack, parsed end to end: documents, minute items, resolutions,
plan areas and actions, glossary entries, chunks and sentences.

Expected values were read off the PDF's text (page by page) and quotes are checked
against the pack's source text (``fixtures/pack/…source.txt``, a copy of the text the PDF
was made from), which holds the same words with HTML and "Page N" markers.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from conftest import CORPUS_PDF

from ingest.models import Document, Resolution, Section
from ingest.pipeline import ParsedFile, parse_pdf
from ingest.settings import Settings

SOURCE_NAME = CORPUS_PDF.with_suffix(".source.txt").name
SOURCE = Path(__file__).parent / "fixtures" / "pack" / SOURCE_NAME
ORGANISATION = "London Borough of Barking and Dagenham"
COMMITTEE = "Overview and Scrutiny Committee"

# (doc_type, meeting_date, document_date or None to skip, page_start, page_end, words in the title)
EXPECTED_DOCUMENTS = [
    ("agenda", "2024-04-17", None, 1, 2, "agenda"),
    ("minutes", "2024-01-24", None, 3, 5, "24 January 2024"),
    ("minutes", "2024-03-13", None, 6, 10, "13 March 2024"),
    ("report", "2024-04-17", None, 11, 15, "Public Health Peer Review"),
    ("presentation", None, "2024-02-29", 16, 37, "Public Health Peer Review"),
    ("report", "2024-04-17", None, 38, 45, "Improvement Plan"),
    ("plan", None, None, 46, 56, "Improvement Plan"),
    ("glossary", None, None, 57, 58, "Glossary"),
]

JANUARY_ITEMS = {
    "32": "Declaration of Members' Interests",
    "33": "Minutes - To confirm as correct the minutes of the meeting held on 5th December 2023",
    "34": "Budget Strategy 2024/25 to 2026/27",
    "35": "Work Programme",
}
MARCH_ITEMS = {
    "36": "Declaration of Members' Interests",
    "37": "Minutes - To confirm as correct the minutes of the meeting held on 24 January 2024",
    "38": "Compliance Progress & Update Report",
    "39": "BDMS Update report – Responsive Repairs Performance",
    "40": "Work Programme",
}

# Resolutions: (minute item, meeting date, page, first words); the full text comes from the source.
ITEM_34_RESOLUTIONS = [
    "1. A Scrutiny Review into the Investment and Acquisition Strategy",
    "2. Following on from a benchmarking exercise",
    "3. Budget monitoring reports to be presented",
    "4. A Member Briefing to be held",
]
ITEM_39_RESOLUTIONS = [
    "1. A review into the efficiency of BDMS",
    "2. An independent review to be undertaken on BDMS",
]

PLAN_ACTIONS_PER_AREA = {"1": 6, "2": 7, "3": 13, "4": 8, "5": 8, "6": 5, "7": 5, "8": 16}
BUDGET_LOCATOR = "Minutes, 24 January 2024 — item 34 Budget Strategy 2024/25 to 2026/27"


def norm(text: str) -> str:
    return " ".join(text.split())


@cache
def source_lines() -> tuple[str, ...]:
    """The source text's lines, HTML tags and "Page N" markers removed, white space normalised."""
    out = []
    for raw in SOURCE.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"<[^>]+>", " ", raw)
        line = re.sub(r"^\s*Page \d+\b", " ", line)
        line = norm(line)
        if line:
            out.append(line)
    return tuple(out)


def source_line(prefix: str) -> str:
    """The one source line that starts with ``prefix``."""
    found = [ln for ln in source_lines() if ln.startswith(prefix)]
    assert len(found) == 1, f"{prefix!r}: {len(found)} lines in the source"
    return found[0]


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings.from_env(env={})


@pytest.fixture(scope="module")
def parsed(settings: Settings) -> ParsedFile:
    return parse_pdf(CORPUS_PDF, "test", settings)


@pytest.fixture(scope="module")
def docs(parsed: ParsedFile) -> list[Document]:
    return parsed.documents


def _doc(parsed: ParsedFile, doc_type: str, page_start: int) -> Document:
    found = [d for d in parsed.documents if d.doc_type == doc_type and d.page_start == page_start]
    assert len(found) == 1, [(d.doc_type, d.page_start) for d in parsed.documents]
    return found[0]


def _items(parsed: ParsedFile, doc: Document) -> dict[str, Section]:
    items = [s for s in parsed.sections if s.doc_id == doc.doc_id and s.kind == "item"]
    return {s.number: s for s in items if s.number is not None}


# --- documents ---------------------------------------------------------------------------


def test_documents_types_dates_and_pages(docs: list[Document]) -> None:
    got = [(d.doc_type, d.page_start, d.page_end) for d in docs]
    assert got == [(t, a, b) for t, _, _, a, b, _ in EXPECTED_DOCUMENTS]
    for doc, (_, meeting, dated, _, _, title_words) in zip(docs, EXPECTED_DOCUMENTS, strict=True):
        if meeting is not None:
            assert doc.meeting_date == meeting, doc.title
        if dated is not None:
            assert doc.document_date == dated, doc.title
        assert title_words.lower() in doc.title.lower(), doc.title


def test_documents_organisation_and_committee(docs: list[Document]) -> None:
    for doc in docs:
        assert doc.organisation == ORGANISATION, doc.title
        assert doc.committee == COMMITTEE, doc.title
        assert doc.source_file == CORPUS_PDF.name


def test_document_ids_unique(parsed: ParsedFile) -> None:
    ids = [d.doc_id for d in parsed.documents]
    assert len(ids) == len(set(ids))
    section_ids = [s.section_id for s in parsed.sections]
    assert len(section_ids) == len(set(section_ids))


def test_deck_holds_its_glossary_page(parsed: ParsedFile) -> None:
    deck = _doc(parsed, "presentation", 16)
    slide = [s for s in parsed.sections if s.doc_id == deck.doc_id and s.page_start == 36]
    assert len(slide) == 1
    assert "Glossary" in slide[0].text
    assert "ICB: Integrated Care Board (NHS North East London)" in slide[0].text


# --- minute items ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page_start", "meeting_date", "expected"),
    [(3, "2024-01-24", JANUARY_ITEMS), (6, "2024-03-13", MARCH_ITEMS)],
    ids=["january", "march"],
)
def test_minute_items_and_titles(parsed: ParsedFile, page_start: int, meeting_date: str, expected: dict) -> None:
    doc = _doc(parsed, "minutes", page_start)
    assert doc.meeting_date == meeting_date
    items = _items(parsed, doc)
    assert {n: s.title for n, s in items.items()} == expected
    for number, title in expected.items():
        # the same title stands in the source as a heading line (wrapped lines joined)
        assert f"{number}. {title}" in source_lines()
        section = items[number]
        assert section.locator.endswith(f"item {number} {title}")
        assert doc.page_start <= section.page_start <= section.page_end <= doc.page_end


def test_minute_item_pages(parsed: ParsedFile) -> None:
    january = _items(parsed, _doc(parsed, "minutes", 3))
    march = _items(parsed, _doc(parsed, "minutes", 6))
    assert (january["34"].page_start, january["34"].page_end) == (3, 5)
    assert (january["35"].page_start, january["35"].page_end) == (5, 5)
    assert (march["38"].page_start, march["38"].page_end) == (7, 7)
    assert (march["39"].page_start, march["39"].page_end) == (7, 10)


# --- resolutions -------------------------------------------------------------------------


def _decisions(parsed: ParsedFile, item: str, meeting_date: str) -> list[Resolution]:
    return [
        r
        for r in parsed.resolutions
        if r.kind == "decision" and r.minute_item == item and r.meeting_date == meeting_date
    ]


@pytest.mark.parametrize(
    ("item", "meeting_date", "page", "prefixes"),
    [("34", "2024-01-24", 5, ITEM_34_RESOLUTIONS), ("39", "2024-03-13", 10, ITEM_39_RESOLUTIONS)],
    ids=["item34", "item39"],
)
def test_resolutions_verbatim(parsed: ParsedFile, item: str, meeting_date: str, page: int, prefixes: list[str]) -> None:
    got = _decisions(parsed, item, meeting_date)
    assert len(got) == len(prefixes)
    for res, prefix, number in zip(got, prefixes, range(1, len(prefixes) + 1), strict=True):
        assert norm(res.text) == source_line(prefix)
        assert res.number == str(number)
        assert res.page == page
        assert res.organisation == ORGANISATION
        assert res.committee == COMMITTEE
        assert f"item {item}" in res.locator


def test_report_recommendations_are_proposals(parsed: ParsedFile) -> None:
    reports = {d.doc_id for d in parsed.documents if d.doc_type == "report"}
    assert not [r for r in parsed.resolutions if r.doc_id in reports and r.kind == "decision"]
    sections = {s.section_id: s for s in parsed.sections}
    recs = [r for r in parsed.resolutions if sections[r.section_id].title == "Recommendation(s)"]
    assert [(r.kind, r.page, r.minute_item) for r in recs] == [("proposal", 11, None), ("proposal", 38, None)]
    assert recs[0].text == (
        "The Overview and Scrutiny Committee is asked to note the feedback of the Local Government "
        "Association Peer Team and their eight recommendations."
    )
    assert recs[0].meeting_date == "2024-04-17"
    # verbatim: the source prints the heading and the recommendation on one line
    heading = "Recommendation(s) "
    assert heading + norm(recs[0].text) == source_line(heading + "The Overview and Scrutiny Committee is asked")
    assert heading + norm(recs[1].text) == source_line(heading + "The Overview and Scrutiny Committee recommended")


# --- improvement plan --------------------------------------------------------------------


def test_plan_areas_and_actions(parsed: ParsedFile) -> None:
    plan = _doc(parsed, "plan", 46)
    sections = [s for s in parsed.sections if s.doc_id == plan.doc_id]
    areas = [s for s in sections if s.kind == "area"]
    assert [s.number for s in areas] == [f"Area {n}" for n in range(1, 9)]
    actions = [s for s in sections if s.kind == "action"]
    assert Counter(s.extra["area"] for s in actions) == PLAN_ACTIONS_PER_AREA
    assert len(actions) == sum(PLAN_ACTIONS_PER_AREA.values()) == 68
    for action in actions:
        assert action.extra.get("lead", "").strip(), action.section_id
        assert plan.page_start <= action.page_start <= action.page_end <= plan.page_end


# --- glossary ----------------------------------------------------------------------------


def test_glossary_entries_from_glossary_pages(parsed: ParsedFile) -> None:
    entries = [g for g in parsed.glossary if g.source == "glossary"]
    assert len(entries) >= 45
    source = "\n".join(source_lines())
    for g in entries:
        # every entry is a row of one of the two glossaries, as printed
        rows = (f"{g.term} {g.expansion}", f"{g.term}: {g.expansion}", f"{g.term} – {g.expansion}")
        assert any(row in source for row in rows), (g.term, g.expansion)
    glossary_doc = _doc(parsed, "glossary", 57).doc_id
    deck = _doc(parsed, "presentation", 16).doc_id
    by_doc = {(g.doc_id, g.term): g for g in entries}
    expected = {
        (glossary_doc, "TCLPM"): ("Threshold of Care Legal Planning Meeting", 58),
        (glossary_doc, "DARAC"): ("Domestic Abuse Risk Assessment for Children", 57),
        (glossary_doc, "MASH"): ("Multi-Agency Safeguarding Hub", 57),
        (glossary_doc, "PLO"): ("Public Law Outline", 57),
        (deck, "ICB"): ("Integrated Care Board (NHS North East London)", 36),
    }
    for key, (expansion, page) in expected.items():
        assert key in by_doc, key
        assert (by_doc[key].expansion, by_doc[key].page) == (expansion, page)


def test_inline_definitions(parsed: ParsedFile) -> None:
    inline = {g.term: g for g in parsed.glossary if g.source == "inline"}
    mtfs = inline["MTFS"]
    assert mtfs.expansion == "Medium Term Financial Strategy"
    assert mtfs.page == 3
    assert mtfs.doc_id == _doc(parsed, "minutes", 3).doc_id


# --- chunks and sentences ----------------------------------------------------------------


def test_chunks_stay_inside_documents_and_sections(parsed: ParsedFile, settings: Settings) -> None:
    docs = {d.doc_id: d for d in parsed.documents}
    sections = {s.section_id: s for s in parsed.sections}
    assert parsed.chunks
    for chunk in parsed.chunks:
        doc = docs[chunk.doc_id]
        section = sections[chunk.section_id]
        assert section.doc_id == chunk.doc_id
        assert doc.page_start <= chunk.page_start <= chunk.page_end <= doc.page_end, chunk.chunk_id
        assert section.page_start <= chunk.page_start <= chunk.page_end <= section.page_end, chunk.chunk_id
        assert chunk.locator.strip(), chunk.chunk_id
        assert chunk.text.strip(), chunk.chunk_id
        assert norm(chunk.text) in norm(section.text), chunk.chunk_id
        assert len(chunk.text.split()) <= settings.chunk_max_words, chunk.chunk_id
    assert [c.ordinal for c in parsed.chunks] == list(range(len(parsed.chunks)))


def test_budget_gap_chunk_locator_and_page(parsed: ParsedFile) -> None:
    holding = [c for c in parsed.chunks if "£23.335m for 2024/25" in norm(c.text)]
    assert holding
    for chunk in holding:
        assert chunk.locator == BUDGET_LOCATOR
        assert chunk.page_start == 3


def test_sentence_units_have_three_words_or_more(parsed: ParsedFile) -> None:
    assert parsed.sentences
    short = [u.text for u in parsed.sentences if len(u.text.split()) < 3]
    assert short == []
    chunk_ids = {c.chunk_id for c in parsed.chunks}
    assert all(u.chunk_id in chunk_ids for u in parsed.sentences)
