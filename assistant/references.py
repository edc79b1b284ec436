"""Structural references in a question ("item 39", "section 5.3", "Area 4, action 1.8"): the
sections they name are fetched by metadata and put first, since a person who names a minute
number means that minute, whatever the embedding thinks."""

from __future__ import annotations

import re

import numpy as np

from assistant.retrieval import Passage, Retrieval, SentenceHit
from ingest.store import Index

REFERENCE_SCORE = 1.0
"""Score given to a passage the question names, so it ranks first."""
_ITEM = re.compile(r"\b(?:item|minute)\s+(?:no\.?\s*)?(\d{1,3})\b", re.I)
_SECTION = re.compile(r"\b(?:section|paragraph|para)\s+(\d{1,2}\.\d{1,2})\b", re.I)
_AREA_ACTION = re.compile(r"\barea\s+(\d{1,2})\b[^?.]*?\baction\s+(\d{1,2}\.\d{1,2})\b", re.I)
_ACTION = re.compile(r"\baction\s+(\d{1,2}\.\d{1,2})\b", re.I)


def referenced_sections(question: str) -> list[str]:
    """``section_number`` values the question names."""
    refs: list[str] = []
    for m in _AREA_ACTION.finditer(question):
        refs.append(f"Area {m.group(1)}, action {m.group(2)}")
    if not refs:
        refs += [f"Area {a}, action {m.group(1)}" for m in _ACTION.finditer(question) for a in range(1, 13)]
    refs += [m.group(1) for m in _ITEM.finditer(question)]
    refs += [m.group(1) for m in _SECTION.finditer(question)]
    return refs


def add_referenced(index: Index, question: str, query_vector: np.ndarray, retrieval: Retrieval) -> Retrieval:
    """Put the passages the question names first, with their sentences as answer candidates."""
    refs = referenced_sections(question)
    if not refs:
        return retrieval
    rows = index.get("chunks", where={"section_number": {"$in": refs}})
    if not rows:
        return retrieval
    named = [Passage.from_row(row, REFERENCE_SCORE) for row in rows]
    named_ids = {p.chunk_id for p in named}
    passages = named + [p for p in retrieval.passages if p.chunk_id not in named_ids]
    sentence_rows = index.get("sentences", where={"chunk_id": {"$in": sorted(named_ids)}}, include_vectors=True)
    extra = [
        SentenceHit.from_row(
            row,
            max(float(np.dot(row.vector, query_vector)) if row.vector is not None else 0.0, 0.0) + REFERENCE_SCORE / 2,
        )
        for row in sentence_rows
    ]
    seen = {s.sentence_id for s in extra}
    sentences = sorted(extra + [s for s in retrieval.sentences if s.sentence_id not in seen], key=lambda s: -s.score)
    return Retrieval(passages[: max(len(retrieval.passages), len(named))], sentences, named=named_ids)
