"""Real council PDFs from other councils (tests/fixtures/realdocs, sources in SOURCES.tsv).

Every file must parse; the two Kent minutes are checked item by item and resolution by
resolution. Expected values were read off each PDF's text.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from conftest import REALDOCS, ParsedFixtures, norm

from ingest.models import Resolution, Section
from ingest.pipeline import ParsedFile

KENT_CABINET = "uk_kent-cc_cabinet_minutes_2025-01-30.pdf"
KENT_CPP = "uk_kent-cc_corporate-parenting-panel_minutes_2024-12-10.pdf"
WELSH = "uk-wales_manordeilo-salem-community-council_minutes_2019-03-13_en.pdf"
US_PLANNING = "us_east-palo-alto-ca_planning-commission_minutes_2020-01-27.pdf"
KENT_AGENDA = "uk_kent-cc_county-council_agenda-frontsheet_2025-03-13.pdf"
KENT_RISKS = "uk_kent-cc_cabinet_appendixI_budget-risk-register-table_2025-01-30.pdf"
ALL_FILES = sorted(p.name for p in REALDOCS.glob("*.pdf"))

_RESOLVED = re.compile(r"^(?:\d{1,2}\.\s+)?RESOLVED\b")

CABINET_ITEMS = {
    "84": "Apologies",
    "85": "Declarations of Interest",
    "86": "Minutes of the Meeting held on 9th January 2025",
    "87": "Cabinet Member Updates",
    "88": "24/00108 - Revenue and Capital Budget Monitoring Report – November 2024-25",
    "89": (
        "Draft Revenue Budget 2025-26, MTFP 2025-28, Draft Capital Programme 2025-35 and Treasury Management Strategy"
    ),
    "90": (
        "24/00109 - Transfer the 18-25 section of the Strengthening Independence Service from the Children Young"
        " People and Education Directorate to the Adult Social Care and Health Directorate"
    ),
    "91": "24/00115 - Kent County Council Integrated Care Strategy (KCC ICS) Delivery Plan",
    "92": "24/00096 - Commissioning Plan for Education Provision in Kent 2025-29",
}

# RESOLVED paragraphs of the Cabinet minutes: minute item → (page of the first line, text).
CABINET_RESOLVED = {
    "86": (
        1,
        "RESOLVED that the minutes of the meeting on 9 January 2025 were a correct record and that they be"
        " signed by the Chair",
    ),
    "88": (
        10,
        "3. RESOLVED that Cabinet agree to: A) Note the forecast revenue overspend of £23.3m (excluding"
        " Schools). b) Note the forecast overspend on Schools’ Delegated Budgets of £30.4m. c) Note the"
        " forecast capital underspend of £111.6m. d) Note the progress on the delivery of savings. e) Agree"
        " the Capital budget changes. f) Note the Reserves, Treasury Management and Prudential Indicators"
        " Monitoring",
    ),
    "89": (
        13,
        "4. RESOLVED that Cabinet considered the proposed amendments from Cabinet Committees and endorsed the"
        " draft budget to be presented to County Council on 13th February for final decisions.",
    ),
    "90": (
        14,
        "5. RESOLVED that Cabinet agree to transfer the statutory functions delivered by the 18-25 section of"
        " the Strengthening Independence Service, including the transfer of workforce in services, from the"
        " Children Young People and Education Directorate to the Adult Social Care and Health Directorate"
        " from 1 April 2025; and that delegated authority be given to the Corporate Director of Adult Social"
        " Care and Health in consultation with the Corporate Director Children, Young People and Education"
        " to take the relevant actions, including but not limited to, awarding, finalising the terms of and"
        " entering into the relevant contracts or other legal agreements, as necessary, to implement the"
        " decision",
    ),
    "91": (
        15,
        "4. RESOLVED that Cabinet agree to: (a) Adopt the Integrated Care Strategy Delivery Plan on behalf of"
        " Kent County Council (b) Delegate authority to the Director of Public Health in consultation with"
        " the Cabinet Member for Adult Social Care and Public Health and Leader of the Council to refresh"
        " and/or make non-substantial revisions to the Integrated Care Strategy Delivery Plan as appropriate"
        " during the lifetime of the document; and (c) Delegate authority to the Director of Public Health,"
        " in consultation with the relevant Corporate Directors of affected services, to take relevant"
        " actions, including but not limited to finalising the terms of, and entering into required"
        " contract or other legal agreements, as necessary to implement the decision.",
    ),
    "92": (17, "4. RESOLVED that Cabinet agree the Commissioning Plan for Education Provision in Kent 2025-29"),
}

CPP_ITEMS = {
    "1": "Apologies and Substitutes",
    "2": "Chairman’s Announcements",
    "3": "Minutes of the meeting held on 29 October 2024",
    "4": "Participation Team Update",
    "5": "Challenge Cards Update",
    "6": "Verbal Update by the Cabinet Member",
    "7": "Virtual School Kent Head Teacher 6 monthly update",
    "8": "Corporate Parenting Annual Report 2024",
    "9": "Looked after Children’s Integrated Care Board (IBC) Annual Report",
    "10": "Work programme",
}

CPP_RESOLVED = {
    "3": (
        1,
        "RESOLVED that the minutes of the meeting held on 29 October 2024 were a correct record and that they"
        " be signed by the Chair.",
    ),
    "4": (2, "3. RESOLVED that the update be noted."),
    "5": (
        3,
        "6. RESOLVED that the Panel notes the challenge card progress to date and to support the actions being"
        " taken to meet the challenges.",
    ),
    "6": (3, "5. RESOLVED that the update was noted."),
    "7": (4, "6. RESOLVED that the work update was noted."),
    "8": (
        5,
        "6. RESOLVED that the Panel to note and comment the report and to note Members responsibility as"
        " Corporate Parents.",
    ),
    "10": (6, "RESOLVED that the work programme was noted."),
}

# file → (expected document type of its first document, a phrase of its text)
OTHER_FILES = {
    WELSH: ("minutes", "Manordeilo and Salem Community Council held their meeting at 7.30pm on the 13th March 2019"),
    US_PLANNING: ("minutes", "The meeting was called to order by Commissioner Robert Sherrard at 7:07 p.m."),
    KENT_AGENDA: ("agenda", "A meeting of the County Council will be held in the Council Chamber, County Hall"),
    KENT_RISKS: ("table", "The Dedicated Schools Grant (DSG) High Needs Block does not meet the cost of demand"),
}


@pytest.fixture(scope="module")
def parsed() -> ParsedFixtures:
    return ParsedFixtures()


def _items(pf: ParsedFile) -> list[Section]:
    return [s for s in pf.sections if s.kind == "item"]


def _resolved(pf: ParsedFile) -> list[Resolution]:
    return [r for r in pf.resolutions if r.kind == "decision" and _RESOLVED.match(r.text)]


def _all_text(pf: ParsedFile) -> str:
    return norm(" ".join(c.text for c in pf.chunks))


# --- every file ----------------------------------------------------------------------------


def test_fixture_folder_holds_the_six_files() -> None:
    assert set(ALL_FILES) == {KENT_CABINET, KENT_CPP, *OTHER_FILES}


@pytest.mark.parametrize("name", ALL_FILES)
def test_parses_with_documents_and_chunks(parsed: ParsedFixtures, name: str) -> None:
    pf = parsed(name)
    assert pf.source_file == name
    assert len(pf.documents) >= 1
    assert len(pf.chunks) >= 1
    docs = {d.doc_id: d for d in pf.documents}
    sections = {s.section_id: s for s in pf.sections}
    for chunk in pf.chunks:
        doc = docs[chunk.doc_id]
        assert 1 <= doc.page_start <= chunk.page_start <= chunk.page_end <= doc.page_end <= pf.page_count
        assert chunk.locator.strip()
        assert norm(chunk.text) in norm(sections[chunk.section_id].text)
        assert len(chunk.text.split()) <= parsed.settings.chunk_max_words
    assert all(len(u.text.split()) >= 3 for u in pf.sentences)


@pytest.mark.parametrize(
    "name",
    [
        WELSH,
        US_PLANNING,
        KENT_AGENDA,
        KENT_RISKS,
    ],
)
def test_document_type_and_text(parsed: ParsedFixtures, name: str) -> None:
    doc_type, phrase = OTHER_FILES[name]
    pf = parsed(name)
    assert phrase in _all_text(pf)
    assert pf.documents[0].doc_type == doc_type


# --- Kent Cabinet minutes, 30 January 2025 -------------------------------------------------


def test_kent_cabinet_document(parsed: ParsedFixtures) -> None:
    pf = parsed(KENT_CABINET)
    assert [(d.doc_type, d.meeting_date) for d in pf.documents] == [("minutes", "2025-01-30")]
    doc = pf.documents[0]
    assert doc.organisation == "Kent County Council"
    assert doc.committee == "Cabinet"
    assert (doc.page_start, doc.page_end) == (1, pf.page_count)


def test_kent_cabinet_first_items(parsed: ParsedFixtures) -> None:
    """Items 84–87 ("84. Apologies" then "(Item 1)"): numbered 87's sub-paragraphs "1."–"7." are not items."""
    items = _items(parsed(KENT_CABINET))
    assert [(s.number, s.title) for s in items[:4]] == [(n, CABINET_ITEMS[n]) for n in ("84", "85", "86", "87")]
    assert [(s.page_start, s.page_end) for s in items[:3]] == [(1, 1), (1, 1), (1, 1)]
    assert items[3].page_start == 1


def test_kent_cabinet_items(parsed: ParsedFixtures) -> None:
    items = _items(parsed(KENT_CABINET))
    assert {s.number: s.title for s in items} == CABINET_ITEMS
    assert [s.number for s in items] == [str(n) for n in range(84, 93)]
    pages = {s.number: (s.page_start, s.page_end) for s in items}
    assert pages["87"] == (1, 9)
    assert pages["88"] == (9, 10)
    assert pages["91"] == (14, 16)
    assert pages["92"] == (16, 17)


def test_kent_cabinet_resolved_paragraphs(parsed: ParsedFixtures) -> None:
    """The six RESOLVED paragraphs, verbatim, with the page each starts on (item numbers aside)."""
    got = [(r.page, norm(r.text)) for r in _resolved(parsed(KENT_CABINET))]
    assert got == list(CABINET_RESOLVED.values())


def test_kent_cabinet_lettered_points_stay_in_their_resolution(parsed: ParsedFixtures) -> None:
    """Item 88's "3. RESOLVED that Cabinet agree to:" keeps A) b) … f) in one resolution."""
    pf = parsed(KENT_CABINET)
    page, text = CABINET_RESOLVED["88"]
    matching = [r for r in pf.resolutions if norm(r.text).startswith("3. RESOLVED that Cabinet agree to:")]
    assert [(r.page, norm(r.text)) for r in matching] == [(page, text)]
    assert not [r for r in pf.resolutions if re.match(r"^[A-Fa-f]\)", r.text)]


def test_kent_cabinet_resolutions_per_item(parsed: ParsedFixtures) -> None:
    pf = parsed(KENT_CABINET)
    resolved = _resolved(pf)
    assert Counter(r.minute_item for r in resolved) == Counter(list(CABINET_RESOLVED))
    for r in resolved:
        assert (r.page, norm(r.text)) == CABINET_RESOLVED[r.minute_item]
        assert r.meeting_date == "2025-01-30"
        assert r.organisation == "Kent County Council"
        assert f"item {r.minute_item} " in r.locator


def test_kent_cabinet_items_without_resolutions(parsed: ParsedFixtures) -> None:
    resolved_items = {r.minute_item for r in _resolved(parsed(KENT_CABINET))}
    assert not resolved_items & {"84", "85", "87"}


# --- Kent Corporate Parenting Panel minutes, 10 December 2024 ------------------------------


def test_kent_cpp_document(parsed: ParsedFixtures) -> None:
    pf = parsed(KENT_CPP)
    assert [(d.doc_type, d.meeting_date) for d in pf.documents] == [("minutes", "2024-12-10")]


def test_kent_cpp_document_type(parsed: ParsedFixtures) -> None:
    pf = parsed(KENT_CPP)
    assert [d.doc_type for d in pf.documents] == ["minutes"]
    assert (pf.documents[0].page_start, pf.documents[0].page_end) == (1, 6)


def test_kent_cpp_ten_unnumbered_items(parsed: ParsedFixtures) -> None:
    """Title line, then "(Item N)": ten items numbered by their agenda item."""
    items = _items(parsed(KENT_CPP))
    assert [s.number for s in items] == [str(n) for n in range(1, 11)]
    item4 = next(s for s in items if s.number == "4")
    assert item4.title == CPP_ITEMS["4"]
    assert (item4.page_start, item4.page_end) == (1, 2)  # title on page 1, "(Item 4)" on page 2


def test_kent_cpp_item_titles(parsed: ParsedFixtures) -> None:
    items = _items(parsed(KENT_CPP))
    assert {s.number: s.title for s in items} == CPP_ITEMS


def test_kent_cpp_resolutions(parsed: ParsedFixtures) -> None:
    resolved = _resolved(parsed(KENT_CPP))
    assert Counter(r.minute_item for r in resolved) == Counter(list(CPP_RESOLVED))
    for r in resolved:
        assert (r.page, norm(r.text)) == CPP_RESOLVED[r.minute_item]
        assert r.meeting_date == "2024-12-10"


def test_kent_cpp_resolved_texts(parsed: ParsedFixtures) -> None:
    """The RESOLVED paragraphs that are found are verbatim and on their pages (item 10's on page 6)."""
    got = {norm(r.text): r.page for r in _resolved(parsed(KENT_CPP))}
    expected = dict((text, page) for page, text in CPP_RESOLVED.values())
    assert set(got) <= set(expected)
    assert all(got[t] == expected[t] for t in got)
    assert got["RESOLVED that the work programme was noted."] == 6
