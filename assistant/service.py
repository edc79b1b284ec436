"""The assistant as one object: settings, index and model loaded once, ``ask`` per question.

question → (follow-up rewrite, acronym expansion, meeting filter) → one query embedding →
retrieval (+ passages the question names) → decisions / definitions / evidence sentences →
answer with citations (→ optional LLM wording, checked against the citations).
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from assistant.answer import Answer, abstain, compose_answer, evidence_first, word_set
from assistant.decisions import answer_decision, is_decision_question, is_proposal_question
from assistant.definitions import Glossary, answer_definition
from assistant.evidence import gather
from assistant.lists import answer_list
from assistant.llm import LLMWriter
from assistant.query import analyse, answered_name, meeting_reference, rewrite_follow_up
from assistant.references import add_referenced
from assistant.retrieval import Passage, Retrieval, retrieve
from ingest.dates import find_dates
from ingest.embeddings import Embedder, MiniLMEmbedder
from ingest.errors import IngestBusyError
from ingest.lexical import REFRESH_INTERVAL_S, LiveLexicalIndex
from ingest.pipeline import Ingestor, IngestReport
from ingest.settings import Settings
from ingest.store import Index

log = logging.getLogger(__name__)


@dataclass
class ChatSession:
    """One conversation: its turns, so follow-ups can refer back."""

    turns: list[Answer] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    """The questions as understood (follow-ups rewritten in full), one per turn."""


def year_spellings(year: str) -> list[str]:
    """ "2024/25" → the ways papers write that year: 2024/25, 2024-25, 24/25, 2024/2025."""
    if "/" not in year:
        return [year]
    first, second = year.split("/")
    century, short = (first[:2], first[2:]) if len(first) == 4 else ("20", first)
    return [year, f"{first}-{second}", f"{short}/{second}", f"{century}{short}/{century}{second}"]


def _mentions_dates(retrieval: Retrieval, dates: list[str]) -> bool:
    """Whether any retrieved passage mentions one of these dates (a meeting the papers refer to)."""
    return any(d.iso in dates for p in retrieval.passages for d in find_dates(p.text))


class Assistant:
    """Answers questions from the index. Thread-safe for concurrent ``ask`` calls."""

    def __init__(self, settings: Settings, index: Index | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.index = index or Index(settings)
        self.embedder = embedder or MiniLMEmbedder(
            settings.embedding_model_path, settings.embedding_model_id, settings.embed_batch_size
        )
        self._glossary: Glossary | None = None
        self._meetings: dict[str, set[str]] | None = None
        self._common: set[str] | None = None
        self._rarity: dict[str, float] | None = None
        self._lexical: LiveLexicalIndex | None = None
        self.writer = LLMWriter.from_settings(settings)
        """Writes answers from the evidence when an LLM endpoint is configured; None otherwise."""
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._checked_at = 0.0

    def ensure_index(self) -> IngestReport | None:
        """Build the index from the corpus folder when it is empty (first start); otherwise repair
        what an ingest that died part-way left, so no half-written file is ever answered from."""
        if self.index.count("chunks") > 0:
            if self.index.pending():
                try:
                    repaired = Ingestor(self.settings, self.index, self.embedder).recover()
                except IngestBusyError:
                    return None  # a live writer holds the lock: its markers are its own
                if repaired:
                    log.warning("removed the partial rows of %s, left by an interrupted ingest", ", ".join(repaired))
                    self.refresh()
            return None
        log.info("index is empty: ingesting %s", self.settings.corpus_dir)
        report = Ingestor(self.settings, self.index, self.embedder).sync_folder(self.settings.corpus_dir)
        self.refresh()
        return report

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
        with self._lock:
            self._glossary = None
            self._meetings = None
            self._common = None
            self._rarity = None

    @property
    def lexical(self) -> LiveLexicalIndex:
        """The BM25 index derived from Chroma; reloaded when an ingest changes the index."""
        with self._lock:
            if self._lexical is None:
                self._lexical = LiveLexicalIndex(self.index)
            return self._lexical

    @property
    def glossary(self) -> Glossary:
        with self._lock:
            if self._glossary is None:
                self._glossary = Glossary(self.index)
            return self._glossary

    def meeting_dates(self, minuted: bool = False) -> list[str]:
        """Dates of the meetings the papers record or were written for (``minuted``: only
        meetings whose minutes are in the index)."""
        with self._lock:
            if self._meetings is None:
                meetings: dict[str, set[str]] = {}
                for r in self.index.records("document"):
                    if r.metadata.get("meeting_date"):
                        meetings.setdefault(r.metadata["meeting_date"], set()).add(r.metadata.get("doc_type", ""))
                self._meetings = meetings
            return sorted(d for d, types in self._meetings.items() if not minuted or "minutes" in types)

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
        with self._lock:
            if self._common is None or self._rarity is None:
                common: set[str] = set()
                counts: Counter[str] = Counter()
                rows = self.index.get("chunks")
                for row in rows:
                    common.update(re.findall(r"\b[a-z][a-z'’-]+\b", row.text))
                    counts.update(word_set(row.text))
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
        _ = self.lexical, self.glossary
        self.meeting_dates()
        self._vocabulary()

    def ask(self, question: str, session: ChatSession | None = None, filters: dict[str, Any] | None = None) -> Answer:
        started = time.perf_counter()
        self._keep_fresh()
        question = " ".join(question.split())
        if not question:
            raise ValueError("the question is empty")
        previous = session.questions[-1] if session and session.questions else None
        answered = None
        if previous and session and session.turns and not session.turns[-1].abstained:
            quoted = " ".join(text for text, _ in session.turns[-1].quotes)
            answered = answered_name(previous, quoted, self.common_words())
        understood = rewrite_follow_up(question, previous, answered)
        info = analyse(question)
        full_info = analyse(understood)
        filters = dict(filters or {})

        dates, problem = meeting_reference(understood, self.meeting_dates(), self.meeting_dates(minuted=True))
        if dates and not filters.get("meeting_dates"):
            filters["meeting_dates"] = dates
        if dates and len(dates) > 1:
            info.wants_several = info.meetings_named = True  # "…in January compare with … the March minutes": both
        query_text = self.glossary.expand(understood)
        vector = self.embedder.embed([query_text])[0]
        retrieval = retrieve(
            self.index,
            vector,
            self.settings.retrieve_k,
            filters or None,
            lexical=self.lexical,
            query_text=query_text,
            lexical_k=self.settings.lexical_k,
            rrf_k=self.settings.rrf_k,
        )
        retrieval = add_referenced(self.index, understood, vector, retrieval)
        decision_kind = (
            "proposal" if is_proposal_question(understood) else "decision" if is_decision_question(understood) else None
        )
        # A meeting the papers hold no record of: its decisions cannot be in them, whatever else mentions it.
        if problem and (decision_kind or not _mentions_dates(retrieval, full_info.dates)):
            return self._finish(abstain(question, retrieval, problem), started, session, understood)
        if info.defines:
            answer = answer_definition(self.index, self.glossary, info.defines, question, retrieval)
            return self._finish(answer, started, session, understood)
        if decision_kind:
            decided = answer_decision(
                self.index,
                understood,
                vector,
                retrieval,
                filters or None,
                kind=decision_kind,
                rarity=self.word_rarity(),
            )
            if decided is not None:
                decided.question = question
                return self._finish(decided, started, session, understood)
        if info.wants_list:
            listed = answer_list(self.index, understood, retrieval)
            if listed is not None:
                listed.question = question
                return self._finish(listed, started, session, understood)
        candidates, passages = gather(self.index, retrieval, vector)
        answer = compose_answer(
            understood,
            info,
            retrieval,
            candidates,
            passages,
            self.settings,
            must_mention=self._must_mention(question),
            common_words=self.common_words(),
        )
        answer.question = question
        if self.writer is not None:  # optional: wording by an LLM, every sentence checked against its citations
            answer = self.writer.write(understood, answer.retrieved, answer)
        return self._finish(answer, started, session, understood)

    def _must_mention(self, question: str) -> list[tuple[str, list[str], str]]:
        """What the evidence must mention, from the question (not the conversation): labels such as
        "Band D" in the quoted sentences; years and acronyms in their passages or the
        passages' headings (an item titled "ABC Update report" is about ABC); the year of an asked
        figure in the quoted sentences or the headings of those giving a figure."""
        info = analyse(question)
        out = [(label, [label], "sentence") for label in info.labels]
        # A figure's year is in its own sentence or heading: "the £10.3m dividend for 2024/25" is no
        # answer to "how much … in 2023" because "2021 – 2023" stands elsewhere in the passage.
        year_scope = "figure" if info.wants_number else "heading"
        out += [(y, year_spellings(y), year_scope) for y in info.years]
        for acronym in info.acronyms:
            expansions = [r.metadata["expansion"] for r in self.glossary.lookup(acronym)]
            out.append((acronym, [acronym, acronym.rstrip("s"), *expansions], "heading"))
        return out

    def index_passages(self, doc_id: str) -> list[Passage]:
        """Every stored passage of a document, in reading order (for checks and the app)."""
        rows = self.index.get("chunks", where={"doc_id": doc_id})
        return sorted((Passage.from_row(r, 0.0) for r in rows), key=lambda p: p.ordinal)

    @staticmethod
    def _finish(answer: Answer, started: float, session: ChatSession | None, understood: str) -> Answer:
        evidence_first(answer)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        if session is not None:
            session.turns.append(answer)
            session.questions.append(understood)
        return answer
