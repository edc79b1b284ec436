"""Retrieved passages → candidate sentences, from every source that may hold the answer: every
sentence of the top passages, the sentences nearest the question anywhere, the sections the
question names, and the decisions recorded nearest it. Each candidate carries its passage and
what the index knows of it (a decision record? which kind?), for the scorer to weigh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.question import REFERRING_WORDS
from assistant.records import ResolutionRecord
from assistant.retrieval import Passage, Retrieval, passes
from assistant.snapshot import IndexSnapshot

POOL_PASSAGES = 8
"""Passages whose every sentence is a candidate."""
DECISION_POOL = 4
"""Decision records nearest the question whose passages join the pool."""
OUTSIDE_RANK = 50
"""Rank given to a passage that is not among the retrieved ones."""


@dataclass
class Candidate:
    """A sentence that could be quoted, with its similarity to the question."""

    sentence_id: str
    chunk_id: str
    text: str
    page: int
    ordinal: int
    """Position of the sentence within its passage, from 0."""
    dense: float
    """Cosine similarity of the sentence to the question."""
    rank: int
    """Rank of its passage among those retrieved (:data:`OUTSIDE_RANK` when it came from elsewhere)."""
    context: str = ""
    """The sentence before it, when this one opens with a word that refers back to it."""
    resolution: str = ""
    """``decision`` or ``proposal`` when the sentence is part of such a record, else empty."""
    vote: str = ""
    """The vote, mover or seconder the decision record gives, when it gives one."""
    named: bool = False
    """Its section is one the question names ("item 5")."""
    quoted_before: bool = False
    """The conversation's last answer quoted it (a follow-up asks for something new)."""
    score: float = 0.0
    """The answer scorer's probability that this sentence answers the question."""
    features: dict[str, float] = field(default_factory=dict)


def refers_back(text: str) -> bool:
    first = text.split(maxsplit=1)[0].strip("“”\"'(").lower() if text.split() else ""
    return first in REFERRING_WORDS


def gather(
    snapshot: IndexSnapshot,
    retrieval: Retrieval,
    query_vector: np.ndarray,
    quoted_before: set[str] | None = None,
    filters: dict | None = None,
) -> tuple[list[Candidate], dict[str, Passage]]:
    """Candidates and the passages they belong to, all inside the search's ``filters``.
    ``quoted_before``: the sentences the conversation's last answer quoted (each candidate says
    whether it is one)."""
    rank = {p.chunk_id: i for i, p in enumerate(retrieval.passages)}
    passages = {p.chunk_id: p for p in retrieval.passages}
    pool = [p.chunk_id for p in retrieval.passages[:POOL_PASSAGES]]
    pool += [c for c in retrieval.named if c not in pool]
    decisions = snapshot.nearest_decisions(query_vector, DECISION_POOL, filters)
    pool += [c for c in snapshot.chunk_ids_of_sections(sorted({r.section_id for r in decisions})) if c not in pool]
    candidates: dict[str, Candidate] = {}
    for s, dense in snapshot.sentences_of(pool, query_vector):
        candidates[s.sentence_id] = Candidate(
            s.sentence_id, s.chunk_id, s.text, s.page, s.ordinal, dense, rank.get(s.chunk_id, OUTSIDE_RANK)
        )
    for hit in retrieval.sentences:
        if hit.sentence_id not in candidates:
            candidates[hit.sentence_id] = Candidate(
                hit.sentence_id, hit.chunk_id, hit.text, hit.page, hit.ordinal, hit.score,
                rank.get(hit.chunk_id, OUTSIDE_RANK),
            )  # fmt: skip
    missing = sorted({c.chunk_id for c in candidates.values() if c.chunk_id not in passages})
    best: dict[str, float] = {}
    for c in candidates.values():
        best[c.chunk_id] = max(best.get(c.chunk_id, -1.0), c.dense)
    for row in snapshot.rows(missing):
        passages[row.id] = Passage.from_row(row, best.get(row.id, 0.0))
    # Decision records and nearest sentences come from outside the search: keep them inside its filters.
    kept = [c for c in candidates.values() if c.chunk_id in passages and passes(passages[c.chunk_id], filters)]
    if retrieval.named:  # a person who names a minute or plan action means that one, whatever else is near
        kept = [c for c in kept if c.chunk_id in retrieval.named] or kept
    by_place = {(c.chunk_id, c.ordinal): c.text for c in kept}
    records = snapshot.decisions_in_sections({passages[c.chunk_id].section_id for c in kept})
    records += [r for r in decisions if r.resolution_id not in {x.resolution_id for x in records}]
    for c in kept:
        if refers_back(c.text):
            c.context = by_place.get((c.chunk_id, c.ordinal - 1), "")
        c.named = c.chunk_id in retrieval.named
        c.quoted_before = c.sentence_id in (quoted_before or set())
        record = _record_holding(records, passages[c.chunk_id].section_id, c.text)
        if record is not None:
            c.resolution = record.kind
            c.vote = " ".join(x for x in (record.mover, record.seconder, record.vote) if x)
    return kept, passages


def _record_holding(records: list[ResolutionRecord], section_id: str, text: str) -> ResolutionRecord | None:
    """The decision record of this section whose words hold the sentence (or are held by it)."""
    core = " ".join(text.split())[:120]
    for r in records:
        if r.section_id == section_id and (core in r.text or " ".join(r.text.split())[:120] in text):
            return r
    return None
