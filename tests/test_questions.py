"""The labelled question sets (evals/questions.jsonl for the bundled pack, evals/questions/<body>.jsonl
for every other body) are well formed, large and varied enough, and grounded: every evidence quote
is found (evals.matching.found) in the text the project extracts from the PDF the question names,
and every must_contain string is on the evidence's page(s). No model is used."""

from __future__ import annotations

from collections import Counter

import pytest

from evals.questionsets import TYPES, all_questions, bodies, load_set, problems, set_paths

QUESTIONS = all_questions()
MIN_TOTAL = 400
MIN_BODIES = 12
MIN_PER_BODY = 10
BUNDLED_MINIMUMS = {
    "number": 15, "resolution": 8, "who": 10, "date": 8, "acronym": 8, "list": 5, "multi-hop": 6,
    "follow-up": 8, "unanswerable": 10,
}  # fmt: skip


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q["id"])
def test_question_is_well_formed_and_grounded(q: dict) -> None:
    assert problems(q) == []


def test_ids_are_unique_across_every_set() -> None:
    ids = Counter(q["id"] for q in QUESTIONS)
    assert [i for i, n in ids.items() if n > 1] == []


def test_every_set_names_its_body() -> None:
    known = {b.slug for b in bodies()}
    for path in set_paths()[1:]:
        assert path.stem in known, f"{path.name}: no body of that name in evals/bodies.tsv"
        assert {q.get("body") for q in load_set(path)} == {path.stem}


def test_sets_cover_a_dozen_bodies_and_every_type() -> None:
    per_body = Counter(q["body"] for q in QUESTIONS)
    assert len(QUESTIONS) >= MIN_TOTAL
    assert len(per_body) >= MIN_BODIES
    assert min(per_body.values()) >= MIN_PER_BODY, per_body
    assert {q["type"] for q in QUESTIONS} == TYPES
    unanswerable = Counter(q["body"] for q in QUESTIONS if q["type"] == "unanswerable")
    assert set(unanswerable) == set(per_body), "every body has unanswerable questions"


def test_bundled_set_covers_every_type_in_enough_numbers() -> None:
    counts = Counter(q["type"] for q in QUESTIONS if q["body"] == "barking-dagenham")
    short = {t: (counts[t], n) for t, n in BUNDLED_MINIMUMS.items() if counts[t] < n}
    assert not short, f"too few questions of type (have, need): {short}"
