"""What answering reads of the index besides its two nearest-neighbour searches, held in memory.

Each question needs the rows of a dozen passages, every sentence of them with its vector, the
passages of a few sections and the decision records near the question. Asked of Chroma, that is
five or six reads a question, each paying a round trip and the copying of vectors into Python
lists: more time than the searches themselves. The index holds few of these rows next to its
chunk texts (a sentence a row, a record per decision), so they are read once per index
generation and answered from memory; the searches over chunks and sentences stay with Chroma.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.records import ResolutionRecord
from assistant.retrieval import Passage, passes
from ingest.store import Index, Row

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredSentence:
    """One sentence of a passage as the index holds it."""

    sentence_id: str
    chunk_id: str
    text: str
    page: int
    ordinal: int
    """Its place in the passage (0 for the first sentence)."""


ALLOWED_KEPT = 64
"""Filters whose passage ids a snapshot remembers (then it starts over)."""


@dataclass
class IndexSnapshot:
    """The passages, sentences and decision records of one index generation. Never changed after
    :meth:`read`: a new generation gets a new snapshot, so readers need no lock."""

    chunks: dict[str, Row] = field(default_factory=dict)
    """Every passage's row (text and metadata, no vector), by chunk id."""
    sections: dict[str, list[str]] = field(default_factory=dict)
    """The chunk ids of each section, by section id."""
    sentences: dict[str, list[StoredSentence]] = field(default_factory=dict)
    """Each passage's sentences in reading order, by chunk id."""
    sentence_rows: dict[str, int] = field(default_factory=dict)
    """Row of each sentence's vector in :attr:`sentence_vectors`, by sentence id."""
    sentence_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    decisions: list[ResolutionRecord] = field(default_factory=list)
    """Every decision and proposal record."""
    decision_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    """One row per entry of :attr:`decisions`."""
    _allowed: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)
    """Ids of the passages inside each filter asked for (filters by body or date repeat from question to
    question, and checking every passage costs more than the search)."""

    @classmethod
    def read(cls, index: Index) -> IndexSnapshot:
        chunks = {row.id: row for row in index.get("chunks")}
        sections: dict[str, list[str]] = {}
        for chunk_id, row in chunks.items():
            sections.setdefault(str(row.metadata.get("section_id", "")), []).append(chunk_id)
        sentence_list = index.get("sentences", include_vectors=True)
        sentences: dict[str, list[StoredSentence]] = {}
        for row in sentence_list:
            m = row.metadata
            s = StoredSentence(row.id, str(m["chunk_id"]), row.text, int(m.get("page", 0)), int(m.get("ordinal", 0)))
            sentences.setdefault(s.chunk_id, []).append(s)
        for group in sentences.values():
            group.sort(key=lambda s: (s.ordinal, s.sentence_id))
        records = index.get("records", where={"record_type": "resolution"}, include_vectors=True)
        snapshot = cls(
            chunks=chunks,
            sections=sections,
            sentences=sentences,
            sentence_rows={row.id: i for i, row in enumerate(sentence_list)},
            sentence_vectors=_matrix(row.vector for row in sentence_list),
            decisions=[ResolutionRecord.from_row(row) for row in records],
            decision_vectors=_matrix(row.vector for row in records),
        )
        log.debug("index snapshot: %d passages, %d sentences, %d decision records",
                  len(chunks), len(sentence_list), len(records))  # fmt: skip
        return snapshot

    def rows(self, chunk_ids: Iterable[str]) -> list[Row]:
        """The stored rows of these passages (ids the index no longer holds are skipped)."""
        return [self.chunks[i] for i in chunk_ids if i in self.chunks]

    def passage(self, chunk_id: str, score: float = 0.0) -> Passage:
        return Passage.from_row(self.chunks[chunk_id], score)

    def allowed_ids(self, filters: dict[str, Any] | None) -> frozenset[str]:
        """Ids of the passages inside the search's filters (remembered per filter for this snapshot)."""
        key = json.dumps(filters, sort_keys=True, default=str)
        ids = self._allowed.get(key)
        if ids is None:
            ids = frozenset(p.chunk_id for p in self.passages_where(filters))
            if len(self._allowed) >= ALLOWED_KEPT:
                self._allowed.clear()
            self._allowed[key] = ids
        return ids

    def passages_where(self, filters: dict[str, Any] | None, **fields: Sequence[str]) -> list[Passage]:
        """Passages inside the search's filters whose metadata ``field`` is one of the values given."""
        wanted = {k: set(v) for k, v in fields.items()}
        out = []
        for row in self.chunks.values():
            if all(str(row.metadata.get(k, "")) in values for k, values in wanted.items()):
                p = Passage.from_row(row, 0.0)
                if passes(p, filters):
                    out.append(p)
        return out

    def following(self, chunk_id: str, ordinal: int, limit: int) -> list[StoredSentence]:
        """Up to ``limit`` sentences after sentence ``ordinal`` of a passage, in reading order: the
        rest of that passage, then on into the next passage of its section (whose opening repeats
        the end of this one: those sentences are not given twice). A section's end ends them."""
        row = self.chunks.get(chunk_id)
        if row is None or limit <= 0:
            return []
        here = self.sentences.get(chunk_id, [])
        out = [s for s in here if s.ordinal > ordinal][:limit]
        if len(out) < limit:
            after = self._next_in_section(row)
            if after is not None:
                seen = {s.text for s in here}
                out += [s for s in self.sentences.get(after, []) if s.text not in seen][: limit - len(out)]
        return out

    def _next_in_section(self, row: Row) -> str | None:
        """The chunk id of the passage after this one in its section, if there is one."""
        place = int(row.metadata.get("ordinal", 0))
        later = [
            (int(self.chunks[c].metadata.get("ordinal", 0)), c)
            for c in self.sections.get(str(row.metadata.get("section_id", "")), [])
            if int(self.chunks[c].metadata.get("ordinal", 0)) > place
        ]
        return min(later)[1] if later else None

    def section_pages(self, section_id: str) -> tuple[int, int] | None:
        """First and last page of a section (a minute item, a report section) over all its passages."""
        rows = self.rows(self.sections.get(section_id, []))
        if not rows:
            return None
        starts = [int(r.metadata.get("page_start", 0)) for r in rows]
        ends = [int(r.metadata.get("page_end", r.metadata.get("page_start", 0))) for r in rows]
        return min(starts), max(ends)

    def add_section_pages(self, passages: Iterable[Passage]) -> None:
        """Give each passage the pages of the whole section it is part of (``section_page`` and
        ``section_page_end``), for its source line; its own ``page`` (the contract's) stays."""
        for p in passages:
            span = self.section_pages(p.section_id)
            if span is not None:
                p.section_page, p.section_page_end = span

    def chunk_ids_of_sections(self, section_ids: Iterable[str]) -> list[str]:
        return [i for s in dict.fromkeys(section_ids) for i in self.sections.get(s, [])]

    def sentences_of(self, chunk_ids: Iterable[str], query_vector: np.ndarray) -> list[tuple[StoredSentence, float]]:
        """Every sentence of these passages with its cosine similarity to the question."""
        found = [s for i in chunk_ids for s in self.sentences.get(i, [])]
        if not found:
            return []
        rows = [self.sentence_rows[s.sentence_id] for s in found]
        scores = self.sentence_vectors[rows] @ np.asarray(query_vector, dtype=np.float32)
        return [(s, float(score)) for s, score in zip(found, scores, strict=True)]

    def nearest_decisions(
        self, query_vector: np.ndarray, k: int, filters: dict[str, Any] | None
    ) -> list[ResolutionRecord]:
        """The ``k`` decision records nearest the question whose passages are inside the filters
        (exact cosine similarity; ties broken by id, so the same index always gives the same)."""
        if not self.decisions:
            return []
        scores = self.decision_vectors @ np.asarray(query_vector, dtype=np.float32)
        order = sorted(range(len(self.decisions)), key=lambda i: (-float(scores[i]), self.decisions[i].resolution_id))
        out = []
        for i in order:
            record = self.decisions[i]
            if self._inside(record, filters):
                out.append(record)
                if len(out) == k:
                    break
        return out

    def decisions_in_sections(self, section_ids: Iterable[str]) -> list[ResolutionRecord]:
        wanted = set(section_ids)
        return [r for r in self.decisions if r.section_id in wanted]

    def _inside(self, record: ResolutionRecord, filters: dict[str, Any] | None) -> bool:
        if not filters:
            return True
        chunk_ids = self.sections.get(record.section_id)
        return bool(chunk_ids) and passes(self.passage(chunk_ids[0]), filters)


def _matrix(vectors: Iterable[np.ndarray | None]) -> np.ndarray:
    """One row per vector, in order (the index stores a vector with every row it holds)."""
    rows = [np.asarray(v, dtype=np.float32) for v in vectors]
    return np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
