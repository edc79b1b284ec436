"""The assistant as one object: settings, index, model and answer scorer loaded once, ``ask`` per question.

question → (follow-up context, acronym expansion) → one query embedding → hybrid retrieval (+ the
sections the question names) → candidate sentences (+ nearest decisions) → features → the learned
scorer → answer with citations, or a decline below its calibrated threshold (→ optional LLM
wording, checked against the citations).
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from assistant.answer import Answer, LeadIn, compose, evidence_first
from assistant.candidates import Candidate, gather
from assistant.errors import AnswerOverBudget
from assistant.features import featurize, pool_stats
from assistant.glossary import Glossary
from assistant.llm import LLMWriter
from assistant.outline import asks_for_summary, build_outline
from assistant.question import Question, check_question, read_question
from assistant.references import add_referenced
from assistant.retrieval import Passage, Retrieval, retrieve
from assistant.scorer import MODEL_PATH, AnswerScorer
from assistant.search_results import postings, with_search
from assistant.snapshot import IndexSnapshot
from ingest.embeddings import Embedder, MiniLMEmbedder
from ingest.lexical import REFRESH_INTERVAL_S, LiveLexicalIndex, terms
from ingest.settings import Settings
from ingest.store import Index

log = logging.getLogger(__name__)


@dataclass
class ChatSession:
    """One conversation: its turns, so follow-ups can refer back."""

    turns: list[Answer] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    """The questions as read (a follow-up with its context), one per turn."""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    """Random, so the conversation's export folder cannot be guessed from another's."""
    started: float = field(default_factory=time.time)
    """When the conversation began (seconds since the epoch): names its export."""


class _Budget:
    """The deadline of one answer, checked between stages: a question that runs long stops at the
    next check instead of holding one of the app's workers (and the others' share of the CPU)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def check(self, stage: str) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            log.warning("answer stopped after %s: over its %.0f s budget", stage, self.seconds)
            raise AnswerOverBudget(
                f"The answer took longer than {self.seconds:g} s (SCRUTINEER_ANSWER_BUDGET_S) and was stopped;"
                " ask a shorter or more specific question, or try again when the server is less busy."
            )


@dataclass
class Scored:
    """One question's candidates, scored: what ``ask`` answers from and what training reads."""

    question: Question
    retrieval: Retrieval
    candidates: list[Candidate]
    passages: dict[str, Passage]
    seconds: float = 0.0
    """How long scoring took (reading, searching, gathering, featurizing), for the answer's latency."""
    filters: dict[str, Any] | None = None
    """The search's filters (the search results listed with the answer keep to them too)."""

    def rescore(self, scorer: AnswerScorer) -> Scored:
        """The same candidates with ``scorer``'s probabilities (features depend on no scorer)."""
        for c in self.candidates:
            c.score = scorer.probability(c.features)
        return self


class Assistant:
    """Answers questions from the index. Thread-safe for concurrent ``ask`` calls."""

    def __init__(
        self,
        settings: Settings,
        index: Index | None = None,
        embedder: Embedder | None = None,
        scorer: AnswerScorer | None = None,
    ) -> None:
        self.settings = settings
        self.scorer = scorer or AnswerScorer.load(settings.scorer_path or MODEL_PATH)
        """The learned answer scorer (``assistant/scorer.json`` unless settings or the caller say otherwise)."""
        self.index = index or Index(settings)
        self.embedder = embedder or MiniLMEmbedder(
            settings.embedding_model_path, settings.embedding_model_id, settings.embed_batch_size
        )
        self._glossary: Glossary | None = None
        self._common: set[str] | None = None
        self._rarity: dict[str, float] | None = None
        self._lexical: LiveLexicalIndex | None = None
        self._snapshot: IndexSnapshot | None = None
        self.writer = LLMWriter.from_settings(settings)
        """Writes answers from the evidence when an LLM endpoint is configured; None otherwise."""
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._checked_at = 0.0

    def _keep_fresh(self) -> None:
        """Drop what was read from the index (glossary, meetings, vocabulary) once another process
        has written to it: checked at most every few seconds, by the index's generation stamp."""
        now = time.monotonic()
        if now - self._checked_at < REFRESH_INTERVAL_S:
            return
        self._checked_at = now
        generation = self.index.generation()
        if generation != self._generation:
            self._generation = generation
            self.refresh()

    def refresh(self) -> None:
        """Forget what was read from the index (after an ingest) and bring the lexical index up to
        date now, so a document this process just added is found by its words at once."""
        lexical = self._lexical
        if lexical is not None:  # outside the lock: readers carry on with the index they have meanwhile
            lexical.refresh_now()
        snapshot = IndexSnapshot.read(self.index) if self._snapshot is not None else None
        with self._lock:
            self._glossary = None
            self._common = None
            self._rarity = None
            self._snapshot = snapshot

    @property
    def lexical(self) -> LiveLexicalIndex:
        """The BM25 index derived from Chroma; reloaded when an ingest changes the index."""
        with self._lock:
            if self._lexical is None:
                self._lexical = LiveLexicalIndex(self.index)
            return self._lexical

    @property
    def snapshot(self) -> IndexSnapshot:
        """The passages, sentences and decision records of the index, read once per generation."""
        with self._lock:
            if self._snapshot is None:
                self._snapshot = IndexSnapshot.read(self.index)
            return self._snapshot

    @property
    def glossary(self) -> Glossary:
        with self._lock:
            if self._glossary is None:
                self._glossary = Glossary(self.index)
            return self._glossary

    def common_words(self) -> set[str]:
        """Words the papers write in lower case somewhere: a capitalised pair made of none of them
        is taken for a person's name."""
        return self._vocabulary()[0]

    def word_rarity(self) -> dict[str, float]:
        """Inverse document frequency of each word over the stored passages: "sexual" weighs more
        than "services" when deciding what a question is about."""
        return self._vocabulary()[1]

    def _vocabulary(self) -> tuple[set[str], dict[str, float]]:
        """Both word caches, from one read of every stored passage."""
        snapshot = self.snapshot
        with self._lock:
            if self._common is None or self._rarity is None:
                common: set[str] = set()
                counts: Counter[str] = Counter()
                rows = list(snapshot.chunks.values())
                for row in rows:
                    common.update(w.strip(".,;:()'’\"") for w in row.text.split() if w[:1].islower())
                    counts.update(set(terms(row.text)))
                n = len(rows)
                self._common = common
                self._rarity = {w: math.log((n + 1) / (c + 0.5)) for w, c in counts.items()}
            return self._common, self._rarity

    def warm_up(self) -> None:
        """Load the model and derive what questions read from the index (lexical index, glossary,
        vocabulary, word rarity) before the first question, so no one question pays for them."""
        self.embedder.embed(["warm up"])
        # What follows is read at this generation: the first question need not check again.
        self._generation, self._checked_at = self.index.generation(), time.monotonic()
        _ = self.lexical, self.glossary, self.snapshot
        self._vocabulary()
        postings(self.snapshot)  # which passages hold each word, for searches

    def ask(self, question: str, session: ChatSession | None = None, filters: dict[str, Any] | None = None) -> Answer:
        """The answer to ``question``; QuestionRefused (a ValueError) for an empty or too long one,
        AnswerOverBudget when it runs past ``answer_budget_s``."""
        started = time.perf_counter()
        budget = _Budget(self.settings.answer_budget_s)
        summary = self.summarise(question, filters)
        if summary is not None:
            return self._finish(summary[1], started, session, summary[0])
        scored = self.score(question, session, filters, budget)
        return self.respond(scored, session, started, budget)

    def respond(
        self,
        scored: Scored,
        session: ChatSession | None = None,
        started: float | None = None,
        budget: _Budget | None = None,
    ) -> Answer:
        """The answer from a question's scored candidates (the second half of ``ask``). ``started``: the
        ``time.perf_counter()`` the question was asked at, for its latency (default: as long ago as
        scoring it took)."""
        if started is None:
            started = time.perf_counter() - scored.seconds
        budget = budget or _Budget(None)
        answer = compose(
            scored.question,
            scored.retrieval,
            scored.candidates,
            scored.passages,
            self.scorer,
            self.settings.answer_max_sentences,
            self.snapshot,
            LeadIn(
                self.settings.answer_lead_in_sentences,
                self.settings.answer_lead_in_chars,
                self.settings.answer_fragment_words,
            ),
        )
        answer.question = scored.question.text
        if self.writer is not None and not answer.abstained:
            budget.check("composing the answer")
            # Optional: wording by an LLM, every sentence checked against its citations.
            answer = self.writer.write(scored.question.text, answer.retrieved, answer)
        # A query typed as a search ("potholes") lists the passages holding its words: beside the answer, or
        # instead of a decline.
        answer = with_search(answer, scored.question, scored.retrieval, self.snapshot, scored.filters, self.settings)
        self.snapshot.add_section_pages(answer.citations)  # a minute item over pages: its source line says so
        return self._finish(answer, started, session, scored.question)

    def summarise(self, question: str, filters: dict[str, Any] | None = None) -> tuple[Question, Answer] | None:
        """The cited outline of the document a "summarise …" question names (written by the LLM when
        one is configured, every sentence checked); None for any other question (:mod:`assistant.outline`)."""
        q = read_question(check_question(question, self.settings.max_question_chars))
        if not asks_for_summary(q):
            return None
        self._keep_fresh()
        s = self.settings
        outline = build_outline(q, self.snapshot, self.word_rarity(), filters, s.outline_max_lines, s.outline_min_share)
        if outline is None:
            return None
        answer = outline.answer(q.text, s.retrieve_k)
        if self.writer is not None:
            answer = self.writer.write(q.text, answer.citations, answer, max_evidence=len(answer.citations))
        return q, answer

    def score(
        self,
        question: str,
        session: ChatSession | None = None,
        filters: dict[str, Any] | None = None,
        budget: _Budget | None = None,
    ) -> Scored:
        """question → candidates, each with its features and the scorer's probability."""
        started = time.perf_counter()
        question = check_question(question, self.settings.max_question_chars)
        budget = budget or _Budget(None)  # training scores without a deadline
        self._keep_fresh()
        previous = session.questions[-1] if session and session.questions else None
        q = read_question(question, previous)
        budget.check("reading the question")
        query_text = q.text
        if q.context_terms and previous is not None:
            query_text = f"{previous.text} {q.text}"  # "And who seconded it?" searches with what "it" was
        query_text = self.glossary.expand(query_text)
        vector = self.embedder.embed([query_text])[0]
        budget.check("embedding the question")
        snapshot = self.snapshot
        retrieval = retrieve(
            self.index,
            vector,
            self.settings.retrieve_k,
            filters or None,
            lexical=self.lexical,
            snapshot=snapshot,
            query_text=query_text,
            lexical_k=self.settings.lexical_k,
            rrf_k=self.settings.rrf_k,
        )
        retrieval = add_referenced(snapshot, q.text, vector, retrieval, filters)
        budget.check("searching the papers")
        # A follow-up asks for something new: the scorer knows which sentences the last answer quoted.
        before = set(session.turns[-1].quoted_ids) if q.context_terms and session and session.turns else set()
        candidates, passages = gather(snapshot, retrieval, vector, before, filters)
        budget.check("gathering candidate sentences")
        rarity = self.word_rarity()
        stats = pool_stats(q, candidates, passages, retrieval, rarity)
        common = self.common_words()
        for c in candidates:
            budget.check("scoring the candidates")
            c.features = featurize(q, c, passages[c.chunk_id], stats, retrieval, common)
            c.score = self.scorer.probability(c.features)
        return Scored(q, retrieval, candidates, passages, time.perf_counter() - started, filters or None)

    def index_passages(self, doc_id: str) -> list[Passage]:
        """Every stored passage of a document, in reading order (for checks and the app)."""
        rows = self.index.get("chunks", where={"doc_id": doc_id})
        return sorted((Passage.from_row(r, 0.0) for r in rows), key=lambda p: p.ordinal)

    @staticmethod
    def _finish(answer: Answer, started: float, session: ChatSession | None, understood: Question) -> Answer:
        evidence_first(answer)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        if session is not None:
            session.turns.append(answer)
            session.questions.append(understood)
        return answer
