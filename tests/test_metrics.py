"""Golden test of the evaluation metrics: a small hand-made results set whose summary was
worked out by hand (see the comments), checked exactly against evals.metrics."""

from __future__ import annotations

import pytest

from evals import metrics
from evals.matching import contains, fold, found, tokens

GAP = "The Council was facing an expected budget gap of £23.335m for 2024/25."
LEAD = "Accountable lead: Director of Operations By when: December 2023"
SAT = "The current customer satisfaction for 2024 stood on average at 74%, which was 4% over the London benchmark."
TARGET = "customer services which although it had improved, it was still below the 80% target."
OTHER = "The Committee noted the work programme."
ABSTAIN = "The papers do not answer this question."


def p(text: str) -> dict:
    return {"doc_id": "d", "doc_title": "D", "page": 1, "locator": "L", "text": text}


QUESTIONS = [
    {
        "id": "q1",
        "question": "gap?",
        "type": "number",
        "must_contain": ["£23.335m"],
        "evidence": "budget gap of £23.335m for 2024/25",
    },
    {
        "id": "q2",
        "question": "lead?",
        "type": "who",
        "must_contain": ["Director of Operations"],
        "evidence": "Accountable lead: Director of Operations",
    },
    {"id": "q3", "question": "2019?", "type": "unanswerable"},
    {"id": "q4", "question": "mayor?"},  # no answers, no must_contain: unanswerable too
    {
        "id": "q5",
        "question": "satisfaction vs target?",
        "type": "multi-hop",
        "must_contain": ["74%", "80%"],
        "evidence": ["customer satisfaction for 2024 stood on average at 74%", "still below the 80% target"],
    },
    {"id": "q6", "question": "items?", "type": "fact", "answers": ["five"], "evidence": "there were 39 open items"},
]
RESULTS = [
    # q1: correct, concise (24 chars); evidence at rank 2 (hit@1 no, hit@3 yes, RR 1/2); cited → citation ok.
    {
        "id": "q1",
        "answer": "The gap was £23.335m [1]",
        "abstained": False,
        "citations": [p(GAP)],
        "retrieved": [p(OTHER), p(GAP)],
        "latency_ms": 10,
    },
    # q2: wrong (20 chars); evidence at rank 1 (hits from 1, RR 1).
    {
        "id": "q2",
        "answer": "The Head of MASH [1]",
        "abstained": False,
        "citations": [p(OTHER)],
        "retrieved": [p(LEAD)],
        "latency_ms": 20,
    },
    # q3: unanswerable and abstained → correct (39 chars).
    {"id": "q3", "answer": ABSTAIN, "abstained": True, "citations": [], "retrieved": [p(OTHER)], "latency_ms": 30},
    # q4: unanswerable but answered → wrong (14 chars).
    {
        "id": "q4",
        "answer": "It was 12. [1]",
        "abstained": False,
        "citations": [p(OTHER)],
        "retrieved": [p(OTHER)],
        "latency_ms": 40,
    },
    # q5: correct but 700 chars (not concise); first quote at rank 1, second at rank 4 (hit@3 no, hit@5 yes,
    # RR 1 from the first quote); only the first quote is cited → citation not ok.
    {
        "id": "q5",
        "answer": "74% 80% " + "a" * 692,
        "abstained": False,
        "citations": [p(SAT)],
        "retrieved": [p(SAT), p(OTHER), p(OTHER), p(TARGET)],
        "latency_ms": 50,
    },
    # q6: answerable, not scored for accuracy (no must_contain), abstained → a false abstention;
    # evidence nowhere (hits no, RR 0) (39 chars).
    {"id": "q6", "answer": ABSTAIN, "abstained": True, "citations": [], "retrieved": [p(OTHER)], "latency_ms": 60},
]

# Worked by hand:
# accuracy: scored q1 T, q2 F, q3 T, q4 F, q5 T → 3/5; concise: q1, q3 → 2/5
# false abstention: answerable q1 q2 q5 q6, abstained q6 → 1/4; abstention: q3 of q3 q4 → 1/2
# evidence questions q1 q2 q5 q6: hit@1 q2 → 1/4; hit@3 q1 q2 → 2/4; hit@5 = hit@10 q1 q2 q5 → 3/4
# MRR@10 (0.5 + 1 + 1 + 0) / 4 = 0.625; citation accuracy: q1 yes, q5 no → 1/2
# answer lengths 24 20 39 14 700 39 → median (24 + 39) / 2 = 31.5
# latency 10..60: p50 35, p95 50 + 0.75 × 10 = 57.5
EXPECTED_OVERALL = {
    "accuracy": 0.6,
    "concise_accuracy": 0.4,
    "false_abstention": 0.25,
    "abstention": 0.5,
    "hit@1": 0.25,
    "hit@3": 0.5,
    "hit@5": 0.75,
    "hit@10": 0.75,
    "mrr@10": 0.625,
    "citation_accuracy": 0.5,
    "median_answer_chars": 31.5,
    "latency_p50_ms": 35.0,
    "latency_p95_ms": 57.5,
}


def test_overall_metrics_match_the_hand_computed_summary() -> None:
    assert metrics.compute(QUESTIONS, RESULTS) == EXPECTED_OVERALL


def test_metrics_by_type() -> None:
    by_type = metrics.by_type(QUESTIONS, RESULTS)
    assert sorted(by_type) == ["fact", "multi-hop", "number", "unanswerable", "untyped", "who"]
    assert by_type["number"] == {
        "accuracy": 1.0,
        "concise_accuracy": 1.0,
        "false_abstention": 0.0,
        "abstention": None,
        "hit@1": 0.0,
        "hit@3": 1.0,
        "hit@5": 1.0,
        "hit@10": 1.0,
        "mrr@10": 0.5,
        "citation_accuracy": 1.0,
        "median_answer_chars": 24,
        "latency_p50_ms": 10.0,
        "latency_p95_ms": 10.0,
    }
    assert by_type["unanswerable"]["accuracy"] == 1.0
    assert by_type["unanswerable"]["abstention"] == 1.0
    assert by_type["unanswerable"]["false_abstention"] is None
    assert by_type["unanswerable"]["hit@5"] is None
    assert by_type["fact"]["accuracy"] is None and by_type["fact"]["false_abstention"] == 1.0


def test_fold_and_matching_rules() -> None:
    assert fold("The “gap” – £2,838,000\n and  1,234") == 'the "gap" - £2838000 and 1234'
    assert contains("It was reduced to 2,838.", "2838")
    assert not contains("There were 139 jobs", "39")
    assert contains("item 39, agreed", "39")
    assert tokens("The gap of £23.335m was 4.99% in 2024/25.") == ["gap", "23.335m", "4.99%", "2024", "25"]
    assert found("budget gap of £23.335m", GAP)
    assert not found("budget gap of £23.336m", GAP)  # a number must match exactly
    assert found("the expected budget gap of the Council was £23.335m", GAP)  # ≥ 80 % of other words


@pytest.mark.parametrize("question", [{"type": "unanswerable", "must_contain": ["x"]}, {"answers": []}, {}])
def test_unanswerable_definition(question: dict) -> None:
    assert metrics.is_unanswerable(question)
