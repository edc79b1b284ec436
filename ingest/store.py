"""The index: Chroma holds everything ingested (chunks, sentences, documents, resolutions,
glossary entries, file records), so pointing at a Chroma server moves all of it.

Three collections share a prefix: ``<prefix>_chunks`` and ``<prefix>_sentences`` hold the
embedded passages; ``<prefix>_records`` holds one entry per file, document, resolution
and glossary entry, told apart by ``record_type`` and embedded so they can be searched too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from ingest.settings import Settings

log = logging.getLogger(__name__)

COLLECTIONS = ("chunks", "sentences", "records")
WRITE_BATCH = 500
"""Rows per Chroma write; below Chroma's own batch limit."""
GET_BATCH = 2000
META_ID = "meta:generation"
"""Id of the record in ``records`` whose ``generation`` changes on every content write, so
derived indexes (the lexical one) can tell cheaply whether they are stale."""
META_TYPE = "meta"
META_SOURCE = "__meta__"
"""``source_file`` of the meta record: no real file has it, so per-file deletes never touch it."""


@dataclass
class Row:
    """One entry of a collection as written: id, text, metadata and vector."""

    id: str
    text: str
    metadata: dict[str, Any]
    vector: np.ndarray | None = None


def clean_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """Chroma takes str/int/float/bool only: drop None, encode lists and dicts as JSON."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if value is None:
            continue
        if isinstance(value, list | dict | tuple):
            out[key] = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, Path):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def make_client(settings: Settings) -> chromadb.api.ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"SCRUTINEER_CHROMA_URL={settings.chroma_url!r} is not an http(s)://host:port URL")
        return chromadb.HttpClient(
            host=url.hostname, port=url.port or 8000, ssl=url.scheme == "https", settings=chroma_settings
        )
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.index_dir / "chroma"), settings=chroma_settings)


class Index:
    """Reads and writes the Chroma collections. Vectors always come from our embedder."""

    def __init__(self, settings: Settings, client: chromadb.api.ClientAPI | None = None) -> None:
        self.settings = settings
        self.client = client or make_client(settings)
        self._collections = self._open()

    def _open(self) -> dict[str, Any]:
        return {
            name: self.client.get_or_create_collection(
                f"{self.settings.collection_prefix}_{name}",
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
            for name in COLLECTIONS
        }

    def clear(self) -> None:
        """Delete everything (``scrutineer ingest --rebuild``); call it under the writer lock."""
        for name in COLLECTIONS:
            self.client.delete_collection(f"{self.settings.collection_prefix}_{name}")
        self._collections = self._open()

    def collection(self, name: str) -> Any:
        return self._collections[name]

    # ---- reading -------------------------------------------------------------------------
    def count(self, name: str) -> int:
        """Rows in a collection; the meta record is bookkeeping, not content, so it is not counted."""
        n = self._collections[name].count()
        if name == "records" and n and self._collections[name].get(ids=[META_ID], include=[])["ids"]:
            n -= 1
        return n

    def generation(self) -> str | None:
        """Changes whenever content is written or removed; None for an index never written since
        generations were introduced."""
        got = self._collections["records"].get(ids=[META_ID], include=["metadatas"])
        if not got["ids"]:
            return None
        return str((got["metadatas"] or [{}])[0].get("generation") or "") or None

    def get(
        self,
        name: str,
        where: dict[str, Any] | None = None,
        ids: Sequence[str] | None = None,
        include_vectors: bool = False,
    ) -> list[Row]:
        """All rows matching ``where`` or ``ids``, in pages so large indexes do not blow memory."""
        include = ["documents", "metadatas"] + (["embeddings"] if include_vectors else [])
        col = self._collections[name]
        rows: list[Row] = []
        if ids is not None:
            for start in range(0, len(ids), GET_BATCH):
                got = col.get(ids=list(ids[start : start + GET_BATCH]), include=include)
                rows.extend(_rows(got, include_vectors))
            return rows
        offset = 0
        while True:
            got = col.get(where=where, include=include, limit=GET_BATCH, offset=offset)
            batch = _rows(got, include_vectors)
            rows.extend(batch)
            if len(batch) < GET_BATCH:
                return rows
            offset += GET_BATCH

    def query(
        self, name: str, vector: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[Row, float]]:
        """Nearest rows to ``vector`` with their cosine similarity."""
        col = self._collections[name]
        n = col.count()
        if n == 0:
            return []
        if name == "records":  # the meta record has a fixed vector and must never come back as a hit
            no_meta: dict[str, Any] = {"record_type": {"$ne": META_TYPE}}
            where = {"$and": [where, no_meta]} if where else no_meta
        got = col.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=min(k, n),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for i, id_ in enumerate(got["ids"][0]):
            row = Row(id_, got["documents"][0][i] or "", dict(got["metadatas"][0][i] or {}))
            out.append((row, 1.0 - float(got["distances"][0][i])))
        return out

    def vectors_for_hashes(self, name: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Stored vectors by content hash, so unchanged text is never embedded again."""
        wanted = sorted(set(hashes))
        found: dict[str, np.ndarray] = {}
        col = self._collections[name]
        for start in range(0, len(wanted), WRITE_BATCH):
            part = wanted[start : start + WRITE_BATCH]
            got = col.get(where={"content_hash": {"$in": part}}, include=["metadatas", "embeddings"])
            for meta, vec in zip(
                got["metadatas"] or [], got["embeddings"] if got["embeddings"] is not None else [], strict=False
            ):
                found[meta["content_hash"]] = np.asarray(vec, dtype=np.float32)
        return found

    def records(self, record_type: str, where: dict[str, Any] | None = None) -> list[Row]:
        clause: dict[str, Any] = {"record_type": record_type}
        if where:
            clause = {"$and": [clause, *({k: v} for k, v in where.items())]}
        return self.get("records", where=clause)

    def file_records(self) -> dict[str, dict[str, Any]]:
        return {row.metadata["source_file"]: row.metadata for row in self.records("file")}

    # ---- writing -------------------------------------------------------------------------
    def upsert(self, name: str, rows: Sequence[Row]) -> None:
        col = self._collections[name]
        for start in range(0, len(rows), WRITE_BATCH):
            part = rows[start : start + WRITE_BATCH]
            col.upsert(
                ids=[r.id for r in part],
                documents=[r.text for r in part],
                metadatas=[clean_metadata(r.metadata) for r in part],
                embeddings=np.stack([np.asarray(r.vector, dtype=np.float32) for r in part]),
            )

    def delete(self, name: str, ids: Sequence[str]) -> None:
        col = self._collections[name]
        for start in range(0, len(ids), WRITE_BATCH):
            col.delete(ids=list(ids[start : start + WRITE_BATCH]))

    def ids_of_file(self, name: str, source_file: str) -> list[str]:
        col = self._collections[name]
        ids: list[str] = []
        offset = 0
        while True:
            got = col.get(where={"source_file": source_file}, include=[], limit=GET_BATCH, offset=offset)
            ids.extend(got["ids"])
            if len(got["ids"]) < GET_BATCH:
                return ids
            offset += GET_BATCH

    def replace_file(self, source_file: str, rows: dict[str, list[Row]], file_row: Row) -> None:
        """Write a file's new rows, then delete its rows that are no longer produced, then
        write its file record last: a file record always describes complete content, and a
        crash before it leaves the file to be re-done on the next run."""
        for name in COLLECTIONS:
            new = rows.get(name, [])
            self.upsert(name, new)
            keep = {r.id for r in new} | ({file_row.id} if name == "records" else set())
            stale = [i for i in self.ids_of_file(name, source_file) if i not in keep]
            self.delete(name, stale)
        # The generation goes in the same write as the file record, so neither lands without the other.
        self.upsert("records", [file_row, self._meta_row(int(np.asarray(file_row.vector).size))])

    def remove_file(self, source_file: str) -> int:
        """Remove everything a file contributed; returns the number of rows removed."""
        found = {name: self.ids_of_file(name, source_file) for name in ("chunks", "sentences", "records")}
        dim = self._vector_dim()
        if dim is None or not any(found.values()):
            return 0  # nothing to remove, so the generation stays as it is
        # Bumped before as well as after: a crash mid-delete still leaves derived indexes marked stale.
        self.bump_generation(dim)
        file_id = f"file:{source_file}"
        for name, ids in found.items():
            ordered = [i for i in ids if i != file_id] + ([file_id] if file_id in ids else [])
            self.delete(name, ordered)  # the file record goes last
        self.bump_generation(dim)
        return sum(len(ids) for ids in found.values())

    def bump_generation(self, dim: int) -> str:
        """Write a new generation stamp (vectors of ``dim`` dimensions, as the collection holds)."""
        row = self._meta_row(dim)
        self.upsert("records", [row])
        return str(row.metadata["generation"])

    def _meta_row(self, dim: int) -> Row:
        # Looked up by id, never searched: any fixed unit vector will do.
        vector = np.full(dim, 1 / np.sqrt(dim), dtype=np.float32)
        meta = {"record_type": META_TYPE, "generation": uuid.uuid4().hex, "source_file": META_SOURCE}
        return Row(META_ID, "generation", meta, vector)

    def _vector_dim(self) -> int | None:
        """Dimension of the stored vectors (one embedder writes all collections), from any one
        row; None when every collection is empty."""
        for name in ("records", "chunks", "sentences"):
            embeddings = self._collections[name].get(limit=1, include=["embeddings"]).get("embeddings")
            if embeddings is not None and len(embeddings) > 0:
                return len(embeddings[0])
        return None

    def digest(self) -> str:
        """sha256 over every id, text and metadata in the index (not the generation stamp):
        equal digests, equal content."""
        h = hashlib.sha256()
        for name in COLLECTIONS:
            for row in sorted(self.get(name), key=lambda r: r.id):
                if row.id == META_ID:
                    continue  # the generation changes on every write, even one that leaves content as it was
                h.update(f"{name}\0{row.id}\0{row.text}\0{json.dumps(row.metadata, sort_keys=True)}\n".encode())
        return h.hexdigest()


def _rows(got: dict[str, Any], with_vectors: bool) -> list[Row]:
    rows = []
    embeddings = got.get("embeddings")
    for i, id_ in enumerate(got["ids"]):
        vec = np.asarray(embeddings[i], dtype=np.float32) if with_vectors and embeddings is not None else None
        rows.append(
            Row(
                id_,
                (got["documents"] or [""] * len(got["ids"]))[i] or "",
                dict((got["metadatas"] or [{}])[i] or {}),
                vec,
            )
        )
    return rows
