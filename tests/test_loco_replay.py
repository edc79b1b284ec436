"""The leave-one-council-out folds answer each question from the candidates extracted once for
training, rescored by the fold's scorer, instead of searching again: those answers must be the ones
asking gives, under any scorer (fake embedder, two made-up minutes)."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import isolated_settings
from fakes import HashEmbedder
from minutes import CABINET, PLANNING
from pdf_factory import make_text_pdf

from assistant.scorer import AnswerScorer
from assistant.service import Assistant
from evals import loco
from evals.train import Example, extract
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import Index

QUESTIONS = [
    {"id": "t-1", "body": "t", "question": "Was the budget approved?", "must_contain": ["budget be approved"]},
    {"id": "t-2", "body": "t", "question": "Who chaired the Planning Committee?", "must_contain": ["Patel"]},
    {"id": "t-3", "body": "t", "question": "Who sent apologies to the Cabinet?", "must_contain": ["White"]},
    {
        "id": "t-4",
        "body": "t",
        "question": "What was decided on it?",
        "context_question": "What did the Planning Committee consider?",
        "must_contain": ["permission"],
    },
    {"id": "t-5", "body": "t", "question": "How many goals did the team score?", "type": "unanswerable"},
]


def contract(answer: object) -> dict:
    return {k: v for k, v in answer.contract().items() if k != "latency_ms"}  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Index]:
    settings = isolated_settings(tmp_path_factory.mktemp("replay"))
    make_text_pdf(settings.corpus_dir / "cabinet-2025-01-30.pdf", [CABINET])
    make_text_pdf(settings.corpus_dir / "planning-2025-02-11.pdf", [PLANNING])
    index = Index(settings)
    assert Ingestor(settings, index, HashEmbedder()).sync_folder(settings.corpus_dir).failed == []
    return settings, index


@pytest.fixture
def assistant(indexed: tuple[Settings, Index]) -> Assistant:
    """A fresh assistant (each test sets its own scorer) over the module's index."""
    return Assistant(*indexed, HashEmbedder())


@pytest.fixture
def examples(assistant: Assistant) -> dict[str, Example]:
    return {e.qid: e for e in extract(assistant, QUESTIONS, keep=True)}


def scorers(shipped: AnswerScorer) -> list[AnswerScorer]:
    """The shipped scorer; one answering everything with up to four sentences; one with other weights."""
    return [
        shipped,
        dataclasses.replace(shipped, threshold=0.0, keep_ratio=0.1, max_sentences=4),
        dataclasses.replace(shipped, weights=[w * (-1) ** i for i, w in enumerate(shipped.weights)], threshold=0.2),
    ]


def test_answers_composed_from_the_extracted_candidates_are_the_asked_ones(
    assistant: Assistant, examples: dict[str, Example]
) -> None:
    answered = 0
    shipped = assistant.scorer  # the one the candidates were extracted with
    for scorer in scorers(shipped):
        assistant.scorer = scorer
        for q in QUESTIONS:
            composed = loco.replayed(assistant, examples[q["id"]])
            if composed is None:  # a follow-up whose context this scorer answers otherwise
                assert q.get("context_question") and scorer is not shipped
                continue
            answered += 1
            assert contract(composed) == contract(loco.ask_question(assistant, q, None)), (q["id"], scorer.threshold)
            # Its latency is the search's, measured when it was asked, and the composing now.
            assert composed.latency_ms >= examples[q["id"]].asked.scored.seconds * 1000 > 0
    assert answered >= 3 * len(QUESTIONS) - 2


def test_a_follow_up_whose_context_is_answered_otherwise_is_asked_again(
    assistant: Assistant, examples: dict[str, Example]
) -> None:
    follow_up = examples["t-4"]
    assert follow_up.asked is not None and follow_up.asked.context_quoted  # the context was answered
    assistant.scorer = dataclasses.replace(assistant.scorer, threshold=1.01)  # declines everything
    assert loco.replayed(assistant, follow_up) is None
    rows, how = loco.answer_body(assistant, QUESTIONS, None, examples)
    assert how == {"replayed": 4, "asked": 1, "checked": 1}  # t-4 asked, so t-1 alone is checked
    assert [r["abstained"] for r in rows] == [True] * 5


def test_a_composed_answer_that_differs_from_the_asked_one_fails_the_check(
    assistant: Assistant, examples: dict[str, Example]
) -> None:
    scored = examples["t-1"].asked.scored
    best = max(scored.candidates, key=lambda c: c.score)
    scored.candidates.remove(best)  # as if the extraction had lost the best sentence
    with pytest.raises(loco.ReplayMismatch, match="t-1"):
        loco.answer_body(assistant, QUESTIONS, None, examples)


def test_the_checked_questions_are_the_first_and_the_first_follow_up() -> None:
    assert loco._checked(QUESTIONS) == ["t-1", "t-4"]
    assert loco._checked(QUESTIONS[:3]) == ["t-1", "t-2"]
