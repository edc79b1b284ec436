"""The assistant as one object: settings, index and model loaded once, ``ask`` per question."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from assistant.answer import Answer, compose_answer
from assistant.decisions import answer_decision, is_decision_question
from assistant.references import add_referenced
from assistant.retrieval import Passage, retrieve
from ingest.embeddings import Embedder, MiniLMEmbedder
from ingest.pipeline import Ingestor, IngestReport
from ingest.settings import Settings
from ingest.store import Index

log = logging.getLogger(__name__)


@dataclass
class ChatSession:
    """One conversation: its turns, so follow-ups can refer back."""

    turns: list[Answer] = field(default_factory=list)


class Assistant:
    """Answers questions from the index. Thread-safe for concurrent ``ask`` calls."""

    def __init__(self, settings: Settings, index: Index | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.index = index or Index(settings)
        self.embedder = embedder or MiniLMEmbedder(
            settings.embedding_model_path, settings.embedding_model_id, settings.embed_batch_size
        )
        self._lock = threading.Lock()

    def ensure_index(self) -> IngestReport | None:
        """Build the index from the corpus folder when it is empty (first start)."""
        if self.index.count("chunks") > 0:
            return None
        log.info("index is empty: ingesting %s", self.settings.corpus_dir)
        return Ingestor(self.settings, self.index, self.embedder).sync_folder(self.settings.corpus_dir)

    def warm_up(self) -> None:
        """Load the model before the first question, so latency excludes it."""
        self.embedder.embed(["warm up"])

    def ask(self, question: str, session: ChatSession | None = None, filters: dict[str, Any] | None = None) -> Answer:
        started = time.perf_counter()
        question = " ".join(question.split())
        if not question:
            raise ValueError("the question is empty")
        vector = self.embedder.embed([question])[0]
        retrieval = retrieve(self.index, vector, self.settings.retrieve_k, filters)
        retrieval = add_referenced(self.index, question, vector, retrieval)
        if is_decision_question(question):
            decided = answer_decision(self.index, question, vector, retrieval, filters)
            if decided is not None:
                return self._finish(decided, started, session)
        known = {p.chunk_id for p in retrieval.passages}
        missing = list(dict.fromkeys(s.chunk_id for s in retrieval.sentences if s.chunk_id not in known))
        best = {s.chunk_id: s.score for s in reversed(retrieval.sentences)}
        extra = {row.id: Passage.from_row(row, best.get(row.id, 0.0)) for row in self.index.get("chunks", ids=missing)}
        return self._finish(compose_answer(question, retrieval, extra, self.settings), started, session)

    def index_passages(self, doc_id: str) -> list[Passage]:
        """Every stored passage of a document, in reading order (for checks and the app)."""
        rows = self.index.get("chunks", where={"doc_id": doc_id})
        return sorted((Passage.from_row(r, 0.0) for r in rows), key=lambda p: p.ordinal)

    @staticmethod
    def _finish(answer: Answer, started: float, session: ChatSession | None) -> Answer:
        answer.latency_ms = (time.perf_counter() - started) * 1000
        if session is not None:
            session.turns.append(answer)
        return answer
