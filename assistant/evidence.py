"""Retrieved passages → candidate sentences: every stored sentence of the top passages (with its
precomputed vector, so similarity is a dot product) plus the nearest sentences from anywhere."""

from __future__ import annotations

import re

import numpy as np

from assistant.answer import Candidate
from assistant.retrieval import Passage, Retrieval
from ingest.store import Index

POOL_PASSAGES = 8
"""Passages whose every sentence is a candidate."""
OUTSIDE_RANK = 50
"""Rank given to a sentence whose passage is not among the retrieved ones."""
_REFERS_BACK = re.compile(
    r"(?:It|Its|They|Their|This|These|Those|Such|He|She|His|Her)\b|(?:For|In|Of|Under|With) (?:this|these|those|such)\b"
)
"""A sentence opening with one of these words is about what the sentence before it names."""


def gather(index: Index, retrieval: Retrieval, query_vector: np.ndarray) -> tuple[list[Candidate], dict[str, Passage]]:
    """Candidates and the passages they belong to (fetching passages of outside sentences by id)."""
    rank = {p.chunk_id: i for i, p in enumerate(retrieval.passages)}
    passages = {p.chunk_id: p for p in retrieval.passages}
    pool = [p.chunk_id for p in retrieval.passages[:POOL_PASSAGES]]
    candidates: dict[str, Candidate] = {}
    if pool:
        rows = index.get("sentences", where={"chunk_id": {"$in": pool}}, include_vectors=True)
        for row in rows:
            dense = float(np.dot(row.vector, query_vector)) if row.vector is not None else 0.0
            candidates[row.id] = Candidate(
                row.id,
                row.metadata["chunk_id"],
                row.text,
                int(row.metadata.get("page", 0)),
                int(row.metadata.get("ordinal", 0)),
                dense,
                rank[row.metadata["chunk_id"]],
            )
    by_place = {(c.chunk_id, c.ordinal): c.text for c in candidates.values()}
    for c in candidates.values():
        if _REFERS_BACK.match(c.text):
            c.context = by_place.get((c.chunk_id, c.ordinal - 1), "")
    for hit in retrieval.sentences:
        if hit.sentence_id not in candidates:
            candidates[hit.sentence_id] = Candidate(
                hit.sentence_id,
                hit.chunk_id,
                hit.text,
                hit.page,
                hit.ordinal,
                hit.score,
                rank.get(hit.chunk_id, OUTSIDE_RANK),
            )
    missing = sorted({c.chunk_id for c in candidates.values() if c.chunk_id not in passages})
    best: dict[str, float] = {}
    for c in candidates.values():
        best[c.chunk_id] = max(best.get(c.chunk_id, -1.0), c.dense)
    for row in index.get("chunks", ids=missing):
        passages[row.id] = Passage.from_row(row, best.get(row.id, 0.0))
    kept = [c for c in candidates.values() if c.chunk_id in passages]
    if retrieval.named:  # the question names its sections: quote from them only
        kept = [c for c in kept if c.chunk_id in retrieval.named] or kept
    return kept, passages
