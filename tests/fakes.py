"""Test doubles that stand in for slow or heavy collaborators.

:class:`HashEmbedder` replaces the sentence-transformers model in tests of ingestion,
the index and retrieval plumbing: it loads nothing, runs in microseconds, gives the
same vector for the same text in every process (no ``PYTHONHASHSEED`` dependence), and
counts what it is asked to embed, so tests can check that unchanged text is never
embedded twice. Texts that share words get similar vectors, which is enough for
retrieval tests that look for an obvious match, not for judging answer quality.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

_TOKEN = re.compile(r"[^\W_]+")


class HashEmbedder:
    """A deterministic fake :class:`~ingest.embeddings.Embedder`: the L2-normalised bag of
    lower-case word tokens, each hashed (crc32) into one of ``dimension`` buckets."""

    model_id = "fake-hash-64"

    def __init__(self, dimension: int = 64) -> None:
        self.dimension = dimension
        self.calls = 0
        """Number of non-empty ``embed`` calls."""
        self.texts_embedded = 0
        """Total number of texts passed to ``embed`` over all calls."""

    def vector(self, text: str) -> np.ndarray:
        """The unit vector of one text; a text without words gets a fixed vector (bucket 0)."""
        vec = np.zeros(self.dimension, dtype=np.float32)
        for token in _TOKEN.findall(text.lower()):
            vec[zlib.crc32(token.encode("utf-8")) % self.dimension] += 1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0] = 1.0
            return vec
        return vec / norm

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.calls += 1
        self.texts_embedded += len(texts)
        return np.stack([self.vector(t) for t in texts]).astype(np.float32)
