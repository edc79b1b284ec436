"""Question → ranked passages: one query embedding, dense search over chunks and sentences."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from ingest.store import Index, Row

log = logging.getLogger(__name__)

SENTENCE_POOL = 4
"""Sentences fetched per retrieved passage, as candidates for the answer."""


@dataclass
class Passage:
    """A retrieved chunk, as cited: the stored text and where it stands."""

    chunk_id: str
    doc_id: str
    doc_title: str
    doc_type: str
    page: int
    page_end: int
    locator: str
    text: str
    score: float
    meeting_date: str | None
    section_id: str
    ordinal: int

    @classmethod
    def from_row(cls, row: Row, score: float) -> Passage:
        m = row.metadata
        return cls(
            chunk_id=row.id,
            doc_id=m["doc_id"],
            doc_title=m.get("doc_title", ""),
            doc_type=m.get("doc_type", ""),
            page=int(m.get("page_start", 0)),
            page_end=int(m.get("page_end", m.get("page_start", 0))),
            locator=m.get("locator", ""),
            text=row.text,
            score=score,
            meeting_date=m.get("meeting_date"),
            section_id=m.get("section_id", ""),
            ordinal=int(m.get("ordinal", 0)),
        )

    def contract(self, with_score: bool = True) -> dict[str, Any]:
        """The shape the evaluation contract gives citations and retrieved passages."""
        d: dict[str, Any] = {
            "doc_id": self.doc_id,
            "doc_title": self.doc_title,
            "page": self.page,
            "locator": self.locator,
            "text": self.text,
        }
        if self.page_end != self.page:
            d["page_end"] = self.page_end
        if with_score:
            d["score"] = round(self.score, 4)
        return d


@dataclass
class SentenceHit:
    """A stored sentence near the question."""

    sentence_id: str
    chunk_id: str
    text: str
    page: int
    ordinal: int
    score: float


@dataclass
class Retrieval:
    passages: list[Passage]
    sentences: list[SentenceHit]


def build_filter(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """Chroma ``where`` from simple filters: doc_id, doc_type, organisation (a value or a list),
    meeting_dates (a list of ISO dates), date_from / date_to (ISO dates, on meeting_date)."""
    if not filters:
        return None
    clauses: list[dict[str, Any]] = []
    for key in ("doc_id", "doc_type", "organisation"):
        value = filters.get(key)
        if value:
            clauses.append({key: {"$in": list(value)}} if isinstance(value, list | tuple) else {key: value})
    if filters.get("meeting_dates"):
        clauses.append({"meeting_date": {"$in": list(filters["meeting_dates"])}})
    # Chroma compares numbers only, and ISO dates sort as text; filter dates after the query instead.
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _date_ok(meta: dict[str, Any], filters: dict[str, Any] | None) -> bool:
    if not filters:
        return True
    date = meta.get("meeting_date") or ""
    if filters.get("date_from") and (not date or date < filters["date_from"]):
        return False
    return not (filters.get("date_to") and (not date or date > filters["date_to"]))


def retrieve(index: Index, query_vector: np.ndarray, k: int, filters: dict[str, Any] | None = None) -> Retrieval:
    """Top-``k`` passages and the sentences nearest the question, from one query vector."""
    where = build_filter(filters)
    dated = bool(filters and (filters.get("date_from") or filters.get("date_to")))
    fetch = k * 4 if dated else k
    hits = [(row, s) for row, s in index.query("chunks", query_vector, fetch, where) if _date_ok(row.metadata, filters)]
    passages = [Passage.from_row(row, score) for row, score in hits[:k]]
    sentence_where = None
    if where is not None:
        keep = ("doc_id", "doc_type", "meeting_dates")
        sentence_where = build_filter({k2: v for k2, v in (filters or {}).items() if k2 in keep and v})
    sent_hits = index.query("sentences", query_vector, fetch * SENTENCE_POOL, sentence_where)
    sentences = [
        SentenceHit(
            row.id,
            row.metadata["chunk_id"],
            row.text,
            int(row.metadata.get("page", 0)),
            int(row.metadata.get("ordinal", 0)),
            score,
        )
        for row, score in sent_hits
        if _date_ok(row.metadata, filters)
    ]
    return Retrieval(passages, sentences)
