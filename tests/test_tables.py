"""Plan action tables and report progress tables, read from the bundled agenda pack.

Expected values were read off the PDF and checked against the pack's text source,
where each table row is one tab-separated line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from ingest.models import Page, Section
from ingest.tables import ProgressTable, join_wrapped, segment_plan, segment_progress_rows

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "corpus" / "overview-and-scrutiny-committee-2024-04-17-agenda-pack.pdf"
MINUTES = range(3, 11)
REPORT = range(38, 46)
PLAN = range(46, 57)
GLOSSARY = 57
DOC_ID = "pack/plan"
LABEL = "Improvement plan"

_PAGE_LINE = re.compile(r"^\s*Page\s+\d+\s*$")


def _clean(text: str) -> str:
    # as the page extractor does: drop "Page N" footer lines and trailing white space
    return "\n".join(line.rstrip() for line in text.splitlines() if not _PAGE_LINE.match(line)).rstrip()


@pytest.fixture(scope="module")
def pages() -> dict[int, Page]:
    reader = PdfReader(PACK)
    wanted = [*MINUTES, *REPORT, *PLAN, GLOSSARY]
    return {
        n: Page(
            number=n,
            text=_clean(reader.pages[n - 1].extract_text()),
            layout=_clean(reader.pages[n - 1].extract_text(extraction_mode="layout")),
        )
        for n in wanted
    }


@pytest.fixture(scope="module")
def plan(pages: dict[int, Page]) -> list[Section]:
    return segment_plan([pages[n] for n in PLAN], DOC_ID, LABEL)


@pytest.fixture(scope="module")
def actions(plan: list[Section]) -> dict[tuple[str, str], Section]:
    """Action sections by (area, action number or ``u<ordinal>`` for an unnumbered row)."""
    return {(s.extra["area"], s.section_id.rsplit("-", 1)[1]): s for s in plan if s.kind == "action"}


@pytest.fixture(scope="module")
def progress(pages: dict[int, Page]) -> ProgressTable:
    table = segment_progress_rows([pages[n] for n in REPORT], "pack/report", "Report")
    assert table is not None
    return table


# ---------------------------------------------------------------------------
# Improvement plan

AREAS = {
    "1": "Timeliness of strategy meetings",
    "2": "The capacity, quality, consistency and impact of supervision and management oversight",
    "3": "Assessment and decision-making for children experiencing neglect",
    "4": "Timeliness of pre-proceedings pathways",
    "5": "Consistency of response to 16- and 17-year-olds who present as homeless",
    "6": "Oversight of children’s placements in unregistered children’s homes",
    "7": "Application of threshold in early help",
    "8": "Life-story work and permanence planning",
}

# (area, action) → (accountable lead, by when), from the source's table rows. The rows
# with a blank number cell are "u<ordinal>"; a source row with only outcome/measure
# cells continues the action above it.
EXPECTED = {
    ("1", "1.1"): ("Director of Operations", "December 2023"),
    ("1", "1.2"): ("Team Managers", "Ongoing"),
    ("1", "u3"): ("Head of MASH Head of Assessment", "Monthly"),
    ("1", "1.4"): ("Head of Service Development and Transformation", "September 2023"),
    ("1", "1.5"): ("Head of Performance and Intelligence", "October 2023"),
    ("1", "1.6"): ("Director of Operations", "Ongoing"),
    ("2", "1.1"): ("DCS Chief Executive S115 Officer", "March 2024"),
    ("2", "1.2"): ("Director of Operations", "April 2024"),
    ("2", "u3"): ("Head of Safeguarding and QA PSW", "March 2024"),
    ("2", "1.4"): ("Head of Service Development and Transformation", "December 2023"),
    ("2", "1.5"): ("PSW", "November 2023"),
    ("2", "1.6"): ("All Head of Service (Childrens Care and Support)", "Weekly"),
    ("2", "1.7"): ("Head of Service Development and Transformation", "February 2024"),
    ("3", "1.1"): ("Children's Safeguarding Partnership", "March 2024"),
    ("3", "1.2"): ("Children's Safeguarding Partnership", "March 2024"),
    ("3", "1.3"): ("Director of Operations", "January 2024"),
    ("3", "1.4"): ("Director of Operations", "December 2023"),
    ("3", "1.5"): ("Head of MASH", "April 2024"),
    ("3", "1.6"): ("Head of Service Development and Transformation", "March 2024"),
    ("3", "1.7"): ("Head of Safeguarding and QA", "September 2023"),
    ("3", "1.8"): ("Head of Specialist Intervention Service", "February 2024"),
    ("3", "1.9"): ("Head of Safeguarding and QA", "Quarterly"),
    ("3", "1.10"): ("Head of Safeguarding and QA", "Ongoing"),
    ("3", "1.11"): ("Head of Specialist Intervention Service", "March 2024"),
    ("3", "1.12"): ("Director of Operations", "March 2024"),
    ("3", "1.13"): ("Head of Family Support and Safeguarding", "Monthly"),
    ("4", "1.1"): ("Head of Corporate Parenting and Permanence", "October 2023"),
    ("4", "1.2"): ("Head of Corporate Parenting and Permanence", "October 2023"),
    ("4", "1.3"): ("Court Progression Manager", "October 2023"),
    ("4", "1.4"): ("All Heads of Service", "October 2023"),
    ("4", "1.5"): ("Head of Family Support and Safeguarding Head of Safeguarding and QA", "November 2023"),
    ("4", "1.6"): ("Court Progression Manager", "Monthly"),
    ("4", "1.7"): ("Court Progression Manager", "October 2023"),
    ("4", "1.8"): ("Head of Specialist Intervention Service", "April 2024"),
    ("5", "1.1"): ("Head of Assessment", "November 2023"),
    ("5", "1.2"): ("Head of Assessment", "December 2023"),
    ("5", "1.3"): ("Head of Assessment", "December 2023"),
    ("5", "1.4"): ("Head of Assessment", "November 2023"),
    ("5", "1.5"): ("Head of Performance and Intelligence", "November 2023"),
    ("5", "1.6"): ("Director of Operations Head of Specialist Intervention Service", "April 2024"),
    ("5", "1.7"): ("Head of Specialist Intervention Service", "Monthly"),
    ("5", "1.8"): ("All Heads of Service", "Ongoing"),
    ("6", "1.1"): ("Director of Operations", "July 2023"),
    ("6", "1.2"): ("Director of Commissioning", "July 2023"),
    ("6", "1.3"): ("Head of Safeguarding and QA", "December 2023"),
    ("6", "1.4"): ("Director of Commissioning", "Monthly"),
    ("6", "1.5"): ("Head of Corporate Parenting and Permanence", "Monthly"),
    ("7", "1.1"): ("Head of MASH Head of Early Help", "April 2024"),
    ("7", "1.2"): ("Head of MASH Head of Early Help", "November 2023"),
    ("7", "1.3"): ("Head of MASH Head of Early Help", "January 2024"),
    ("7", "1.4"): ("Head of MASH Head of Early Help", "Weekly"),
    ("7", "1.5"): ("Head of Safeguarding and QA", "Monthly"),
    ("8", "1.1"): ("PSW", "March 2024"),
    ("8", "1.2"): ("Team Manager Consultant Clinical Social Worker and Play Therapist", "September 2023 (ongoing)"),
    ("8", "1.3"): ("Head of Corporate Parenting and Permanence", "September 2023 (ongoing)"),
    ("8", "1.4"): ("Senior Curator Culture Programmes", "March 2024"),
    ("8", "1.5"): ("PSW", "Ongoing"),
    ("8", "1.6"): ("Head of Corporate Parenting and Permanence", "December 2023"),
    ("8", "1.7"): ("PSW Head of Adolescent and Youth Justice", "December 2023"),
    ("8", "1.8"): ("Head of Safeguarding and QA", "Quarterly"),
    ("8", "1.9"): ("Head of Corporate Parenting and Permanence", "Ongoing"),
    ("8", "1.10"): ("Director of Operations", "November 2023"),
    ("8", "1.11"): ("Head of Performance and Intelligence All HoS", "November 2023"),
    ("8", "1.12"): ("PSW", "February 2024"),
    ("8", "1.13"): ("Head of Service Development and Transformation", "July 2023"),
    ("8", "1.14"): ("Head of Performance and Intelligence", "Monthly"),
    ("8", "1.15"): ("PSW", "December 2023"),
    ("8", "1.16"): ("Head of Safeguarding and QA", "Quarterly"),
}


def test_plan_areas_with_numbers_and_titles(plan: list[Section]) -> None:
    areas = [s for s in plan if s.kind == "area"]
    assert [(s.number, s.title) for s in areas] == [(f"Area {n}", t) for n, t in AREAS.items()]
    assert areas[1].text == (
        "What needs to improve? (Area 2) The capacity, quality, consistency and impact of supervision and\n"
        "management oversight."
    )
    assert areas[3].locator == "Improvement plan — Area 4: Timeliness of pre-proceedings pathways"
    # an area repeated "(continued)" on a later page stays one area, spanning its pages
    assert (areas[2].page_start, areas[2].page_end) == (48, 50)
    assert (areas[7].page_start, areas[7].page_end) == (54, 56)


def test_plan_introduction_comes_first(plan: list[Section]) -> None:
    intro = plan[0]
    assert (intro.kind, intro.number, intro.title) == ("section", None, "Introduction")
    assert (intro.page_start, intro.page_end) == (46, 46)
    assert "The Children's Improvement Board, chaired by the DCS" in intro.text
    assert "What needs to improve?" not in intro.text


def test_plan_action_rows_per_area(actions: dict[tuple[str, str], Section]) -> None:
    counts: dict[str, int] = {}
    for area, _ in actions:
        counts[area] = counts.get(area, 0) + 1
    assert counts == {"1": 6, "2": 7, "3": 13, "4": 8, "5": 8, "6": 5, "7": 5, "8": 16}
    assert list(actions) == list(EXPECTED)


def test_plan_every_lead_and_date(actions: dict[tuple[str, str], Section]) -> None:
    got = {key: (s.extra["lead"], s.extra["due"]) for key, s in actions.items()}
    assert got == EXPECTED


def test_plan_action_fields_and_rendering(actions: dict[tuple[str, str], Section]) -> None:
    s = actions[("4", "1.8")]
    assert s.number == "Area 4, action 1.8"
    assert s.section_id == "pack/plan#action-area4-1.8"
    assert s.locator == "Improvement plan — Area 4, action 1.8"
    assert s.title == "Establish an in house court expert assessment team, based in the Specialist …"
    assert s.extra["area_title"] == "Timeliness of pre-proceedings pathways"
    assert (s.extra["action"], s.extra["outcomes"], s.extra["measures"]) == ("1.8", "", "")
    assert s.text == (
        "Area 4, action 1.8: Establish an in house court expert assessment team, based in the Specialist "
        "Intervention Service to support timelier and improved quality expert assessments utilising in-house "
        "specialisms e.g. FSW, Therapist, FGC service. (financial investment permitting)\n"
        "Accountable lead: Head of Specialist Intervention Service\n"
        "By when: April 2024"
    )
    assert (s.page_start, s.page_end) == (51, 51)

    first = actions[("1", "1.1")]
    assert first.extra["outcomes"] == (
        "Improved strategy meeting timeliness and multi-agency input in decision making. "
        "Increased timeliness of police attendance at strategy meetings."
    )
    assert first.extra["measures"].startswith("Number and % of strategy meetings completed in a timely way.")


def test_plan_unnumbered_row(actions: dict[tuple[str, str], Section]) -> None:
    s = actions[("1", "u3")]
    assert s.number == "Area 1, action (unnumbered, after 1.2)"
    assert s.extra["action"] == ""
    assert (s.extra["lead"], s.extra["due"]) == ("Head of MASH Head of Assessment", "Monthly")
    assert s.text.startswith(
        "Area 1, action (unnumbered, after 1.2): Heads of Service (HoS) in MASH and Assessment to undertake "
        "monthly dip samples of strategy meetings"
    )
    assert actions[("2", "u3")].title.startswith("Deliver comprehensive skills based supervision training programme")


def test_plan_row_split_over_a_page_break(actions: dict[tuple[str, str], Section]) -> None:
    s = actions[("2", "u3")]
    assert s.extra["outcomes"].endswith(
        "If not, managers take immediate action to address and complete actions to reduce delay and risk."
    )
    assert (s.page_start, s.page_end) == (47, 48)
    # each line of the rendering stands on the page its words come from
    assert [ln.page for ln in s.lines if "actions to reduce delay and risk" in ln.text] == [48]
    assert s.text == "\n".join(ln.text for ln in s.lines)

    # the action text itself runs over the break here
    s = actions[("8", "1.3")]
    assert s.text.split("\nAccountable lead")[0].replace("\n", " ") == (
        "Area 8, action 1.3: Provide specialist training to Social Workers and Leaving Care Advisers "
        "in life story work."
    )
    assert (s.page_start, s.page_end) == (54, 55)


def test_plan_awkward_rows(actions: dict[tuple[str, str], Section]) -> None:
    # printed one column to the right: its number under "Action"
    s = actions[("2", "1.4")]
    assert s.title == "Pilot new booking system for supervision to drive improvements in frequency and …"
    assert s.extra["outcomes"] == "Developments and the lived experience of the child are embedded in supervision."
    # a stray "Page 63" in the number cell
    assert actions[("3", "1.4")].title.startswith("Appoint a Domestic Abuse practice lead")
    # a second block of outcome and measure cells belongs to the action above it
    s = actions[("3", "1.10")]
    assert s.extra["outcomes"].endswith(
        "Children enter care in a planned way with less trauma rather than on police protection."
    )
    assert s.extra["measures"].endswith(
        "Monthly/quarterly audit of DA and neglect children on plans rated good or outstanding."
    )
    assert actions[("7", "1.5")].extra["measures"] == (
        "Dip sample audit reports show a decrease in threshold being inconsistently applied (thematic – qualitative). "
        "Increase in audits rated good or outstanding on threshold application."
    )
    # hyphenated line breaks join without a space
    assert "review all pre-proceeding children" in actions[("4", "1.1")].text


def test_plan_sections_are_well_formed(plan: list[Section]) -> None:
    ids = [s.section_id for s in plan]
    assert len(ids) == len(set(ids))
    for s in plan:
        assert s.doc_id == DOC_ID
        assert s.lines and s.text == "\n".join(ln.text for ln in s.lines)
        assert all(s.page_start <= ln.page <= s.page_end for ln in s.lines)
        assert s.locator.startswith(f"{LABEL} — ")
        if s.kind == "action":
            assert s.title and "  " not in s.text


def test_plan_stops_at_a_following_glossary(pages: dict[int, Page]) -> None:
    sections = segment_plan([pages[n] for n in [*PLAN, GLOSSARY]], DOC_ID, LABEL)
    last_action = [s for s in sections if s.kind == "action"][-1]
    assert last_action.number == "Area 8, action 1.16"
    assert last_action.page_end == 56
    assert (sections[-1].kind, sections[-1].title, sections[-1].page_start) == ("section", "Glossary of Terms", 57)


# ---------------------------------------------------------------------------
# Progress table inside the report

ROW_TITLES = [
    "Timeliness of strategy meetings.",
    "The capacity, quality, consistency and impact of supervision and management oversight.",
    "Assessment and decision-making for children experiencing neglect.",
    "Timeliness of pre-proceedings pathways.",
    "Consistency of response to 16- and 17-year-olds who present as homeless.",
    "Oversight of children's placements in unregistered children's homes.",
    "Application of threshold in early help.",
    "Life-story work and permanence planning.",
]


def test_progress_table_bounds(progress: ProgressTable) -> None:
    assert (progress.start_page, progress.start_heading) == (39, "Recommendation Progress Update")
    assert (progress.end_page, progress.end_heading) == (44, "4. Consultation")


def test_progress_row_titles(progress: ProgressTable) -> None:
    assert [s.title for s in progress.rows] == ROW_TITLES
    assert {s.kind for s in progress.rows} == {"row"}
    assert {s.extra["table"] for s in progress.rows} == {"Recommendation | Progress Update"}
    assert progress.rows[0].locator == "Report — progress: Timeliness of strategy meetings."
    assert [(s.page_start, s.page_end) for s in progress.rows] == [
        (39, 39), (39, 40), (40, 42), (42, 42), (42, 42), (43, 43), (43, 44), (44, 44),
    ]  # fmt: skip


def test_progress_row_text(progress: ProgressTable) -> None:
    rows = {s.title: s for s in progress.rows}
    strategy = rows["Timeliness of strategy meetings."]
    assert strategy.text.startswith(
        "Timeliness of strategy meetings.\nA weekly performance dashboard has been produced and automated"
    )
    assert "reducing to 3.17 days and over 70% are now being held in timescale" in strategy.text
    assert strategy.text.endswith("with improved management follow up on decisions\nbeing made.")
    life = rows["Life-story work and permanence planning."]
    assert "We have recently been successful in winning a bid from the DfE of £650 k" in life.text
    assert life.text.endswith("improve their sense of\nbelonging.")  # printed full width below the table
    # text the PDF prints full width between rows belongs to the row above
    neglect = rows["Assessment and decision-making for children experiencing neglect."]
    assert "The NIPTFG has an independent Chair" in neglect.text
    assert "decisions made about their\ncare. In these instances" in neglect.text
    assert "Weekly dip sampling of decision making in MASH" in rows["Application of threshold in early help."].text
    # a word broken over a line end is mended
    assert (
        "safely stepped out of pre-proceedings\npost 12 weeks" in rows["Timeliness of pre-proceedings pathways."].text
    )
    for s in progress.rows:
        assert s.text == "\n".join(ln.text for ln in s.lines)
        assert "4. Consultation" not in s.text and "Progress Update" not in s.text


# ---------------------------------------------------------------------------
# Neither fires where there is no such table


def test_no_tables_in_minutes(pages: dict[int, Page]) -> None:
    minutes = [pages[n] for n in MINUTES]
    assert segment_plan(minutes, "pack/minutes", "Minutes") == []
    assert segment_progress_rows(minutes, "pack/minutes", "Minutes") is None


def test_no_progress_table_in_plan_or_glossary(pages: dict[int, Page]) -> None:
    assert segment_progress_rows([pages[n] for n in PLAN], DOC_ID, LABEL) is None
    assert segment_progress_rows([pages[GLOSSARY]], "pack/glossary", "Glossary") is None
    assert segment_plan([pages[n] for n in REPORT], "pack/report", "Report") == []


# ---------------------------------------------------------------------------
# Other layouts of the same kinds of table


def _page(number: int, layout: str) -> Page:
    return Page(number=number, text=" ".join(layout.split()), layout=layout)


def test_plan_with_other_headings_and_columns() -> None:
    layout = "\n".join(
        [
            "Area 1: Housing repairs",
            "",
            " Action                          Owner               Deadline",
            "",
            " 1.1   Clear the backlog of      Head of Housing     March 2025",
            "       damp and mould cases.",
            "",
            " 1.2   Publish repair times.     Repairs Manager     Quarterly",
            "",
            "Area 2: Tenant voice",
            "",
            " Action                          Owner               Deadline",
            " 2.1   Set up a tenants' panel.  Director of         June 2025",
            "                                 Housing",
        ]
    )
    sections = segment_plan([_page(7, layout)], "d", "Plan")
    assert [(s.kind, s.number, s.title) for s in sections if s.kind == "area"] == [
        ("area", "Area 1", "Housing repairs"),
        ("area", "Area 2", "Tenant voice"),
    ]
    acts = [s for s in sections if s.kind == "action"]
    assert [s.number for s in acts] == ["Area 1, action 1.1", "Area 1, action 1.2", "Area 2, action 2.1"]
    assert acts[0].text == (
        "Area 1, action 1.1: Clear the backlog of damp and mould cases.\n"
        "Accountable lead: Head of Housing\n"
        "By when: March 2025"
    )
    assert (acts[2].extra["lead"], acts[2].extra["due"]) == ("Director of Housing", "June 2025")


def test_prose_mentioning_an_area_is_not_a_plan() -> None:
    layout = "Area 2 Committee met on 3 May.\n\nMembers noted the report.\n1.1 The Chair welcomed members."
    assert segment_plan([_page(1, layout)], "d", "Minutes") == []


def test_progress_table_running_to_the_last_page() -> None:
    layout = "\n".join(
        [
            "2. Progress",
            "",
            " Priority              Update",
            "",
            " Faster repairs.       Average repair time fell to 12 days. The new",
            "                       contractor started in May.",
            "",
            " Tenant panel.         The panel met twice and agreed",
            "                       its terms of reference.",
        ]
    )
    table = segment_progress_rows([_page(3, layout)], "d", "Report")
    assert table is not None
    assert (table.start_page, table.start_heading, table.end_heading) == (3, "Priority Update", None)
    assert [s.title for s in table.rows] == ["Faster repairs.", "Tenant panel."]
    assert table.rows[0].text == (
        "Faster repairs.\nAverage repair time fell to 12 days. The new\ncontractor started in May."
    )


def test_join_wrapped() -> None:
    assert join_wrapped(["pre-", "proceedings are ", "  late"]) == "pre-proceedings are late"
    assert join_wrapped(["work -", "with tools"]) == "work - with tools"


def test_module_names_no_council() -> None:
    source = (ROOT / "ingest" / "tables.py").read_text(encoding="utf-8").lower()
    for word in ("barking", "dagenham", "bdms", "ofsted"):
        assert word not in source
