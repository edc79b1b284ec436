"""Summaries from structure: "summarise <document>" gets a cited outline of the document's own parts,
one quoted key sentence each; the LLM, when configured, writes from the outline's passages; any
other question, or one naming no document, is answered the usual way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import minutes
import pytest
from conftest import isolated_settings
from fake_llm_server import FakeLLMServer
from fakes import HashEmbedder
from pdf_factory import make_text_pdf

from assistant.llm import GENERATED_PREFIX, MAX_EVIDENCE
from assistant.outline import OUTLINE_INTRO, parts
from assistant.question import ASK_KINDS, read_question
from assistant.retrieval import Passage
from assistant.service import Assistant
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import Index

CABINET = (
    minutes.CABINET
    + """
3. Libraries
The Cabinet reviewed the opening hours of the town's three libraries.
Longer Saturday opening at the central library was welcomed by residents.
RESOLVED that the new opening hours be adopted from April."""
)
TOPICS = ("Parks", "Roads", "Housing", "Waste", "Schools", "Museums", "Markets", "Bridges")
ENVIRONMENT = "\n".join(
    [
        "MINUTES OF THE ENVIRONMENT COMMITTEE",
        "Monday, 14 April 2025",
        "Present: Councillor K Lee (Chair) and Councillor L Shah.",
        *(
            f"{n}. {topic}\nThe committee heard a report on {topic.lower()} across the borough this year."
            for n, topic in enumerate(TOPICS, start=1)
        ),
    ]
)
CABINET_OUTLINE = "\n".join(
    [
        OUTLINE_INTRO.format(title="Minutes of the Cabinet, 30 January 2025"),
        "- attendance and opening — “Present: Councillor A Smith (Chair), Councillor B Jones and Councillor C"
        " Brown.” [1]",
        "- item 1 Apologies — “Apologies for absence were received from Councillor D White.” [2]",
        "- item 2 Budget — “The Cabinet considered the draft revenue budget for 2025/26 and the"
        " capital programme.” [3]",
        "- item 3 Libraries — “The Cabinet reviewed the opening hours of the town's three libraries.” [4]",
    ]
)


def build(folder: Path, **overrides: object) -> Assistant:
    settings = isolated_settings(folder, **overrides)
    make_text_pdf(settings.corpus_dir / "cabinet-2025-01-30-minutes.pdf", [CABINET])
    make_text_pdf(settings.corpus_dir / "planning-2025-02-11-minutes.pdf", [minutes.PLANNING])
    make_text_pdf(settings.corpus_dir / "environment-2025-04-14-minutes.pdf", [ENVIRONMENT])
    index, embedder = Index(settings), HashEmbedder()
    report = Ingestor(settings, index, embedder).ingest_paths(sorted(settings.corpus_dir.glob("*.pdf")))
    assert not report.failed
    return Assistant(settings, index=index, embedder=embedder)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return build(tmp_path_factory.mktemp("outline"))


def test_summary_cues_are_read_but_never_weighed_by_the_scorer() -> None:
    assert "summary" in read_question("Summarise the Cabinet minutes").asks
    assert "summary" in read_question("What's in the improvement plan?").asks
    assert "summary" in read_question("Give me an overview of the budget report").asks
    # A committee's name is no request for a summary.
    assert "summary" not in read_question("Who chairs the Overview and Scrutiny Committee?").asks
    assert "summary" not in ASK_KINDS  # the shipped scorer's features are unchanged


def test_minutes_are_outlined_item_by_item_each_quoted_and_cited(assistant: Assistant) -> None:
    answer = assistant.ask("Summarise the Cabinet minutes")
    assert answer.text == CABINET_OUTLINE
    assert not answer.abstained and not answer.generated
    assert [(p.locator, p.page) for p in answer.citations] == [
        ("Minutes, 30 January 2025 — attendance and opening", 1),
        ("Minutes, 30 January 2025 — item 1 Apologies", 1),
        ("Minutes, 30 January 2025 — item 2 Budget", 1),
        ("Minutes, 30 January 2025 — item 3 Libraries", 1),
    ]
    assert [n for _, n in answer.quotes] == [1, 2, 3, 4]
    assert all(text in answer.citations[n - 1].text for text, n in answer.quotes)
    # The contract's retrieved passages: the cited ones first, in reading order.
    assert [p.chunk_id for p in answer.retrieved[:4]] == [p.chunk_id for p in answer.citations]


def test_the_document_is_the_one_the_question_names_by_body_or_date(assistant: Assistant) -> None:
    answer = assistant.ask("What's in the minutes of the planning committee?")
    assert answer.text == "\n".join(
        [
            OUTLINE_INTRO.format(title="Minutes of the Planning Committee, 11 February 2025"),
            "- attendance and opening — “Present: Councillor F Patel (Chair) and Councillor G Okafor.” [1]",
            "- item 1 Planning Applications — “The committee considered an application for twelve homes on the"
            " former depot site.” [2]",
        ]
    )
    by_date = assistant.ask("Summarise the minutes of 30 January 2025")
    assert by_date.text == CABINET_OUTLINE


def test_a_question_naming_nothing_is_outlined_when_the_filters_leave_one_document(assistant: Assistant) -> None:
    doc_id = next(p.doc_id for p in assistant.snapshot.passages_where(None) if "cabinet" in p.doc_id)
    assert assistant.ask("Summarise this document", filters={"doc_id": doc_id}).text == CABINET_OUTLINE
    # Without a filter, "this document" could be any of three: answered the usual way.
    assert assistant.summarise("Summarise this document") is None


def test_a_summary_question_naming_no_document_is_answered_the_usual_way(assistant: Assistant) -> None:
    question = "Summarise what was said about the revenue budget gap"
    assert assistant.summarise(question) is None
    answer = assistant.ask(question)
    assert not answer.text.startswith("An outline of")
    assert "budget" in answer.text


def test_a_long_document_keeps_its_largest_parts_and_counts_the_rest(tmp_path: Path) -> None:
    assistant = build(tmp_path, outline_max_lines=2)
    answer = assistant.ask("Summarise the Cabinet minutes")
    assert answer.text == "\n".join(
        [
            OUTLINE_INTRO.format(title="Minutes of the Cabinet, 30 January 2025"),
            "- item 2 Budget — “The Cabinet considered the draft revenue budget for 2025/26 and the"
            " capital programme.” [1]",
            "- item 3 Libraries — “The Cabinet reviewed the opening hours of the town's three libraries.” [2]",
            "(2 more parts of the document not shown.)",
        ]
    )


def passage(section_id: str, ordinal: int) -> Passage:
    locator = f"Plan — {section_id}"
    return Passage(f"c{ordinal}", "plan", "Plan", "plan", 1, 1, locator, "text", 0.0, None, section_id, ordinal)


def test_sections_are_grouped_into_parts_by_the_top_level_of_their_numbers() -> None:
    numbers = {
        "intro": "",
        "area-1": "Area 1",
        "a1-1": "Area 1, action 1.1",
        "a1-2": "Area 1, action 1.2",
        "area-2": "Area 2",
        "a2-1": "Area 2, action 1.1",
        "s1.1": "1.1",
        "s1.2": "1.2",
        "s2": "2",
        "s2.1": "2.1",
        "item-34": "34",
    }
    passages = [passage(s, i) for i, s in enumerate([*numbers, "item-34"])]  # a section split in two passages
    grouped = [[p.section_id for p in part] for part in parts(passages, numbers)]
    assert grouped == [
        ["intro"],
        ["area-1", "a1-1", "a1-2"],
        ["area-2", "a2-1"],
        ["s1.1", "s1.2"],
        ["s2", "s2.1"],
        ["item-34", "item-34"],
    ]


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def with_llm(assistant: Assistant, server: FakeLLMServer) -> Assistant:
    from assistant.llm import LLMWriter

    settings = Settings.from_env(env={}, llm_base_url=server.base_url, llm_timeout_s=2.0)
    assistant.writer = LLMWriter.from_settings(settings)
    return assistant


def test_with_an_llm_the_outline_passages_are_summarised_and_every_sentence_checked(
    tmp_path: Path, server: FakeLLMServer
) -> None:
    assistant = with_llm(build(tmp_path), server)
    server.reply = (
        "The committee heard reports on parks and on bridges across the borough [2][9]. "
        "The committee approved a new bridge costing £9m [9]."
    )
    answer = assistant.ask("Summarise the environment committee minutes")
    assert answer.generated
    # The unsupported second sentence (its figure is in no passage) is dropped.
    summary = "The committee heard reports on parks and on bridges across the borough. [1][2]"
    assert answer.text == GENERATED_PREFIX + summary
    assert [p.locator for p in answer.citations] == [
        "Minutes, 14 April 2025 — item 1 Parks",
        "Minutes, 14 April 2025 — item 8 Bridges",
    ]
    # The model saw every part of the outline, more passages than an ordinary answer gives it.
    sent = json.loads(server.requests[0].body)["messages"][-1]["content"]
    assert sent.count("<passage id=") == 1 + len(TOPICS) > MAX_EVIDENCE


def test_with_an_llm_whose_reply_fails_the_check_the_outline_of_quotes_stands(
    tmp_path: Path, server: FakeLLMServer
) -> None:
    assistant = with_llm(build(tmp_path), server)
    server.reply = "The Cabinet abolished every library in the borough [4]."
    answer = assistant.ask("Summarise the Cabinet minutes")
    assert not answer.generated
    assert answer.text == CABINET_OUTLINE


def test_a_plan_area_is_cited_by_its_heading_and_by_the_action_quoted() -> None:
    from assistant.outline import DocumentMatch, Outline, OutlineLine
    from assistant.snapshot import StoredSentence

    def plan_passage(n: int, section: str, text: str, page: int) -> Passage:
        return Passage(f"c{n}", "plan", "Plan", "plan", page, page, f"Plan — {section}", text, 0.0, None, section, n)

    area = plan_passage(0, "Area 1: Timeliness of strategy meetings", "(Area 1) Timeliness of strategy meetings.", 4)
    action = plan_passage(1, "Area 1, action 1.1", "Area 1, action 1.1: Set up practice workshops for chairs.", 5)
    item = plan_passage(2, "item 1 Apologies for Absence", "1. Apologies for Absence", 6)
    said = StoredSentence("s1", "c1", action.text, 5, 0)
    heading = StoredSentence("s2", "c2", item.text, 6, 0)
    outline = Outline(
        DocumentMatch("plan", "Plan", 1.0, 1.0, ""),
        [
            OutlineLine("Area 1: Timeliness of strategy meetings", said, action, [area, action]),
            OutlineLine("item 1 Apologies for Absence", heading, item, [item]),
        ],
        0,
        [area, action, item],
    )
    answer = outline.answer("What is in the plan?", 10)
    assert answer.text == "\n".join(
        [
            OUTLINE_INTRO.format(title="Plan"),
            "- Area 1: Timeliness of strategy meetings [1] — “Area 1, action 1.1: Set up practice workshops for"
            " chairs.” [2]",
            "- item 1 Apologies for Absence [3]",  # the part says nothing its label does not
        ]
    )
    assert [p.page for p in answer.citations] == [4, 5, 6]
    assert answer.quotes == [(action.text, 2), (item.text, 3)]
    assert [p.chunk_id for p in answer.retrieved] == ["c0", "c1", "c2"]
