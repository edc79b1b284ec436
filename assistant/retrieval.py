"""Question → ranked passages: one query embedding, dense search over chunks and sentences."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.lexical import LiveLexicalIndex
from ingest.store import Index, Row

if TYPE_CHECKING:
    from assistant.snapshot import IndexSnapshot

log = logging.getLogger(__name__)

DATE_LABELS = ("Meetings from", "Meetings to")
"""What the app calls the two date filters; the CLI names its options instead."""
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
    organisation: str = ""
    """The council or body whose paper it is ("Kent County Council")."""
    also_in: list[tuple[str, int]] = field(default_factory=list)
    """(file, page) of each other document that prints this passage word for word (an agenda pack
    repeating a report), whose copy is not searched: cited as "also in <file>, p. <page>"."""
    section_page: int = 0
    """First page of the whole section (minute item, report section) the passage is part of; 0
    when not looked up. Shown beside the passage's own pages when the section runs beyond them."""
    section_page_end: int = 0
    """Last page of that section (0 when not looked up)."""

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
            organisation=str(m.get("organisation") or ""),
            also_in=[(str(c["source_file"]), int(c["page"])) for c in json.loads(m.get("also_in") or "[]")],
        )

    @property
    def also_in_note(self) -> str:
        """``also in pack.pdf, p. 23`` (copies joined by "; "), or "" when no other document prints it."""
        return "also in " + "; ".join(f"{name}, p. {page}" for name, page in self.also_in) if self.also_in else ""

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
        if self.also_in:
            d["also_in"] = [{"source_file": name, "page": page} for name, page in self.also_in]
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

    @classmethod
    def from_row(cls, row: Row, score: float) -> SentenceHit:
        m = row.metadata
        return cls(row.id, m["chunk_id"], row.text, int(m.get("page", 0)), int(m.get("ordinal", 0)), score)


@dataclass
class Retrieval:
    passages: list[Passage]
    sentences: list[SentenceHit]
    named: set[str] = field(default_factory=set)
    """Chunks of the sections the question names ("item 39", "Area 4, action 1.8")."""
    lexical_scores: dict[str, float] = field(default_factory=dict)
    """BM25 score of each chunk the lexical search found."""
    dense_scores: dict[str, float] = field(default_factory=dict)
    """Cosine similarity of each chunk the dense search found."""


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


def parse_date(text: str | None, label: str) -> str | None:
    """An ISO date from a filter box, None when empty; ValueError with a plain message otherwise."""
    value = (text or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f"{label}: “{value}” is not a date; write it as YYYY-MM-DD, e.g. 2024-03-13") from None


def build_filters(
    doc_ids: list[str] | str | None,
    doc_types: list[str] | str | None,
    organisations: list[str] | str | None,
    date_from: str | None,
    date_to: str | None,
    labels: tuple[str, str] = DATE_LABELS,
) -> dict[str, Any] | None:
    """The ``filters`` of ``Assistant.ask`` from the app's filter controls or the CLI's options (a
    value or a list each); ValueError with the message both show for a bad date or a reversed range.
    ``labels`` name the two date inputs as the person sees them."""
    start = parse_date(date_from, labels[0])
    end = parse_date(date_to, labels[1])
    if start and end and start > end:
        raise ValueError(f"{labels[0]} ({start}) is after {labels[1]} ({end})")
    filters = {
        "doc_id": _listed(doc_ids),
        "doc_type": _listed(doc_types),
        "organisation": _listed(organisations),
        "date_from": start,
        "date_to": end,
    }
    filters = {k: v for k, v in filters.items() if v}
    return filters or None


def _listed(value: list[str] | str | None) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    return list(value or [])


def passes(passage: Passage, filters: dict[str, Any] | None) -> bool:
    """Whether a passage is inside the filters (the same ones :func:`build_filter` and the date
    range apply to the search), for candidates that come from elsewhere than the search."""
    if not filters:
        return True
    fields = (("doc_id", passage.doc_id), ("doc_type", passage.doc_type), ("organisation", passage.organisation))
    for key, value in fields:
        wanted = filters.get(key)
        if wanted and value not in (list(wanted) if isinstance(wanted, list | tuple) else [wanted]):
            return False
    if filters.get("meeting_dates") and passage.meeting_date not in filters["meeting_dates"]:
        return False
    return _date_ok({"meeting_date": passage.meeting_date}, filters)


def _date_ok(meta: dict[str, Any], filters: dict[str, Any] | None) -> bool:
    if not filters:
        return True
    date = meta.get("meeting_date") or ""
    if filters.get("date_from") and (not date or date < filters["date_from"]):
        return False
    return not (filters.get("date_to") and (not date or date > filters["date_to"]))


def retrieve(
    index: Index,
    query_vector: np.ndarray,
    k: int,
    filters: dict[str, Any] | None = None,
    lexical: LiveLexicalIndex | None = None,
    snapshot: IndexSnapshot | None = None,
    query_text: str = "",
    lexical_k: int = 30,
    rrf_k: int = 60,
) -> Retrieval:
    """Top-``k`` passages and the sentences nearest the question, from one query vector.

    With a lexical index, three rankings are fused by reciprocal rank fusion — dense over chunks,
    BM25, and chunks by their nearest sentence — a passage scoring the sum of 1 / (rrf_k + rank)
    over the lists it appears in. Passages found by BM25 alone are read from ``snapshot`` when
    given (else from the index).
    """
    where = build_filter(filters)
    dated = bool(filters and (filters.get("date_from") or filters.get("date_to")))
    fetch = max(k, lexical_k) * (4 if dated else 1)
    dense = [
        (row, s) for row, s in index.query("chunks", query_vector, fetch, where) if _date_ok(row.metadata, filters)
    ]
    sentence_where = None
    if where is not None:
        keep = ("doc_id", "doc_type", "meeting_dates")
        sentence_where = build_filter({k2: v for k2, v in (filters or {}).items() if k2 in keep and v})
    sent_hits = index.query("sentences", query_vector, k * SENTENCE_POOL * (4 if dated else 1), sentence_where)
    sentences = [SentenceHit.from_row(row, score) for row, score in sent_hits if _date_ok(row.metadata, filters)]
    if lexical is not None and query_text:
        allowed = None
        if (where is not None or dated) and snapshot is not None:
            allowed = snapshot.allowed_ids(filters)
        elif where is not None or dated:
            allowed = {r.id for r in index.get("chunks", where=where) if _date_ok(r.metadata, filters)}
        lexical_hits = lexical.search(query_text, lexical_k, allowed)
        lexical_ids = [chunk_id for chunk_id, _ in lexical_hits]
        # A passage holding one sentence very near the question ranks by that sentence too.
        by_sentence = list(dict.fromkeys(h.chunk_id for h in sentences))[:lexical_k]
        fused: dict[str, float] = {}
        for ranking in ([row.id for row, _ in dense[:lexical_k]], lexical_ids, by_sentence):
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (rrf_k + rank + 1)
        top = sorted(fused, key=lambda i: -fused[i])[:k]
        rows = {row.id: row for row, _ in dense}
        missing = [i for i in top if i not in rows]
        # The lexical index may name a chunk deleted since it was built: skip what Chroma no longer has.
        got = snapshot.rows(missing) if snapshot is not None else index.get("chunks", ids=missing)
        rows.update({row.id: row for row in got})
        passages = [Passage.from_row(rows[i], fused[i]) for i in top if i in rows]
        lexical_scores = dict(lexical_hits)
    else:
        passages = [Passage.from_row(row, score) for row, score in dense[:k]]
        lexical_scores = {}
    return Retrieval(passages, sentences, lexical_scores=lexical_scores, dense_scores={r.id: s for r, s in dense})
