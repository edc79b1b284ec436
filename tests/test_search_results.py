"""Searches typed as people type them ("potholes"): which queries are searches, the passages that hold
their words grouped by meeting newest first, counts, highlighting, stemming, filters, the reply when
the scorer declines, "No paper … mentions …" with the terms the papers use, and the app's rendering."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fakes import HashEmbedder
from pdf_factory import make_text_pdf

import app
from assistant.answer import NOT_ANSWERED, RELATED_INTRO, Answer
from assistant.conversations import session_from_json, session_to_json
from assistant.question import read_question
from assistant.retrieval import Retrieval, build_filters
from assistant.scorer import MODEL_PATH, AnswerScorer
from assistant.search_results import (
    SearchResults,
    is_search,
    lead_line,
    listed_passages,
    no_match_text,
    plain_text,
    results_markdown,
    results_text,
    search_papers,
    with_search,
)
from assistant.service import Assistant, ChatSession
from assistant.snapshot import IndexSnapshot
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import Index

JANUARY = """MINUTES OF THE CABINET
Thursday, 30 January 2025
Present: Councillor A Smith (Chair) and Councillor B Jones.
1. Highways Maintenance
The Cabinet received a report on the condition of local roads and footways.
Officers explained that pothole repairs had increased over the winter months.
RESOLVED that the highways maintenance plan be noted."""
MARCH = """MINUTES OF THE CABINET
Thursday, 13 March 2025
Present: Councillor A Smith (Chair) and Councillor C Brown.
1. Road Safety
Members asked how many potholes were reported near schools, and the road safety officer said 40 potholes were found.
RESOLVED that the road safety programme be approved.
2. Libraries
The Cabinet agreed longer opening hours at branch libraries.
3. Highways Budget
The Cabinet noted the backlog of pothole repairs and asked for a costed plan."""
PLANNING = """MINUTES OF THE PLANNING COMMITTEE
Tuesday, 11 February 2025
Present: Councillor F Patel (Chair).
1. Planning Applications
The committee considered an application for twelve homes; a resident said potholes on the access road should be mended.
RESOLVED that planning permission be granted."""
NOTE = """Highways Asset Note
This note explains how the council inspects carriageways for potholes and cracks.
Inspectors walk every road once a year."""
FILES = {"january.pdf": JANUARY, "march.pdf": MARCH, "planning.pdf": PLANNING, "note.pdf": NOTE}

MARCH_ROADS = "march/minutes-2025-03-13"
MARCH_ITEM_1 = (
    "1. Road Safety Members asked how many potholes were reported near schools, and the road safety officer said"
    " 40 potholes were found. RESOLVED that …"
)


@pytest.fixture
def snapshot(settings: Settings, ingestor: Ingestor) -> IndexSnapshot:
    for name, text in FILES.items():
        make_text_pdf(settings.corpus_dir / name, [text])
    assert ingestor.sync_folder(settings.corpus_dir).failed == []
    return IndexSnapshot.read(ingestor.index)


def numbered(results: SearchResults) -> SearchResults:
    for n, hit in enumerate(results.hits, 1):
        hit.number = n
    return results


def marked(results: SearchResults) -> list[list[str]]:
    return [[h.excerpt[a:b] for a, b in h.marks] for h in results.hits]


# ---- which queries are searches -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "search"),
    [
        ("potholes", True),
        ("Potholes.", True),
        ("road safety", True),
        ("council tax increase", True),
        ("the budget", True),  # "budget" cues a sum, but is the subject here
        ("council tax increase 2025", False),  # four content words
        ("potholes?", False),
        ("who repairs potholes", False),
        ("how many potholes", False),
        ("what is the budget", False),
        ("list potholes", False),
        ("ONDCP meaning", False),
        ("the", False),  # no content word
    ],
)
def test_a_search_is_a_few_content_words_without_question_form(query: str, search: bool) -> None:
    assert is_search(read_question(query), Settings.search_max_words) is search


def test_a_follow_up_leans_on_the_conversation_and_is_no_search() -> None:
    previous = read_question("What did the Cabinet decide about potholes?")
    assert is_search(read_question("and libraries", previous), 3) is False
    assert is_search(read_question("and libraries"), 3) is True


# ---- the results ----------------------------------------------------------------------------------


def test_matches_are_grouped_by_meeting_newest_first_undated_last_with_counts(
    snapshot: IndexSnapshot, settings: Settings
) -> None:
    results = numbered(search_papers(snapshot, "potholes", None, settings))
    assert [h.meeting for h in results.hits] == [
        "Cabinet, 13 March 2025",
        "Cabinet, 13 March 2025",
        "Planning Committee, 11 February 2025",
        "Cabinet, 30 January 2025",
        "Undated",
    ]
    assert [h.passage.locator for h in results.hits[:2]] == [
        "Minutes, 13 March 2025 — item 1 Road Safety",
        "Minutes, 13 March 2025 — item 3 Highways Budget",
    ]
    assert (results.total, results.total_all, results.documents) == (5, 5, 4)
    assert results.per_document[MARCH_ROADS] == 2
    assert lead_line(results) == "5 passages in 4 documents mention “potholes”; newest first:"
    text = results_text(results)
    assert text.splitlines()[:5] == [
        "5 passages in 4 documents mention “potholes”; newest first:",
        "",
        "Cabinet, 13 March 2025",
        "  Minutes of the Cabinet, 13 March 2025 (2 passages)",
        f"    “{MARCH_ITEM_1}” [1] (Minutes, 13 March 2025 — item 1 Road Safety, page 1)",
    ]
    assert text.splitlines()[-4:-2] == ["", "Undated"]


def test_the_cap_lists_the_newest_and_says_how_many_there_are(snapshot: IndexSnapshot, settings: Settings) -> None:
    results = search_papers(snapshot, "potholes", None, Settings.from_env(env={}, search_max_hits=2))
    assert [h.meeting for h in results.hits] == ["Cabinet, 13 March 2025"] * 2
    assert lead_line(results) == "5 passages in 4 documents mention “potholes”; newest first, the first 2 listed:"


def test_the_stem_finds_every_inflection_and_the_words_are_marked(snapshot: IndexSnapshot, settings: Settings) -> None:
    plural = search_papers(snapshot, "potholes", None, settings)
    singular = search_papers(snapshot, "Pothole", None, settings)
    assert [h.passage.chunk_id for h in singular.hits] == [h.passage.chunk_id for h in plural.hits]
    assert marked(singular) == [["potholes", "potholes"], ["pothole"], ["potholes"], ["pothole"], ["potholes"]]
    assert singular.hits[0].excerpt == MARCH_ITEM_1
    assert singular.hits[0].quote == MARCH_ITEM_1[:-2]


def test_passages_with_every_word_come_first_then_those_with_some(snapshot: IndexSnapshot, settings: Settings) -> None:
    results = numbered(search_papers(snapshot, "road safety", None, settings))
    assert [(h.all_words, h.meeting) for h in results.hits] == [
        (True, "Cabinet, 13 March 2025"),
        (False, "Planning Committee, 11 February 2025"),
        (False, "Cabinet, 30 January 2025"),
        (False, "Undated"),
    ]
    assert marked(results)[0] == ["Safety", "road", "safety", "road"]
    assert lead_line(results) == (
        "1 passage mentions all the words of “road safety” and 3 more some of them, in 4 documents; newest first:"
    )
    assert results_text(results).splitlines()[5:8] == ["", "Passages with some of the words:", ""]


def test_filters_keep_their_meetings_only(snapshot: IndexSnapshot, settings: Settings) -> None:
    since = build_filters(None, None, None, "2025-02-01", None)
    results = search_papers(snapshot, "potholes", since, settings)
    march, planning_meeting = "Cabinet, 13 March 2025", "Planning Committee, 11 February 2025"
    assert [h.meeting for h in results.hits] == [march, march, planning_meeting]
    planning = build_filters(["planning/minutes-2025-02-11"], None, None, None, None)
    assert [h.meeting for h in search_papers(snapshot, "potholes", planning, settings).hits] == [
        "Planning Committee, 11 February 2025"
    ]
    none = search_papers(snapshot, "libraries", planning, settings)
    assert none.hits == [] and no_match_text(none) == "No paper inside the filters mentions libraries."


def test_no_match_offers_the_spelling_the_papers_use(snapshot: IndexSnapshot, settings: Settings) -> None:
    results = search_papers(snapshot, "potholse", None, settings)
    assert (results.hits, results.total, results.suggestions) == ([], 0, ["potholes"])
    assert no_match_text(results) == "No paper in the index mentions potholse. The papers use: potholes."


def test_no_match_offers_the_distinctive_words_of_the_nearest_passages(
    snapshot: IndexSnapshot, settings: Settings
) -> None:
    nearest = [p for p in (snapshot.passage(i) for i in snapshot.chunks) if p.locator.endswith("Highways Maintenance")]
    results = search_papers(snapshot, "mermaids", None, settings, nearest)
    # Twice in the passage and in no other: "maintenance"; twice, and in the note too: "highways"; then the words
    # found once, in this passage only, alphabetically by their stems ("explained" is in the note too).
    assert results.suggestions == ["maintenance", "highways", "condition", "footways", "increased"]
    assert no_match_text(results) == (
        "No paper in the index mentions mermaids."
        " The papers use: maintenance, highways, condition, footways, increased."
    )


# ---- the reply --------------------------------------------------------------------------------------


def declined(question: str, retrieval: Retrieval) -> Answer:
    text = f"{NOT_ANSWERED} {RELATED_INTRO}"
    return Answer(question, text, True, [], retrieval.passages, related=retrieval.passages[:1])


def test_a_declined_search_is_answered_by_its_results(snapshot: IndexSnapshot, settings: Settings) -> None:
    passages = [snapshot.passage(i) for i in snapshot.chunks]
    retrieval = Retrieval(passages, [])
    question = read_question("potholes")
    answer = with_search(declined("potholes", retrieval), question, retrieval, snapshot, None, settings)
    results = search_papers(snapshot, "potholes", None, settings)
    assert answer.abstained is False and answer.search is not None and answer.search.reply
    assert answer.text == results_text(numbered(results))
    assert [p.chunk_id for p in answer.citations] == [h.passage.chunk_id for h in results.hits]
    assert answer.quotes == [(h.quote, n) for n, h in enumerate(results.hits, 1)]
    assert answer.related == []
    # The contract: one citation per [n], in number order.
    assert [f"[{n}]" in answer.text for n in range(1, 7)] == [True] * 5 + [False]
    assert plain_text(answer) == answer.text


def test_an_answered_search_keeps_its_answer_and_lists_the_results_after_it(
    snapshot: IndexSnapshot, settings: Settings
) -> None:
    passages = [snapshot.passage(i) for i in snapshot.chunks]
    march = next(p for p in passages if p.locator.endswith("item 3 Highways Budget"))
    quote = "The Cabinet noted the backlog of pothole repairs and asked for a costed plan."
    answered = Answer("potholes", f"“{quote}” [1]", False, [march], passages, quotes=[(quote, 1)])
    answer = with_search(answered, read_question("potholes"), Retrieval(passages, []), snapshot, None, settings)
    assert (answer.text, answer.citations, answer.abstained) == (answered.text, [march], False)
    assert answer.search is not None and not answer.search.reply
    # The passage the answer cites keeps its [1]; the others are numbered after it.
    assert [h.number for h in answer.search.hits] == [2, 1, 3, 4, 5]
    assert [p.chunk_id for p in listed_passages(answer)] == [march.chunk_id] + [
        answer.search.hits[i].passage.chunk_id for i in (0, 2, 3, 4)
    ]
    assert answer.quotes[0] == (quote, 1) and [n for _, n in answer.quotes[1:]] == [2, 3, 4, 5]
    assert answer.contract() == answered.contract()
    assert plain_text(answer).endswith(results_text(answer.search))


def test_a_search_nothing_mentions_declines_naming_the_terms_the_papers_use(
    snapshot: IndexSnapshot, settings: Settings
) -> None:
    retrieval = Retrieval([snapshot.passage(next(iter(snapshot.chunks)))], [])
    question = read_question("potholse")
    answer = with_search(declined("potholse", retrieval), question, retrieval, snapshot, None, settings)
    assert answer.abstained is True and answer.citations == [] and answer.search is None
    assert answer.text.startswith(
        "No paper in the index mentions potholse. The papers use: potholes, "
    ) and answer.text.endswith(f". {RELATED_INTRO}")


def test_a_question_is_left_as_it_was(snapshot: IndexSnapshot, settings: Settings) -> None:
    retrieval = Retrieval([], [])
    before = declined("How many potholes were found?", retrieval)
    after = with_search(before, read_question(before.question), retrieval, snapshot, None, settings)
    assert after is before


def test_a_kept_conversation_keeps_its_search_results(snapshot: IndexSnapshot, settings: Settings) -> None:
    passages = [snapshot.passage(i) for i in snapshot.chunks]
    retrieval = Retrieval(passages, [])
    question = read_question("potholes")
    answer = with_search(declined("potholes", retrieval), question, retrieval, snapshot, None, settings)
    session = ChatSession(turns=[answer])
    again = session_from_json(session_to_json(session), session.id, session.started).turns[0]
    assert again.search == answer.search
    assert app.answer_markdown(again, 1) == app.answer_markdown(answer, 1)


# ---- the app --------------------------------------------------------------------------------------


def test_markdown_marks_the_words_and_links_each_passage(snapshot: IndexSnapshot, settings: Settings) -> None:
    results = numbered(search_papers(snapshot, "potholes", None, Settings.from_env(env={}, search_max_hits=1)))
    md = results_markdown(results, lambda h: f"[{h.number}]", app._md_escape)
    assert md.splitlines() == [
        "5 passages in 4 documents mention “potholes”; newest first, the first 1 listed:",
        "",
        "**Cabinet, 13 March 2025**",
        "",
        "- Minutes of the Cabinet, 13 March 2025 (2 passages)",
        "    - [1] “1. Road Safety Members asked how many <mark>potholes</mark> were reported near schools, and the"
        " road safety officer said 40 <mark>potholes</mark> were found. RESOLVED that …” — Minutes, 13 March"
        " 2025 — item 1 Road Safety, page 1",
    ]


def handler(demo: Any, name: str) -> Any:
    return next(f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == name)


def declining(settings: Settings, index: Index) -> Assistant:
    """The assistant with a scorer that declines every question, as it would a search it cannot answer."""
    scorer = AnswerScorer.load(MODEL_PATH)
    return Assistant(settings, index=index, embedder=HashEmbedder(), scorer=replace(scorer, threshold=1.01))


def test_the_app_shows_a_short_query_as_grouped_results_each_opening_its_page(
    settings: Settings, index: Index, snapshot: IndexSnapshot
) -> None:
    demo = app.build_app(declining(settings, index))
    out = handler(demo, "respond")("potholes", [], None, [], [], [], "", "", None)
    history, session = out[1], out[2]
    answer = session.turns[0]
    assert answer.search is not None and answer.search.reply and not answer.abstained
    bubble = history[1]["content"]
    lead = "5 passages in 4 documents mention “potholes”; newest first:"
    assert bubble.startswith(f"{lead}\n\n**Cabinet, 13 March 2025**")
    assert bubble.count("<mark>") == 6 and bubble.count('class="cite"') == 5 and "Sources" not in bubble
    assert bubble.index("Planning Committee, 11 February 2025") < bubble.index("**Cabinet, 30 January 2025**")
    assert bubble.index("**Cabinet, 30 January 2025**") < bubble.index("**Undated**")
    sources, page = handler(demo, "show_source")("1-3|1", session)
    assert 'id="source-card-3"' in sources and "Showing source 3 of 5" in sources
    assert "<mark>" in sources and "Page 1 of planning.pdf" in page


def test_the_app_lists_the_results_after_an_answer_to_a_short_query(
    settings: Settings, index: Index, snapshot: IndexSnapshot
) -> None:
    demo = app.build_app(Assistant(settings, index=index, embedder=HashEmbedder()))
    out = handler(demo, "respond")("potholes", [], None, [], [], [], "", "", None)
    answer = out[2].turns[0]
    assert answer.search is not None and not answer.search.reply  # the scorer answers "potholes" here
    bubble = out[1][1]["content"]
    sources_at, results_at = bubble.index("**Sources**"), bubble.index("5 passages in 4 documents mention")
    assert sources_at < results_at and bubble.count("<mark>") == 6
    numbers = [h.number for h in answer.search.hits]
    assert sorted(numbers) == list(range(1, 6)) and len(answer.citations) == 4  # one more, numbered 5
    sources, page = handler(demo, "show_source")("1-5|1", out[2])
    assert "Showing source 5 of 5" in sources and "Page 1 of note.pdf" in page


def test_the_cli_prints_the_grouped_results(
    settings: Settings, index: Index, snapshot: IndexSnapshot, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from assistant import cli

    monkeypatch.setattr("assistant.service.Assistant", lambda s: declining(s, index))
    monkeypatch.setattr(Settings, "from_env", classmethod(lambda cls, *a, **k: settings))
    assert cli.main(["ask", "potholes"]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[:3] == [
        "5 passages in 4 documents mention “potholes”; newest first:",
        "",
        "Cabinet, 13 March 2025",
    ]
    assert printed.count("“") == 6 and "Sources:" not in printed
