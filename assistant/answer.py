"""Scored sentences → answer: quote the best-scoring sentences verbatim, each followed by its
numbered citation, or say the papers do not answer when the best one scores below the scorer's
calibrated threshold. There is no other way to decline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.candidates import Candidate
from assistant.question import Question
from assistant.quoting import Quote, announces, render
from assistant.retrieval import Passage, Retrieval
from assistant.scorer import AnswerScorer
from assistant.snapshot import IndexSnapshot, StoredSentence
from ingest.dates import human_date
from ingest.lexical import terms

if TYPE_CHECKING:
    from assistant.search_results import SearchResults

NOT_ANSWERED = "The papers do not answer this question."
NO_DECISION = "the minutes in the papers record no decision about that"
RELATED_INTRO = "The closest passages are listed as related reading."
RELATED_COUNT = 3
DUPLICATE_OVERLAP = 0.7
"""Sentences sharing this share of their terms with one already chosen are not quoted again."""


@dataclass(frozen=True)
class LeadIn:
    """How much a quoted lead-in ("…approved the following:") brings of what it announces."""

    sentences: int
    """Most sentences after each lead-in."""
    chars: int
    """Most characters they add to the answer in all, past the first sentence."""
    fragment_words: int = 0
    """A chosen sentence of at most this many words (not a lead-in) brings the sentence after it in
    its passage (see :func:`completing`); 0: none does."""


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
    generated: bool = False
    """True when an LLM wrote the wording (quotes stay verbatim)."""
    strongest_first: list[str] = field(default_factory=list)
    """Chunk ids of the quoted passages, the passage of the best-scoring quote first (empty: citation order)."""
    searched: list[Passage] = field(default_factory=list)
    """The passages in search order (hybrid fusion), before the quoted ones were ranked first: for
    measuring the search on its own."""
    quoted_ids: list[str] = field(default_factory=list)
    """Ids of the sentences quoted, so a follow-up does not offer them again."""
    confidence: float = 0.0
    """The scorer's probability for the best sentence (also when it declined)."""
    search: SearchResults | None = None
    """For a query typed as a search ("potholes"): the passages that hold its words, beside the answer or as
    the reply (:mod:`assistant.search_results`)."""

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


def abstain(question: str, retrieval: Retrieval, reason: str | None = None, confidence: float = 0.0) -> Answer:
    """Say plainly that the papers do not answer, offering the closest passages as related reading."""
    text = NOT_ANSWERED + (f" ({reason[0].upper()}{reason[1:]}.)" if reason else "") + f" {RELATED_INTRO}"
    return Answer(
        question, text, True, [], retrieval.passages, related=retrieval.passages[:RELATED_COUNT], confidence=confidence
    )


def _overlap(a: str, b: str) -> float:
    ta, tb = set(terms(a)), set(terms(b))
    return len(ta & tb) / max(1, min(len(ta), len(tb)))


def quoting_order(
    scores: Sequence[float],
    texts: Sequence[str],
    keep_ratio: float,
    max_sentences: int,
    relevant: Sequence[bool] | None = None,
) -> list[int]:
    """Candidates (indices) in the order they would be quoted: the best, then those scoring at
    least ``keep_ratio`` of it that say something else and (``relevant``) share a term with the
    question, best first, up to ``max_sentences``. A further sentence that names nothing the
    question does is there only by its neighbours: an instruction planted beside an answer is one."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    if not order:
        return []
    best = order[0]
    chosen = [best]
    for i in order[1:]:
        if len(chosen) >= max_sentences or scores[i] < keep_ratio * scores[best]:
            break
        fresh = all(_overlap(texts[i], texts[j]) < DUPLICATE_OVERLAP for j in chosen)
        if fresh and (relevant is None or relevant[i]):
            chosen.append(i)
    return chosen


def with_antecedents(chosen: list[int], places: Sequence[tuple[str, int]], refers: Sequence[bool]) -> list[int]:
    """``chosen`` with, after them, the sentence each one refers back to (``places``: (passage,
    position) of every candidate)."""
    at = {place: i for i, place in enumerate(places)}
    out = list(chosen)
    for i in chosen:
        before = at.get((places[i][0], places[i][1] - 1)) if refers[i] else None
        if before is not None and before not in out:
            out.append(before)
    return out


def select(
    scores: Sequence[float],
    texts: Sequence[str],
    places: Sequence[tuple[str, int]],
    refers: Sequence[bool],
    keep_ratio: float,
    max_sentences: int,
    floor: float = 0.0,
    relevant: Sequence[bool] | None = None,
) -> list[int]:
    """Which candidates to quote: :func:`quoting_order`, keeping further sentences only when they
    score at least ``floor`` too (each must be trusted to answer on its own), each with the
    sentence it refers back to. The training that tunes these numbers replays the same steps."""
    order = quoting_order(scores, texts, keep_ratio, max_sentences, relevant)
    kept = order[:1] + [i for i in order[1:] if scores[i] >= floor]
    return with_antecedents(kept, places, refers)


def compose(
    question: Question,
    retrieval: Retrieval,
    candidates: list[Candidate],
    passages: dict[str, Passage],
    scorer: AnswerScorer,
    max_sentences: int,
    snapshot: IndexSnapshot | None = None,
    lead_in: LeadIn | None = None,
) -> Answer:
    """Quote the chosen sentences in reading order, numbering their passages as citations; or decline.
    With ``snapshot``, a chosen sentence that announces what follows brings the sentences it
    announces (as many as ``lead_in`` allows)."""
    if not candidates:
        return abstain(question.text, retrieval, NO_DECISION if "decision" in question.asks else None)
    ranked = sorted(candidates, key=lambda c: (-c.score, c.sentence_id))
    if ranked[0].score < scorer.threshold:
        reason = NO_DECISION if "decision" in question.asks else None
        return abstain(question.text, retrieval, reason, ranked[0].score)
    picked = select(
        [c.score for c in ranked],
        [c.text for c in ranked],
        [(c.chunk_id, c.ordinal) for c in ranked],
        [bool(c.context) for c in ranked],
        scorer.keep_ratio,
        min(max_sentences, scorer.max_sentences),
        scorer.threshold,  # a further sentence must be trusted to answer on its own too
        [c.features.get("lex_all", 1.0) > 0 for c in ranked],
    )
    if picked and all(ranked[i].quoted_before for i in picked):
        # Never the last answer again, word for word: the best sentences it did not quote, if any clear the bar.
        fresh = [i for i, c in enumerate(ranked) if not c.quoted_before and c.score >= scorer.threshold]
        if fresh:
            picked = [fresh[j] for j in select(
                [ranked[i].score for i in fresh], [ranked[i].text for i in fresh],
                [(ranked[i].chunk_id, ranked[i].ordinal) for i in fresh], [bool(ranked[i].context) for i in fresh],
                scorer.keep_ratio, min(max_sentences, scorer.max_sentences), scorer.threshold,
                [ranked[i].features.get("lex_all", 1.0) > 0 for i in fresh],
            )]  # fmt: skip
    chosen = [ranked[i] for i in picked]
    strongest_first = list(dict.fromkeys(c.chunk_id for c in sorted(chosen, key=lambda c: -c.score)))
    sentences = [StoredSentence(c.sentence_id, c.chunk_id, c.text, c.page, c.ordinal) for c in chosen]
    passages = dict(passages)
    continuing: set[str] = set()
    if snapshot is not None and lead_in is not None:
        brought, continuing = announced(sentences, snapshot, passages, lead_in)
        sentences += brought + completing(sentences, snapshot, lead_in.fragment_words, brought)
    sentences.sort(key=lambda s: (passages[s.chunk_id].doc_id, passages[s.chunk_id].ordinal, s.ordinal))
    meetings = {passages[s.chunk_id].meeting_date for s in sentences} - {None, ""}
    newest_first = "latest" in question.asks and len(meetings) > 1
    if newest_first:  # "the latest position": the newest meeting's words first, each meeting named
        sentences.sort(key=lambda s: passages[s.chunk_id].meeting_date or "", reverse=True)  # stable: reading order
    citations: list[Passage] = []
    numbers: dict[str, int] = {}
    quotes: list[Quote] = []
    for i, s in enumerate(sentences):
        if s.chunk_id not in numbers:
            citations.append(passages[s.chunk_id])
            numbers[s.chunk_id] = len(citations)
        joins = i > 0 and _adjacent(sentences[i - 1], s, passages[s.chunk_id].text)
        meeting = passages[s.chunk_id].meeting_date
        new_meeting = newest_first and (i == 0 or passages[sentences[i - 1].chunk_id].meeting_date != meeting)
        dated = human_date(meeting) if new_meeting and meeting else ""
        quotes.append(
            Quote(s.text, s.chunk_id, s.ordinal, numbers[s.chunk_id], joins, s.sentence_id in continuing, dated)
        )
    return Answer(
        question.text,
        render(quotes),
        False,
        citations,
        retrieval.passages,
        quotes=[(q.text, q.n) for q in quotes],
        strongest_first=strongest_first,
        quoted_ids=[s.sentence_id for s in sentences],
        confidence=ranked[0].score,
    )


def _adjacent(a: StoredSentence, b: StoredSentence, passage_text: str) -> bool:
    """Whether ``b`` stands right after ``a`` in the passage's text (white space between, nothing else)."""
    return a.chunk_id == b.chunk_id and f"{a.text} {b.text}" in " ".join(passage_text.split())


def announced(
    chosen: list[StoredSentence], snapshot: IndexSnapshot, passages: dict[str, Passage], lead_in: LeadIn
) -> tuple[list[StoredSentence], set[str]]:
    """The sentences that chosen lead-ins announce ("…approved the following:"), as the index holds
    them after each (on into the next passage of its section), not already chosen: at most
    ``lead_in.sentences`` a lead-in, and past the first no more than ``lead_in.chars`` added in
    all. Their passages join ``passages``. Also the ids of those announced from a passage after the
    lead-in's (chosen or brought): they carry its list on."""
    taken = {s.text for s in chosen}
    out: list[StoredSentence] = []
    continuing: set[str] = set()
    added = 0
    for s in chosen:
        if not announces(s.text):
            continue
        brought = 0
        for f in snapshot.following(s.chunk_id, s.ordinal, lead_in.sentences):
            if f.chunk_id != s.chunk_id:
                continuing.add(f.sentence_id)
            if f.text in taken:
                continue
            if brought and added + len(f.text) > lead_in.chars:
                break
            brought += 1
            taken.add(f.text)
            out.append(f)
            added += len(f.text)
            if f.chunk_id not in passages:
                passages[f.chunk_id] = snapshot.passage(f.chunk_id, passages[s.chunk_id].score)
    return out, continuing


def is_fragment(text: str, fragment_words: int) -> bool:
    """Whether a sentence is too short to stand alone as an answer ("MOTION BY: Mashack", "Motion
    Carried 5-2.", a heading): what it labels or concludes is in the sentence after it. A lead-in
    brings its own (:func:`announced`)."""
    return 0 < len(text.split()) <= fragment_words and not announces(text)


def completing(
    chosen: list[StoredSentence], snapshot: IndexSnapshot, fragment_words: int, brought: Sequence[StoredSentence] = ()
) -> list[StoredSentence]:
    """For each chosen fragment (:func:`is_fragment`), the sentence after it in its passage, when
    neither chosen nor ``brought`` already. The training replay adds the same sentences."""
    taken = {s.text for s in chosen} | {s.text for s in brought}
    out: list[StoredSentence] = []
    for s in chosen:
        if not is_fragment(s.text, fragment_words):
            continue
        after = [f for f in snapshot.following(s.chunk_id, s.ordinal, 1) if f.chunk_id == s.chunk_id]
        if after and after[0].text not in taken:
            taken.add(after[0].text)
            out.append(after[0])
    return out


def evidence_first(answer: Answer) -> Answer:
    """Rank ``retrieved`` as the contract defines it, the passages the answer was drawn from: the
    passages it quotes first (strongest quote first), then the rest in search order."""
    answer.searched = list(answer.retrieved)
    if answer.abstained or not answer.citations:
        return answer
    cited = {p.chunk_id: p for p in answer.citations}
    order = [c for c in answer.strongest_first if c in cited] + [p.chunk_id for p in answer.citations]
    first = [cited[c] for c in dict.fromkeys(order)]
    answer.retrieved = first + [p for p in answer.retrieved if p.chunk_id not in cited]
    return answer
