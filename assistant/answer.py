"""Evidence → answer: quote the fewest source sentences that answer the question, verbatim,
each followed by its numbered citation; or say the papers do not answer it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.retrieval import Passage, Retrieval, SentenceHit
from ingest.settings import Settings
from ingest.text import words

NOT_ANSWERED = "The papers do not answer this question."
RELATED_INTRO = "The closest passages are listed as related reading."
CHUNK_RANK_WEIGHT = 0.15
"""How much a sentence's passage ranking adds to the sentence's own similarity."""
RELATED_COUNT = 3
DUPLICATE_OVERLAP = 0.7
"""Sentences sharing this share of their words with one already chosen are not quoted again."""
_SPECIFIC = re.compile(r"\b(?:\d{2}/\d{2}|(?:19|20)\d\d(?:/\d{2})?|[A-Z][A-Z0-9&]{1,9}s?)\b")


@dataclass
class Answer:
    """What the assistant says to one question, in the evaluation contract's terms."""

    question: str
    text: str
    """The answer shown to the user, with inline [n] markers, without the list of sources."""
    abstained: bool
    citations: list[Passage]
    """One per [n], in number order."""
    retrieved: list[Passage]
    related: list[Passage] = field(default_factory=list)
    quotes: list[tuple[str, int]] = field(default_factory=list)
    """(sentence, citation number) pairs the answer quotes, for highlighting."""
    latency_ms: float = 0.0

    def contract(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [p.contract(with_score=False) for p in self.citations],
            "related": [p.contract(with_score=False) for p in self.related],
            "retrieved": [p.contract() for p in self.retrieved],
            "latency_ms": round(self.latency_ms, 2),
        }


def specific_terms(question: str) -> list[str]:
    """Years, financial years and acronyms the question hinges on ("2025/26", "TCLPM")."""
    return [t for t in _SPECIFIC.findall(question) if not t.isalpha() or t.upper() == t]


def compose_answer(
    question: str, retrieval: Retrieval, extra_passages: dict[str, Passage], settings: Settings
) -> Answer:
    """Choose and order the sentences to quote; number their passages as citations.

    ``extra_passages`` holds the passages of sentence hits whose chunk is not among the
    retrieved top ``k`` (fetched by id, no model call).
    """
    passages = {p.chunk_id: p for p in retrieval.passages}
    rank = {p.chunk_id: i for i, p in enumerate(retrieval.passages)}
    candidates: list[tuple[float, SentenceHit]] = []
    for hit in retrieval.sentences:
        if hit.chunk_id not in passages and hit.chunk_id not in extra_passages:
            continue
        bonus = CHUNK_RANK_WEIGHT / (1 + rank[hit.chunk_id]) if hit.chunk_id in rank else 0.0
        candidates.append((hit.score + bonus, hit))
    candidates.sort(key=lambda c: -c[0])

    if not candidates or candidates[0][1].score < settings.min_answer_score or _misses_specifics(question, retrieval):
        return Answer(
            question,
            f"{NOT_ANSWERED} {RELATED_INTRO}",
            True,
            [],
            retrieval.passages,
            related=retrieval.passages[:RELATED_COUNT],
        )

    best = candidates[0][0]
    chosen: list[SentenceHit] = []
    for score, hit in candidates:
        if len(chosen) >= settings.answer_max_sentences or score < best * settings.sentence_keep_ratio:
            break
        if any(_overlap(hit.text, c.text) >= DUPLICATE_OVERLAP for c in chosen):
            continue
        chosen.append(hit)

    lookup = {**extra_passages, **passages}
    # Read in document order: by passage position, then sentence position.
    chosen.sort(key=lambda h: (lookup[h.chunk_id].doc_id, lookup[h.chunk_id].ordinal, h.ordinal))
    citations: list[Passage] = []
    numbers: dict[str, int] = {}
    parts: list[str] = []
    quotes: list[tuple[str, int]] = []
    for hit in chosen:
        if hit.chunk_id not in numbers:
            citations.append(lookup[hit.chunk_id])
            numbers[hit.chunk_id] = len(citations)
        n = numbers[hit.chunk_id]
        parts.append(f"“{hit.text}” [{n}]")
        quotes.append((hit.text, n))
    return Answer(question, " ".join(parts), False, citations, retrieval.passages, quotes=quotes)


def _overlap(a: str, b: str) -> float:
    wa, wb = set(words(a)), set(words(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def _misses_specifics(question: str, retrieval: Retrieval) -> bool:
    """A year or acronym in the question that no retrieved passage mentions: the papers
    are about something else (another year, a body they never name)."""
    terms = specific_terms(question)
    if not terms:
        return False
    haystack = " ".join(p.text for p in retrieval.passages) + " " + " ".join(s.text for s in retrieval.sentences)
    return any(re.search(rf"(?<![\w/]){re.escape(t)}(?![\w/])", haystack) is None for t in terms)
