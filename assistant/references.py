"""Structural references in a question ("item 39", "section 5.3", "Area 4, action 1.8"): the
sections they name are fetched by metadata and put first, since a person who names a minute
number means that minute, whatever the embedding thinks."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from assistant.retrieval import Retrieval, SentenceHit
from assistant.snapshot import IndexSnapshot

REFERENCE_SCORE = 1.0
"""Score given to a passage the question names, so it ranks first."""
_REFERENCE = re.compile(
    r"\b(?P<kind>item|minute|section|paragraph|para|action|area)\s+(?:no\.?\s*)?(?P<num>[A-Z]?-?\d{1,3}(?:\.\d{1,2})*)\b",
    re.I,
)
"""How people name a part of any council's papers: "item 5", "minute 34", "section 5.3", "H-1"."""
PLAN_AREAS = 12
"""An action ("action 1.8") is looked for under every plan area up to this number."""


def referenced_sections(question: str) -> list[str]:
    """``section_number`` values the question names."""
    found = [(m.group("kind").lower(), m.group("num")) for m in _REFERENCE.finditer(question)]
    areas = [num for kind, num in found if kind == "area"]
    refs: list[str] = []
    for kind, num in found:
        if kind == "action":
            refs += [f"Area {a}, action {num}" for a in (areas or [str(a) for a in range(1, PLAN_AREAS + 1)])]
        elif kind != "area":
            refs.append(num)
    return refs


def add_referenced(
    snapshot: IndexSnapshot,
    question: str,
    query_vector: np.ndarray,
    retrieval: Retrieval,
    filters: dict[str, Any] | None = None,
) -> Retrieval:
    """Put the passages the question names first (within the search's ``filters``), with their
    sentences as answer candidates."""
    refs = referenced_sections(question)
    if not refs:
        return retrieval
    named = snapshot.passages_where(filters, section_number=refs)
    if not named:
        return retrieval
    for p in named:
        p.score = REFERENCE_SCORE
    named_ids = {p.chunk_id for p in named}
    passages = named + [p for p in retrieval.passages if p.chunk_id not in named_ids]
    extra = [
        SentenceHit(s.sentence_id, s.chunk_id, s.text, s.page, s.ordinal, max(dense, 0.0) + REFERENCE_SCORE / 2)
        for s, dense in snapshot.sentences_of(sorted(named_ids), query_vector)
    ]
    seen = {s.sentence_id for s in extra}
    sentences = sorted(extra + [s for s in retrieval.sentences if s.sentence_id not in seen], key=lambda s: -s.score)
    return Retrieval(
        passages[: max(len(retrieval.passages), len(named))],
        sentences,
        named=named_ids,
        lexical_scores=retrieval.lexical_scores,
        dense_scores=retrieval.dense_scores,
    )
