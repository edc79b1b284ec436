"""Vectors of texts already embedded, kept outside any index: by model and text, in one small SQLite
file, so a rebuilt index, a second index over the same papers (the evaluation's all-bodies index
beside the demo's) or a re-ingest after the index was lost embeds none of the texts it has seen.

The index's own content hashes already skip unchanged texts within one index; this cache carries
them across indexes. A vector read back is the float32 bytes the model gave, so answers do not
depend on whether a text was embedded now or before. Safe for several processes at once (SQLite
with a busy timeout: each write is one transaction); a damaged or unreadable cache is set aside
and the texts embedded again, never an ingest failure.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

CACHE_FILE = "vectors.sqlite3"
BUSY_TIMEOUT_S = 30.0
"""How long a process waits for another one's write to the cache before giving up on the cache."""
LOOKUP_BATCH = 500
"""Keys asked for in one query (SQLite's limit on bound parameters is 999 on older builds)."""


def text_key(model_id: str, text: str) -> bytes:
    """The cache key of one text's vector under one model."""
    return hashlib.sha256(f"{model_id}\0{text}".encode()).digest()


class VectorCache:
    """Embedded vectors by (model, text) in ``folder``/:data:`CACHE_FILE`."""

    def __init__(self, folder: Path, model_id: str, dimension: int) -> None:
        self.path = folder / CACHE_FILE
        self.model_id = model_id
        self.dimension = dimension
        self._usable = True

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        conn.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
        return conn

    def _failed(self, err: Exception) -> None:
        """The cache cannot be read or written: set it aside (a damaged file) and go on without it."""
        log.warning("%s: vector cache not usable (%s); texts are embedded again", self.path, err)
        self._usable = False
        if isinstance(err, sqlite3.DatabaseError) and not isinstance(err, sqlite3.OperationalError):
            with contextlib.suppress(OSError):
                self.path.replace(self.path.with_name(self.path.name + ".damaged"))

    def get(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The vectors the cache holds for any of ``texts``, by text."""
        wanted = {text_key(self.model_id, t): t for t in texts}
        if not wanted or not self._usable:
            return {}
        found: dict[str, np.ndarray] = {}
        keys = list(wanted)
        try:
            with contextlib.closing(self._connect()) as conn, conn:
                for start in range(0, len(keys), LOOKUP_BATCH):
                    part = keys[start : start + LOOKUP_BATCH]
                    marks = ",".join("?" * len(part))
                    for key, blob in conn.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part):
                        vec = np.frombuffer(blob, dtype=np.float32)
                        if vec.shape == (self.dimension,):
                            found[wanted[key]] = vec.copy()
        except sqlite3.Error as err:
            self._failed(err)
            return {}
        return found

    def put(self, vectors: dict[str, np.ndarray]) -> None:
        """Keep these vectors (by text) for the next index that embeds the same texts."""
        if not vectors or not self._usable:
            return
        rows = [
            (text_key(self.model_id, t), np.asarray(v, dtype=np.float32).tobytes())
            for t, v in vectors.items()
            if np.shape(v) == (self.dimension,)
        ]
        try:
            with contextlib.closing(self._connect()) as conn, conn:
                conn.executemany("INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)", rows)
        except sqlite3.Error as err:
            self._failed(err)
