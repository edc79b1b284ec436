"""Minute and agenda items and decision records in other bodies' papers (tests/fixtures/realdocs
and realdocs_more: a UK county council, Welsh community councils, US city councils and
commissions, a planning commission, a college board, a finance authority, a Chicago SSA
commission and a police district council).

Every count and value below was read off the extracted text of each PDF, not off the parser's
output: items are the numbered (or named) items the paper prints, decisions the passages that
record what the meeting decided (a RESOLVED/AGREED paragraph, an agreed sentence, an entry of
a resolved list, a motion with its vote, a resolution's own text once adopted). Where a paper
prints an item the parser cannot separate (its number glued to another line, printed out of
order), the test says so and counts what is found.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import REALDOCS, REALDOCS_MORE, ParsedFixtures, norm
from pdf_factory import make_text_pdf

from ingest.models import Resolution, Section
from ingest.pipeline import ParsedFile, build_rows, parse_pdf
from ingest.settings import Settings

MORE = REALDOCS_MORE

# file → (type of its one document, minute/agenda items, decision records)
COUNTS = {
    # UK county council
    "uk_kent-cc_cabinet_minutes_2025-01-30.pdf": ("minutes", 9, 6),
    "uk_kent-cc_corporate-parenting-panel_minutes_2024-12-10.pdf": ("minutes", 10, 7),
    "uk_kent-cc_county-council_agenda-frontsheet_2025-03-13.pdf": ("agenda", 17, 0),
    "uk_kent-cc_cabinet_appendixI_budget-risk-register-table_2025-01-30.pdf": ("table", 0, 0),
    # Welsh community councils
    "uk-wales_manordeilo-salem-community-council_minutes_2018-10-10_en.pdf": ("minutes", 13, 2),
    "uk-wales_manordeilo-salem-community-council_minutes_2019-03-13_en.pdf": ("minutes", 12, 16),
    "uk-wales_manordeilo-salem-community-council_minutes_2019-06-12_en.pdf": ("minutes", 14, 11),
    "uk-wales_tintern-community-council_agenda_2019-06-24.pdf": ("agenda", 15, 0),
    "uk-wales_tintern-community-council_minutes_2019-02-25.pdf": ("minutes", 16, 2),
    "uk-wales_tintern-community-council_minutes_2019-06-24.pdf": ("minutes", 15, 1),
    "uk-wales_tintern-community-council_budget-fy2018-19.pdf": ("other", 0, 0),
    # US city councils and commissions
    "us_coral-gables-fl_city-commission_agenda_2024-03-12.pdf": ("agenda", 60, 0),
    "us_coral-gables-fl_city-commission_public-comment-transcript_2024-02-13.pdf": ("agenda", 1, 0),
    "us_coral-gables-fl_city-commission_verbatim-transcript-item-h1_2024-03-12.pdf": ("agenda", 1, 1),
    "us_coral-gables-fl_city-commission_resolution-2024-45_2024-03-12.pdf": ("other", 0, 1),
    "us_des-moines-ia_city-council_agenda_2021-06-28.pdf": ("agenda", 79, 0),
    "us_des-moines-ia_city-council_minutes_1998-11-16.pdf": ("minutes", 144, 130),
    "us_des-moines-ia_city-council_minutes_2005-05-09.pdf": ("minutes", 122, 112),
    "us_des-moines-ia_city-council_roll-call-resolution_2023-01-23.pdf": ("agenda", 0, 1),
    "us_des-moines-ia_city-council_procedural-rules_2023-04-24.pdf": ("other", 0, 1),
    "us_omaha-ne_city-council_agenda_2012-10-16.pdf": ("agenda", 72, 0),
    # a planning commission, a college board, a finance authority
    "us_east-palo-alto-ca_planning-commission_minutes_2020-01-27.pdf": ("minutes", 8, 4),
    "us_cuyahoga-community-college-oh_board-of-trustees_agenda_2019-09-26.pdf": ("agenda", 24, 0),
    "us_illinois-finance-authority_conduit-financing-committee_agenda_2020-12-08.pdf": ("agenda", 6, 0),
    # Chicago: a special service area commission and a police district council
    "us_chicago-il_lincoln-square-ssa21-commission_minutes_2018-01-29.pdf": ("minutes", 0, 5),
    "us_chicago-il_police-district-council-001_agenda_2023-06-06.pdf": ("agenda", 7, 0),
    "us_chicago-il_police-district-council-001_closed-meeting-notice_2023-06-01.pdf": ("agenda", 1, 0),
}


@pytest.fixture(scope="module")
def parsed() -> ParsedFixtures:
    return ParsedFixtures()


def _items(pf: ParsedFile) -> list[Section]:
    return [s for s in pf.sections if s.kind == "item"]


def _numbers(pf: ParsedFile) -> list[str | None]:
    return [s.number for s in _items(pf)]


def _decisions(pf: ParsedFile) -> list[Resolution]:
    return [r for r in pf.resolutions if r.kind == "decision"]


def _item(pf: ParsedFile, number: str) -> Section:
    found = [s for s in _items(pf) if s.number == number]
    assert len(found) == 1, (number, len(found))
    return found[0]


# --- every file --------------------------------------------------------------------------


def test_every_text_pdf_is_counted() -> None:
    # The scans (named *_scanned.pdf in the fixtures, as in SOURCES.tsv) are read by OCR: tests/test_ocr.py.
    pdfs = [*REALDOCS.glob("*.pdf"), *MORE.glob("*.pdf")]
    assert set(COUNTS) == {p.name for p in pdfs if not p.stem.endswith("_scanned")}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_items_and_decisions_per_file(parsed: ParsedFixtures, name: str) -> None:
    doc_type, items, decisions = COUNTS[name]
    pf = parsed(name)
    assert [d.doc_type for d in pf.documents] == [doc_type]
    assert len(_items(pf)) == items
    assert len(_decisions(pf)) == decisions


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_items_have_their_own_locator_and_pages(parsed: ParsedFixtures, name: str) -> None:
    pf = parsed(name)
    items = _items(pf)
    assert len({s.section_id for s in items}) == len(items)
    doc = pf.documents[0]
    for s in items:
        assert s.locator.startswith(f"{'Minutes' if doc.doc_type == 'minutes' else 'Agenda'}, ")
        assert f"— item {s.number}" in s.locator
        assert doc.page_start <= s.page_start <= s.page_end <= doc.page_end
    for r in pf.resolutions:
        assert r.text.strip() and r.page >= 1
        assert all(v is None or v.strip() for v in (r.mover, r.seconder, r.vote))


# --- UK: Welsh community councils --------------------------------------------------------


def test_tintern_running_minute_numbers(parsed: ParsedFixtures) -> None:
    """Four-digit minute numbers that run on from meeting to meeting ("2643. Police Report: …")."""
    pf = parsed("uk-wales_tintern-community-council_minutes_2019-02-25.pdf")
    assert _numbers(pf) == [str(n) for n in range(2643, 2659)]
    updates = _item(pf, "2651")
    assert updates.title == "Updates"
    assert (updates.page_start, updates.page_end) == (1, 2)
    assert _item(pf, "2644").title == "Public Forum"  # the title stops where the minute's text starts
    got = [(r.minute_item, r.page) for r in _decisions(pf)]
    assert got == [("2653", 3), ("2656", 3)]
    assert _decisions(pf)[1].text == "Councillors agreed to give £50."


def test_tintern_an_individual_agreeing_is_no_decision(parsed: ParsedFixtures) -> None:
    """ "Mr Hoggins agreed to go back to MCC" (item 2651) is one person's undertaking."""
    pf = parsed("uk-wales_tintern-community-council_minutes_2019-02-25.pdf")
    assert not [r for r in pf.resolutions if r.minute_item == "2651"]


def test_tintern_proposed_and_seconded(parsed: ParsedFixtures) -> None:
    pf = parsed("uk-wales_tintern-community-council_minutes_2019-06-24.pdf")
    (r,) = _decisions(pf)
    assert (r.minute_item, r.page, r.mover, r.seconder) == ("2718", 2, None, "Cllr Evans")  # "she proposed"
    assert norm(r.text).endswith(
        "she proposed & Cllr Evans seconded that TCC pay the fee. All Councillors present were in agreement."
    )
    agenda = parsed("uk-wales_tintern-community-council_agenda_2019-06-24.pdf")
    assert _numbers(agenda) == [str(n) for n in range(2709, 2724)]


def test_manordeilo_inserted_item_and_wrapped_mover(parsed: ParsedFixtures) -> None:
    pf = parsed("uk-wales_manordeilo-salem-community-council_minutes_2019-06-12_en.pdf")
    assert _numbers(pf) == ["1", "2", "3", "3A", *(str(n) for n in range(4, 14))]
    assert _item(pf, "3A").title == "PCSO Louise Lewis joined the meeting and gave her report"
    # "It was proposed by Cllr. D." / "Jones, seconded by …": the name runs on to the next line
    (r,) = [r for r in _decisions(pf) if r.minute_item == "4"]
    assert (r.mover, r.seconder, r.vote, r.page) == ("Cllr. D. Jones", "Cllr. Alun Davies", "unanimous", 1)
    assert r.text.startswith("It was proposed by Cllr. D. Jones, seconded by Cllr. Alun Davies and unanimously")
    assert Counter(r.minute_item for r in _decisions(pf)) == Counter(
        {"2": 1, "4": 1, "5": 1, "9": 1, "10": 1, "11": 1, "12": 5}
    )
    # the Annual Return decision stops at its sentence; "iv) The Clerk to send …" is the next entry
    (annual,) = [r for r in _decisions(pf) if r.minute_item == "11"]
    assert annual.text.endswith("this was then signed by the Chair.")


def test_manordeilo_movers_seconders(parsed: ParsedFixtures) -> None:
    pf = parsed("uk-wales_manordeilo-salem-community-council_minutes_2018-10-10_en.pdf")
    first, second = _decisions(pf)
    assert (first.minute_item, first.mover, first.seconder, first.vote) == (
        "2",
        "Cllr. O. Williams",
        "Cllr. P. Harries",
        "unanimous",
    )
    assert second.minute_item == "5" and "it was agreed that the location of the units" in second.text
    assert (second.mover, second.seconder, second.vote) == (None, None, None)


def test_manordeilo_reported_agreement_is_no_decision(parsed: ParsedFixtures) -> None:
    """Item 5's "the applicant had agreed to those conditions" reports someone else's agreement."""
    pf = parsed("uk-wales_manordeilo-salem-community-council_minutes_2019-03-13_en.pdf")
    assert Counter(r.minute_item for r in _decisions(pf)) == Counter({"2": 1, "3": 1, "6": 3, "9": 1, "10": 1, "11": 9})
    donations = [r for r in _decisions(pf) if r.minute_item == "6"]
    assert [(r.mover, r.seconder) for r in donations] == [
        ("Cllr. O. Williams", "Cllr. J. Davies"),
        ("Cllr. H. Gwynne", "Cllr. K. Davies"),
        ("Cllr. H. Gwynne", "Cllr. K. Davies"),
    ]


# --- US: planning commission, city councils and commissions ------------------------------


def test_planning_commission_vote_blocks(parsed: ParsedFixtures) -> None:
    pf = parsed("us_east-palo-alto-ca_planning-commission_minutes_2020-01-27.pdf")
    assert _numbers(pf) == [str(n) for n in range(1, 9)]
    got = [(r.minute_item, r.page, r.mover, r.seconder, r.vote) for r in _decisions(pf)]
    assert got == [
        ("2", 1, "Mashack", "Brown", "approved (unanimous)"),
        ("4", 2, "Garcia", "Allen Fisk", "approved (unanimous)"),
        ("5", 2, "Allen Fisk", "Mendez", "failed 4-2-1-1"),
        ("5", 2, "Allen Fisk", "Bello", "approved (unanimous)"),
    ]


def test_coral_gables_agenda_lettered_items(parsed: ParsedFixtures) -> None:
    """Sections A.–K. with their items A.-1 …; the consent agenda's numbered parts 1. and 2.
    with 1.-1 … 1.-9 and 2.1."""
    pf = parsed("us_coral-gables-fl_city-commission_agenda_2024-03-12.pdf")
    numbers = _numbers(pf)
    assert [n for n in numbers if n and re.fullmatch(r"[A-K]", n)] == list("ABCDEFGHIJK")
    assert [n for n in numbers if n and n.startswith("F-")] == [f"F-{k}" for k in range(1, 13)]
    assert [n for n in numbers if n and n.startswith("1-")] == [f"1-{k}" for k in range(1, 10)]
    assert numbers[numbers.index("D-6") + 1 :][:1] == ["D.1"]
    h1 = _item(pf, "H-1")
    assert (h1.page_start, h1.page_end) == (12, 12)
    assert h1.locator.startswith("Agenda, 12 March 2024 — item H-1 24-7108 A Resolution of the City Commission")
    assert _item(pf, "K").title == "DISCUSSION ITEMS"


def test_coral_gables_transcripts_are_their_item(parsed: ParsedFixtures) -> None:
    """A verbatim transcript of one agenda item: "Agenda Item H-1", the running header that
    repeats on every page is not a new item; the speakers move, second and vote."""
    pf = parsed("us_coral-gables-fl_city-commission_verbatim-transcript-item-h1_2024-03-12.pdf")
    (item,) = _items(pf)
    assert (item.number, item.page_start, item.page_end) == ("H-1", 1, 2)
    (r,) = _decisions(pf)
    assert (r.minute_item, r.page, r.mover, r.vote) == ("H-1", 2, "Vice Mayor Anderson", "5-0")
    assert r.seconder == "CommissionerCastro"  # as the text extracts it, words run together
    assert r.text.startswith("Vice Mayor Anderson: I’ ll moveit.") and r.text.endswith("Vote: 5-0)")
    comment = parsed("us_coral-gables-fl_city-commission_public-comment-transcript_2024-02-13.pdf")
    (item,) = _items(comment)
    assert (item.number, item.page_start, item.page_end) == ("C", 1, 5)  # not the "F-12" page header


def test_numbered_resolution_text(parsed: ParsedFixtures) -> None:
    pf = parsed("us_coral-gables-fl_city-commission_resolution-2024-45_2024-03-12.pdf")
    (r,) = pf.resolutions
    assert (r.kind, r.number, r.minute_item, r.page) == ("decision", "2024-45", "D-1", 1)
    assert (r.mover, r.seconder, r.vote) == ("Fernandez", "Anderson", "passed (unanimous)")
    text = norm(r.text)
    assert text.startswith("NOW, THEREFORE, BE IT RESOLVED BY THE CITY COMMISSION OF THE CITY OF CORAL GABLES")
    assert "SECTION 5. Effective Date." in text
    assert text.endswith("Moved: Fernandez / Seconded: Anderson) Unanimous Voice Vote) Agenda Item D-1)")


def test_roll_call_resolution_sheet(parsed: ParsedFixtures) -> None:
    """The mover's and seconder's names are left blank on the sheet; "MOTION CARRIED" is printed."""
    pf = parsed("us_des-moines-ia_city-council_roll-call-resolution_2023-01-23.pdf")
    (r,) = pf.resolutions
    assert (r.kind, r.mover, r.seconder, r.vote) == ("decision", None, None, "carried")
    assert r.text.startswith("NOW, THEREFORE, BE IT RESOLVED BY THE CITY COUNCIL OF THE CITY OF")
    rules = parsed("us_des-moines-ia_city-council_procedural-rules_2023-04-24.pdf")
    (adopted,) = rules.resolutions  # the attached 1986 resolution; the rules' own "moved by a member" is prose
    assert (adopted.kind, adopted.mover, adopted.page) == ("decision", "Szymoniak", 20)


def test_des_moines_1998_roll_call_numbered_items(parsed: ParsedFixtures) -> None:
    """ "98-3512 37. Agreement …": roll-call number, item number, title; "(A)" sub-items with a
    roll call of their own; numbering starts again for Extra Items and the Board of Health.
    The paper prints 145 items: four are glued to a "WITHDRAWN" stamp and still found, item 23
    is printed after 24 (so it stays in 24), and the (A) of items 45 and 89 print above their
    item's heading (so they are read as 44(A) and 88(A))."""
    pf = parsed("us_des-moines-ia_city-council_minutes_1998-11-16.pdf")
    numbers = _numbers(pf)
    main = [n for n in numbers[: numbers.index("108(B)") + 1] if n and n.isdigit()]
    assert main == [str(n) for n in range(1, 109) if n != 23]
    assert Counter(numbers)["1"] == 3 and Counter(numbers)["3"] == 2  # item 1, Extra Item 1, Board of Health 1
    for sub in ("40(C)", "43(D)", "45(C)", "63(A)", "86(C)", "89(G)", "99(A)", "101(B)", "108(B)", "2(B)"):
        assert sub in numbers
    assert "18" in numbers and "32" in numbers  # "WITHDRAWN98-3494 18. …"
    item = _item(pf, "37")
    assert (item.page_start, item.page_end) == (5, 5)
    (r,) = [r for r in pf.resolutions if r.minute_item == "37"]
    assert (r.number, r.mover, r.vote, norm(r.text)) == (
        "98-3512",  # the roll-call number the vote is recorded under
        "Hensley",
        "carried 4-1-2",
        "Moved by Hensley to adopt. Motion Carried 4-1-2. Nays: Coleman.",
    )


def test_des_moines_1998_motions(parsed: ParsedFixtures) -> None:
    """130 "Moved by …" motions: 100 by Coleman, 15 McPherson, 10 Hensley, 5 Phillips."""
    pf = parsed("us_des-moines-ia_city-council_minutes_1998-11-16.pdf")
    decisions = _decisions(pf)
    assert Counter(r.mover for r in decisions) == {"Coleman": 100, "McPherson": 15, "Hensley": 10, "Phillips": 5}
    assert all(r.text.startswith("Moved by") for r in decisions)
    assert Counter(r.vote for r in decisions)["carried 5-2"] == 126
    # a motion, a direction in between and the outcome are one record
    (r,) = [r for r in decisions if r.minute_item == "97"]
    assert r.text.endswith("Legal to provide Council with a timeline for filling vacancy. Motion Carried 5-2.")


def test_des_moines_2005_minutes(parsed: ParsedFixtures) -> None:
    """114 roll calls: 1 is the roll call itself; 113 motions, of which 106 print "Moved"; seven
    lose it to the cut-off right margin ("Mo" / "by Hensley …") and one of those its outcome too
    ("Mot" / "Carried 6-1"), so 112 are readable. Lettered lists without roll calls (licence
    applications, traffic changes) are not items."""
    pf = parsed("us_des-moines-ia_city-council_minutes_2005-05-09.pdf")
    numbers = _numbers(pf)
    assert [n for n in numbers if n and n.startswith("7(")] == [f"7({c})" for c in "ABCDEFG"]
    assert [n for n in numbers[-8:]] == ["1", *(f"1({c})" for c in "ABCDEF"), "2"]  # Board of Health
    assert "4(A)" not in numbers and "37(A)" not in numbers
    decisions = _decisions(pf)
    movers = Counter(r.mover for r in decisions)
    assert movers == {"Hensley": 79, "Vlassis": 11, "Kiernan": 6, "Coleman": 4, "Mahaffey": 3, "Hens": 3, None: 6}
    assert {r.minute_item for r in decisions if r.mover is None} == {"7(E)", "11(A)", "19", "48(F)", "53(E)", "60"}
    (r,) = [r for r in decisions if r.minute_item == "48(B)"]
    assert (r.mover, r.vote, r.page) == ("Vlassis", "carried 5-1-1", 10)
    assert norm(r.text).endswith("Motion Carried 5-1-1. Nays: Hensley. Absent: Cownie.")


def test_des_moines_agenda(parsed: ParsedFixtures) -> None:
    """Items 1–75 and the added 17I, 25I, 27I, 50I; the numbered rules of conduct on page 1 are
    a list ("Persons are reminded of the following:"), not items."""
    pf = parsed("us_des-moines-ia_city-council_agenda_2021-06-28.pdf")
    expected = [str(n) for n in range(1, 76)]
    for added, after in (("17I", "17"), ("25I", "25"), ("27I", "27"), ("50I", "50")):
        expected.insert(expected.index(after) + 1, added)
    assert _numbers(pf) == expected
    assert (_item(pf, "1").page_start, _item(pf, "75").page_start) == (2, 17)


def test_omaha_agenda(parsed: ParsedFixtures) -> None:
    pf = parsed("us_omaha-ne_city-council_agenda_2012-10-16.pdf")
    assert _numbers(pf) == [str(n) for n in range(1, 73)]
    assert _item(pf, "2").title == "Pledge of Allegiance"


# --- a college board, a finance authority, Chicago ---------------------------------------


def test_college_board_outline(parsed: ParsedFixtures) -> None:
    """Roman parts, lettered committees, numbered items: each number under its own parent."""
    pf = parsed("us_cuyahoga-community-college-oh_board-of-trustees_agenda_2019-09-26.pdf")
    assert _numbers(pf) == [
        "I",
        "II",
        "III",
        "IV",
        "V",
        "V.A",
        "V.A.1",
        "V.B",
        "V.C",
        *(f"V.C.{n}" for n in range(1, 14)),
        "V.D",
        "VI",
    ]
    assert _item(pf, "V.C.3").title == "Approval of CaremarkPCS Health LLC Prescription Services Two-Year Agreement"
    assert (_item(pf, "V.C.10").page_start, _item(pf, "V.C.9").page_start) == (2, 1)


def test_finance_authority_roman_items(parsed: ParsedFixtures) -> None:
    pf = parsed("us_illinois-finance-authority_conduit-financing-committee_agenda_2020-12-08.pdf")
    assert [(s.number, s.title) for s in _items(pf)] == [
        ("I", "Call to Order & Roll Call"),
        ("II", "Review and Adoption of the Conduit Financing Committee Meeting Minutes"),
        ("III", "Presentation and Consideration of New Business Items (see attached)"),
        ("IV", "Other Business"),
        ("V", "Public Comment"),
        ("VI", "Adjournment"),
    ]


def test_ssa_commission_motions(parsed: ParsedFixtures) -> None:
    """Bulleted minutes: "… approved – Z. Maiorca (motion), T. Feinberg (second)"."""
    pf = parsed("us_chicago-il_lincoln-square-ssa21-commission_minutes_2018-01-29.pdf")
    got = [(r.mover, r.seconder, r.vote) for r in _decisions(pf)]
    assert got == [
        ("M. Prest", "C. Dallas", None),
        ("Z. Maiorca", "T. Feinberg", "approved"),
        ("B. Munro", "C. Dallas", "approved"),
        (None, None, "approved"),
        ("B. Munro", "Z. Maiorca", "approved"),
    ]
    assert [r.text for r in _decisions(pf)][3] == "o APPROVED – 2018 Meetings Calendar"


def test_police_district_council_agendas(parsed: ParsedFixtures) -> None:
    pf = parsed("us_chicago-il_police-district-council-001_agenda_2023-06-06.pdf")
    assert [s.title for s in _items(pf)] == [
        "Roll Call & Quorum Determination",
        "Public comment",
        "Approval of minutes from meeting date",
        "District Council member updates",
        "Discussions",
        "Votes",
        "Announcement of the next regular meeting",
    ]
    closed = parsed("us_chicago-il_police-district-council-001_closed-meeting-notice_2023-06-01.pdf")
    assert _numbers(closed) == ["1"]


# --- forms no fixture prints, in made-up minutes ------------------------------------------

FORMAL = """MINUTES OF THE FINANCE COMMITTEE
Wednesday, 5 March 2025
Present: Councillor A Smith (Chair), Councillor B Jones and Councillor C Brown.
1. Treasury Strategy
The committee considered the strategy.
AGREED that the strategy be recommended to Council.
2. Grants
Resolved that the grants listed be awarded.
3. Parking Charges
MOTION: Councillor Jones moved to freeze charges for a year; seconded by Councillor Brown. Motion carried 5-0.
4. Contracts
Moved by Councillor Brown, seconded by Councillor Smith to adopt the contract award. Motion Carried 7-0.
5. Library Hours
The extension of library hours was put to a vote.
Yeas: Smith, Jones, Brown. Nays: White. Absent: Green."""
PROSE = """MINUTES OF THE PARISH COUNCIL
Monday, 7 April 2025
Present: Councillor D Green (Chair) and Councillor E Hall.
Item 1: Allotments
Council agreed to renew the allotment lease for five years.
Item 2: Footpaths
It was resolved that the footpath be resurfaced.
Item 3: Hall
Mrs Hall agreed to write to the hall committee.
Item 4: Resolution No. 2025-07 Hall Hire Charges
Moved by Councillor Green, seconded by Councillor Hall to approve the charges. Motion carried 2-0."""


def _made_up(tmp_path: Path, text: str) -> ParsedFile:
    return parse_pdf(make_text_pdf(tmp_path / "minutes.pdf", [text]), "test", Settings.from_env(env={}))


def test_made_up_decision_forms(tmp_path: Path) -> None:
    pf = _made_up(tmp_path, FORMAL)
    got = [(r.minute_item, r.mover, r.seconder, r.vote) for r in _decisions(pf)]
    assert got == [
        ("1", None, None, None),
        ("2", None, None, None),
        ("3", "Councillor Jones", "Councillor Brown", "carried 5-0"),
        ("4", "Councillor Brown", "Councillor Smith", "carried 7-0"),
        ("5", None, None, "Yeas: 3, Nays: 1, Absent: 1"),
    ]
    assert _decisions(pf)[4].text.startswith("The extension of library hours was put to a vote. Yeas:")
    rows = [row for row in build_rows(pf)["records"] if row.metadata["record_type"] == "resolution"]
    assert {k: rows[2].metadata[k] for k in ("mover", "seconder", "vote")} == {
        "mover": "Councillor Jones",
        "seconder": "Councillor Brown",
        "vote": "carried 5-0",
    }
    assert not {"mover", "seconder", "vote"} & set(rows[0].metadata)  # no None in Chroma metadata


def test_made_up_prose_decisions_and_named_items(tmp_path: Path) -> None:
    pf = _made_up(tmp_path, PROSE)
    assert [(s.number, s.title) for s in _items(pf)] == [
        ("1", "Allotments"),
        ("2", "Footpaths"),
        ("3", "Hall"),
        ("4", "Resolution No. 2025-07 Hall Hire Charges"),
    ]
    decisions = _decisions(pf)
    assert [(r.minute_item, r.text) for r in decisions[:2]] == [
        ("1", "Council agreed to renew the allotment lease for five years."),
        ("2", "It was resolved that the footpath be resurfaced."),
    ]
    # "Mrs Hall agreed to write …" is one member's undertaking, not the council's decision
    assert [(r.minute_item, r.number, r.mover, r.seconder, r.vote) for r in decisions[2:]] == [
        ("4", "2025-07", "Councillor Green", "Councillor Hall", "carried 2-0")
    ]


def test_made_up_compound_item_numbers(tmp_path: Path) -> None:
    """ "5.1" under "5.", and agendas numbered by date ("10.25.01")."""
    uk = _made_up(
        tmp_path,
        "AGENDA\nPlanning Committee\nTuesday, 6 May 2025\n4. Minutes of the last meeting\n5. Planning Applications\n"
        "5.1 Land at Mill Lane, twelve homes\n5.2 Former depot, change of use\n6. Any Other Business",
    )
    assert _numbers(uk) == ["4", "5", "5.1", "5.2", "6"]
    assert _item(uk, "5.1").locator == "Agenda, 6 May 2025 — item 5.1 Land at Mill Lane, twelve homes"
    (tmp_path / "minutes.pdf").unlink()
    us = _made_up(
        tmp_path,
        "AGENDA\nCity Council Regular Meeting\nOctober 25, 2022\n10.25.01 Call to Order\n10.25.02 Approval of Minutes\n"
        "10.25.03 Budget Amendment\n10.25.04 Adjournment",
    )
    assert [(s.number, s.title) for s in _items(us)] == [
        ("10.25.01", "Call to Order"),
        ("10.25.02", "Approval of Minutes"),
        ("10.25.03", "Budget Amendment"),
        ("10.25.04", "Adjournment"),
    ]


# --- packs split at the pages their agenda's items open ------------------------------------

UK_PACK = [
    "AGENDA\nEnvironment Committee\nMonday, 14 April 2025\n1. Apologies for Absence\n"
    "2. Minutes of the meeting held on 3 March 2025 (Pages 3 - 4)\n"
    "3. Riverside Park Tree Planting Strategy (Pages 5 - 6)\n"
    "4. Annual Review of Parking Charges\nin the Town Centre (Pages 7 - 8)\n5. Any Other Business",
    "This page is intentionally left blank",
    "MINUTES OF THE ENVIRONMENT COMMITTEE\nMonday, 3 March 2025\n"
    "Present: Councillor K Lee (Chair) and Councillor L Shah.\n"
    "1. Apologies\nApologies for absence were received from Councillor M Ward.\n"
    "2. Street Cleaning\nThe committee reviewed the street cleaning rota for the spring months.",
    "3. Riverside Park Tree Planting Strategy\nThe committee asked for a strategy to come to its next meeting.\n"
    "RESOLVED that a tree planting strategy be brought to the April meeting.",
    "Riverside Park Tree Planting Strategy\nReport of the Director of Place\n1. Purpose\n"
    "1.1 This report sets out a programme of tree planting in the riverside park over three winters.",
    "Riverside Park Tree Planting Strategy\n2. Options\n2.1 Planting could be done by volunteers or by contractors.",
    "Annual Review of Parking Charges in the Town Centre\nReport of the Head of Parking Services\n1. Summary\n"
    "1.1 Charges in the town centre car parks have not changed since 2021 and costs have risen.",
    "2. Recommendations\n2.1 The committee is asked to recommend a ten pence rise in hourly charges.",
]
US_PACK = [
    "CITY OF SPRINGFIELD\nCITY COUNCIL\nAGENDA\nTuesday, March 4, 2025\nA. Call to Order\n"
    "B. Staff Report: Downtown Bike Lane Pilot Program\n"
    "C. Resolution 2025-12 adopting the Downtown Bike Lane Pilot Program\n"
    "D. Adjournment",
    "STAFF REPORT\nDowntown Bike Lane Pilot Program\nTo: Mayor and City Council\nFrom: Director of Public Works\n"
    "Staff recommends a six month pilot of protected bike lanes on Main Street between 1st and 5th Avenues.",
    "RESOLUTION NO. 2025-12\nA RESOLUTION ADOPTING THE DOWNTOWN BIKE LANE PILOT PROGRAM\n"
    "NOW, THEREFORE, BE IT RESOLVED by the City Council that the pilot program is adopted.",
]


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        # hand-counted: the front sheet, the minutes, two reports (one repeats its title atop its second page)
        (UK_PACK, [("agenda", 1, 2), ("minutes", 3, 4), ("report", 5, 6), ("report", 7, 8)]),
        # hand-counted: the agenda, a staff report, a resolution
        (US_PACK, [("agenda", 1, 1), ("report", 2, 2), ("report", 3, 3)]),
    ],
    ids=["uk-committee", "us-city-council"],
)
def test_a_pack_splits_where_its_agenda_items_open_pages(
    tmp_path: Path, pages: list[str], expected: list[tuple[str, int, int]]
) -> None:
    pf = parse_pdf(make_text_pdf(tmp_path / "pack.pdf", pages), "test", Settings.from_env(env={}))
    assert [(d.doc_type, d.page_start, d.page_end) for d in pf.documents] == expected
    titles = [d.title for d in pf.documents[-2:]]
    assert "Riverside Park" in titles[0] or "Bike Lane" in titles[0]
    assert "Parking Charges" in titles[1] or "RESOLUTION" in titles[1].upper()


def test_a_report_on_its_own_is_typed_as_its_pack_types_it(tmp_path: Path) -> None:
    """A slide deck published as its own file (no cover sheet) is a presentation, as inside a pack,
    so it is split into the same slides and its passages match the pack's copy."""
    slides = [
        "Public Health Peer Review\nFeedback to the committee\n29 February 2024",
        "What we found\nStrong partnership working across the borough.",
        "Vision and strategy\nA clear ambition shared by partners.",
        "Next steps\nAn action plan within three months.",
    ]
    pf = parse_pdf(make_text_pdf(tmp_path / "deck.pdf", slides), "test", Settings.from_env(env={}))
    assert [d.doc_type for d in pf.documents] == ["presentation"]
