"""The index: Chroma holds everything ingested (chunks, sentences, documents, resolutions,
glossary entries, file records), so pointing at a Chroma server moves all of it.

Three collections share a prefix: ``<prefix>_chunks`` and ``<prefix>_sentences`` hold the
embedded passages; ``<prefix>_records`` holds one entry per file, document, resolution
and glossary entry, told apart by ``record_type`` and embedded so they can be searched too.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError

from ingest import faults
from ingest.errors import IndexUnavailable
from ingest.settings import Settings

log = logging.getLogger(__name__)

COLLECTIONS = ("chunks", "sentences", "records")
WRITE_BATCH = 500
"""Rows per Chroma write; below Chroma's own batch limit."""
GET_BATCH = 2000
TIE_MARGIN = 8
"""Extra nearest rows fetched per query so that rows tied at the k-th distance are cut by id."""
META_ID = "meta:generation"
"""Id of the record in ``records`` whose ``generation`` changes on every content write, so
derived indexes (the lexical one) can tell cheaply whether they are stale."""
META_TYPE = "meta"
META_SOURCE = "__meta__"
"""``source_file`` of the meta records: no real file has it, so per-file deletes never touch them."""
PENDING_PREFIX = "meta:pending:"
"""Ids of pending markers: ``meta:pending:<source file>``, written before a file's rows change and
cleared after (see :meth:`Index.replace_file`)."""
WRITING = "writing"
STAGING = "staging"
SWITCHING = "switching"
REMOVING = "removing"
COMMITTED = "committed"
UNSETTLED = (WRITING, SWITCHING, REMOVING)
"""Marker states under which a file's live rows may be a mix of versions."""
STAGING_COLLECTION = "staging"
"""``<prefix>_staging`` holds a replacement's new rows until they are complete; nothing searches it."""
STAGED_IN = "staged_in"
"""Metadata key of a staged row: the collection it is for (its id is ``<collection>:<id>``)."""

KEPT_PREVIOUS = "kept_previous"
FINISHED_NEW = "finished_new"
REMOVED_PARTIAL = "removed_partial"
FINISHED_REMOVAL = "finished_removal"
_RECOVERY_MESSAGES = {
    KEPT_PREVIOUS: "an ingest of its new version was interrupted before the new version was complete;"
    " the previous version is still in the index",
    FINISHED_NEW: "an ingest of its new version was interrupted while switching to it; the switch was finished,"
    " so the new version is in the index",
    REMOVED_PARTIAL: "an ingest was interrupted while writing it; removed its {rows} partial rows,"
    " so it is not in the index",
    FINISHED_REMOVAL: "its removal from the index was interrupted; the removal was finished",
}
FULL_DISK_FREE_BYTES = 16 * 2**20
"""Free space under which a Chroma error is put down to a full disk: embedded Chroma reports one as
"Error in compaction: Failed to apply logs to the metadata segment", naming neither the disk nor the folder."""
_READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)


@dataclass
class Row:
    """One entry of a collection as written: id, text, metadata and vector."""

    id: str
    text: str
    metadata: dict[str, Any]
    vector: np.ndarray | None = None


@dataclass
class Recovery:
    """What recovery did to one file a writer left unsettled, and so which version is in the index."""

    source_file: str
    outcome: str
    """One of ``kept_previous``, ``finished_new``, ``removed_partial``, ``finished_removal``."""
    rows: int = 0
    """Rows removed (``removed_partial``)."""

    @property
    def message(self) -> str:
        return f"{self.source_file}: " + _RECOVERY_MESSAGES[self.outcome].format(rows=self.rows)


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


def describe_fault(exc: BaseException, settings: Settings) -> str | None:
    """One line for a person when ``exc`` means the index cannot be used (server gone, folder
    read-only, disk full): which URL or folder, and what to do. None for any other error."""
    folder = settings.index_dir
    if isinstance(exc, httpx.TransportError | ConnectionError) and settings.chroma_url:
        return (
            f"The Chroma server at SCRUTINEER_CHROMA_URL={settings.chroma_url!r} does not answer ({exc}):"
            " start it again or correct the URL, then try again."
        )
    text = str(exc)
    full = f"The disk holding the index folder {folder} is full: free some space there, then try again."
    read_only = (
        f"The index folder {folder} is read-only: make it writable for this user, or set SCRUTINEER_INDEX_DIR"
        " to a writable folder, then try again."
    )
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "disk is full" in text or "No space left" in text:
        return full
    if (isinstance(exc, OSError) and exc.errno in _READ_ONLY_ERRNOS) or "readonly database" in text:
        return read_only
    if isinstance(exc, ChromaError) and not settings.chroma_url:
        # Embedded Chroma names neither cause ("Error in compaction", "unable to open database file"): look.
        if _free_bytes(folder) < FULL_DISK_FREE_BYTES:
            return full
        if not all(os.access(f, os.W_OK) for f in (folder, folder / "chroma") if f.exists()):
            return read_only
    return None


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return FULL_DISK_FREE_BYTES  # cannot tell: not put down to a full disk


def _translated(call: Any, settings: Settings) -> Any:
    """``call`` with the faults :func:`describe_fault` knows raised as IndexUnavailable."""

    @functools.wraps(call)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except IndexUnavailable:
            raise
        except Exception as exc:
            message = describe_fault(exc, settings)
            if message is None:
                raise
            log.info("%s (%s: %s)", message, type(exc).__name__, exc)  # the cause, for the server log
            raise IndexUnavailable(message) from exc

    return guarded


class _Guarded:
    """A Chroma collection or client whose every call reports a gone server, a read-only folder or a
    full disk as IndexUnavailable: one place, so every read and write of the index says so alike."""

    def __init__(self, target: Any, settings: Settings) -> None:
        self._target = target
        self._settings = settings

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        return _translated(value, self._settings) if callable(value) else value


def make_client(settings: Settings) -> chromadb.api.ClientAPI:
    """:func:`_make_client`, with a read-only or full index folder reported as IndexUnavailable."""
    return _translated(_make_client, settings)(settings)


def _make_client(settings: Settings) -> chromadb.api.ClientAPI:
    """Embedded Chroma in ``index_dir``, or the Chroma server at ``chroma_url`` (raises ValueError,
    naming the URL, when it is malformed or nothing answers there)."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        bad = f"SCRUTINEER_CHROMA_URL={settings.chroma_url!r} is not an http(s)://host:port URL"
        url = urlparse(settings.chroma_url)
        try:
            port = url.port
        except ValueError:
            raise ValueError(f"{bad}: the port is not a number from 0 to 65535") from None
        # A path, query or login would be silently dropped by the client: refuse rather than connect elsewhere.
        if url.scheme not in ("http", "https") or not url.hostname or url.path not in ("", "/"):
            raise ValueError(bad)
        if url.query or url.fragment or url.username or url.password:
            raise ValueError(bad)
        try:
            return chromadb.HttpClient(
                host=url.hostname, port=port or 8000, ssl=url.scheme == "https", settings=chroma_settings
            )
        except Exception as exc:  # the client says only "Could not connect"; name the URL it tried
            where = f"SCRUTINEER_CHROMA_URL={settings.chroma_url!r}"
            raise ValueError(f"no Chroma server answers at {where} ({exc})") from exc
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.index_dir / "chroma"), settings=chroma_settings)


class Index:
    """Reads and writes the Chroma collections. Vectors always come from our embedder."""

    def __init__(self, settings: Settings, client: chromadb.api.ClientAPI | None = None) -> None:
        self.settings = settings
        self.client = client or make_client(settings)
        self._client = _Guarded(self.client, settings)  # what the index itself calls: faults as IndexUnavailable
        self._collections = self._open()
        self._staging_col: Any = None

    def _open(self) -> dict[str, Any]:
        ef_search = self.settings.hnsw_ef_search
        collections = {}
        for name in COLLECTIONS:
            col = self._client.get_or_create_collection(
                f"{self.settings.collection_prefix}_{name}",
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine", "ef_search": ef_search}},
            )
            # An index made before this setting (or with another value) is brought to it: search-time only.
            if (col.configuration_json.get("hnsw") or {}).get("ef_search") != ef_search:
                col.modify(configuration={"hnsw": {"ef_search": ef_search}})
            collections[name] = _Guarded(col, self.settings)
        return collections

    def clear(self) -> None:
        """Delete everything (``scrutineer ingest --rebuild``); call it under the writer lock."""
        for name in COLLECTIONS:
            self._client.delete_collection(f"{self.settings.collection_prefix}_{name}")
        staging = f"{self.settings.collection_prefix}_{STAGING_COLLECTION}"
        if staging in {c.name for c in self._client.list_collections()}:
            self._client.delete_collection(staging)
        self._collections = self._open()
        self._staging_col = None

    def collection(self, name: str) -> Any:
        return self._collections[name]

    # ---- reading -------------------------------------------------------------------------
    def count(self, name: str) -> int:
        """Rows in a collection; meta records (generation, pending markers) are bookkeeping, not
        content, so they are not counted."""
        n = self._collections[name].count()
        if name == "records" and n:
            n -= len(self._collections[name].get(where={"record_type": META_TYPE}, include=[])["ids"])
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
        # Equal distances (a sentence repeated by overlapping chunks) come back in an order that depends on
        # how the HNSW graph was built: fetch a few more and break ties by id, so the same content gives the
        # same hits however it was written (embedded or server, built once or re-ingested).
        got = col.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=min(k + TIE_MARGIN, n),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for i, id_ in enumerate(got["ids"][0]):
            row = Row(id_, got["documents"][0][i] or "", dict(got["metadatas"][0][i] or {}))
            # Distances are float32: a Chroma server sends their shortest decimal form, embedded Chroma the
            # exact value; rounding both to float32 gives the same similarity in both modes.
            out.append((row, 1.0 - float(np.float32(got["distances"][0][i]))))
        out.sort(key=lambda hit: (-hit[1], hit[0].id))
        return out[:k]

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
        self._upsert_into(self._collections[name], rows)

    @staticmethod
    def _upsert_into(col: Any, rows: Sequence[Row]) -> None:
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
        """Replace a file's rows as a whole, crash-safely, keeping its previous version searchable
        until the new one is complete.

        A file already in the index (a replacement):

        1. A ``staging`` marker. The new rows go into the staging collection, which no reader
           searches; the live rows stay the previous version. A crash here: recovery drops the
           staged rows and the previous version stays, whole.
        2. A ``switching`` marker and a new generation, in one write: the new version is
           complete in staging, so from here recovery finishes the switch from it.
        3. The switch (:meth:`_apply`), as a new file is written.

        A new file (nothing to keep) is written straight in: a ``writing`` marker and a new
        generation, then :meth:`_apply`; a crash before its commit leaves the marker, and
        recovery removes the partial rows, so the file is absent and the next ingest writes it.

        :meth:`_apply` writes the new rows collection by collection, each followed by deleting the
        file's rows no longer produced; then the file record, the marker marked committed and a
        new generation in one write; then clears the staged rows and the marker. A crash after
        the commit leaves a committed marker over complete content, which recovery just clears."""
        dim = int(np.asarray(file_row.vector).size)
        if not any(self.ids_of_file(name, source_file) for name in COLLECTIONS):
            self.upsert("records", [self._marker_row(source_file, WRITING, dim), self._meta_row(dim)])
            faults.reached("after_pending_marker")
            self._apply(source_file, rows, file_row, dim)
            return
        staging = self._staging()  # created before the marker that names it
        self.upsert("records", [self._marker_row(source_file, STAGING, dim)])  # live rows unchanged: no generation
        faults.reached("after_pending_marker")
        self._clear_staged(source_file)  # an earlier attempt's, should recovery have been skipped
        for name in COLLECTIONS:
            staged = [
                Row(f"{name}:{r.id}", r.text, {**r.metadata, STAGED_IN: name}, r.vector)
                for r in rows.get(name, []) + ([file_row] if name == "records" else [])
            ]
            self._upsert_into(staging, staged)
            if name == "chunks":
                faults.reached("mid_staging")
        # One write: the switch begins and derived indexes are stale before the first live row changes.
        self.upsert("records", [self._marker_row(source_file, SWITCHING, dim), self._meta_row(dim)])
        faults.reached("before_switch")
        self._apply(source_file, rows, file_row, dim)

    def _apply(
        self, source_file: str, rows: dict[str, list[Row]], file_row: Row, dim: int, recovering: bool = False
    ) -> None:
        """Write a file's complete new rows over its live ones, then commit (see :meth:`replace_file`)."""
        for name in COLLECTIONS:
            new = rows.get(name, [])
            self.upsert(name, new)
            keep = {r.id for r in new} | ({file_row.id} if name == "records" else set())
            stale = [i for i in self.ids_of_file(name, source_file) if i not in keep]
            self.delete(name, stale)
            if name == "chunks":
                faults.reached("mid_recovery" if recovering else "mid_chroma_write")
        if not recovering:
            faults.reached("before_file_record")
        # One write, so the file record, the commit and the generation land together or not at all.
        self.upsert("records", [file_row, self._marker_row(source_file, COMMITTED, dim), self._meta_row(dim)])
        if not recovering:
            faults.reached("before_marker_clear")
        self._clear_staged(source_file)
        self.delete("records", [PENDING_PREFIX + source_file])

    def remove_file(self, source_file: str) -> int:
        """Remove everything a file contributed; returns the number of rows removed. A pending
        marker goes first, so a crash part-way leaves the removal for :meth:`recover_pending` to finish."""
        found = {name: self.ids_of_file(name, source_file) for name in COLLECTIONS}
        dim = self._vector_dim()
        if dim is None or not any(found.values()):
            return 0  # nothing to remove, so the generation stays as it is
        self.upsert("records", [self._marker_row(source_file, REMOVING, dim), self._meta_row(dim)])
        self._delete_file_rows(source_file, found, fault_point="mid_remove")
        self.upsert("records", [self._meta_row(dim)])
        self.delete("records", [PENDING_PREFIX + source_file])
        return sum(len(ids) for ids in found.values())

    def _delete_file_rows(self, source_file: str, found: dict[str, list[str]], fault_point: str) -> None:
        """Delete the given rows of a file, its file record last (so a reader that sees the file
        record of a file being removed still finds its rows as long as it can)."""
        file_id = f"file:{source_file}"
        for name, ids in found.items():
            ordered = [i for i in ids if i != file_id] + ([file_id] if file_id in ids else [])
            self.delete(name, ordered)
            faults.reached(fault_point)

    # ---- staging -------------------------------------------------------------------------
    def _staging(self) -> Any:
        """The staging collection, created on first use: only writers touch it, so opening an
        index to read never writes a collection."""
        if self._staging_col is None:
            self._staging_col = self._client.get_or_create_collection(
                f"{self.settings.collection_prefix}_{STAGING_COLLECTION}",
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
        return self._staging_col

    def _staged_rows(self, source_file: str) -> dict[str, list[Row]]:
        """A file's staged rows by the collection they are for, as they were given to :meth:`replace_file`."""
        col = self._staging()
        out: dict[str, list[Row]] = {name: [] for name in COLLECTIONS}
        offset = 0
        while True:
            got = col.get(
                where={"source_file": source_file},
                include=["documents", "metadatas", "embeddings"],
                limit=GET_BATCH,
                offset=offset,
            )
            batch = _rows(got, with_vectors=True)
            for row in batch:
                name = str(row.metadata.pop(STAGED_IN))
                out[name].append(Row(row.id[len(name) + 1 :], row.text, row.metadata, row.vector))
            if len(batch) < GET_BATCH:
                return out
            offset += GET_BATCH

    def _clear_staged(self, source_file: str) -> None:
        col = self._staging()
        while ids := col.get(where={"source_file": source_file}, include=[], limit=GET_BATCH)["ids"]:
            col.delete(ids=ids)

    # ---- crash recovery ------------------------------------------------------------------
    def pending(self) -> dict[str, str]:
        """Files with a pending marker, by name, with its state: ``writing`` (a new file being
        written, or half-written by a writer that died), ``staging`` (its new version being
        staged: the live rows are still the previous version, whole), ``switching`` (live rows
        between versions), ``removing`` or ``committed`` (complete, marker not yet cleared).
        Readers that must never see a half-written file can leave out the files in :data:`UNSETTLED`."""
        got = self._collections["records"].get(where={"record_type": META_TYPE}, include=["metadatas"])
        out: dict[str, str] = {}
        for id_, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
            if id_.startswith(PENDING_PREFIX):
                out[id_[len(PENDING_PREFIX) :]] = str((meta or {}).get("state") or WRITING)
        return out

    def recover_pending(self) -> list[Recovery]:
        """Settle what a writer that died part-way left, so every file is whole, and say which
        version of it is now in the index. By marker state: ``staging`` — the staged rows are
        dropped, the previous version stays; ``switching`` — the switch is finished from the
        staged rows, the new version is in; ``writing`` — the new file's partial rows are removed
        (file record last), it is absent; ``removing`` — the removal is finished; ``committed`` —
        the marker is cleared. Call it under the writer lock, before reading file records."""
        recoveries = []
        for source_file, state in sorted(self.pending().items()):
            if state == COMMITTED:
                self._clear_staged(source_file)
                self.delete("records", [PENDING_PREFIX + source_file])
                continue
            if state == STAGING:
                self._clear_staged(source_file)
                recovery = Recovery(source_file, KEPT_PREVIOUS)
            elif state == SWITCHING and (staged := self._staged_rows(source_file))["records"]:
                file_id = f"file:{source_file}"
                file_row = next(r for r in staged["records"] if r.id == file_id)
                staged["records"] = [r for r in staged["records"] if r.id != file_id]
                dim = int(np.asarray(file_row.vector).size)
                self.bump_generation(dim)  # derived indexes stale before the first row changes
                self._apply(source_file, staged, file_row, dim, recovering=True)
                recovery = Recovery(source_file, FINISHED_NEW)
            else:  # writing or removing (or a switch whose staged rows are gone): the file goes, file record last
                found = {name: self.ids_of_file(name, source_file) for name in COLLECTIONS}
                dim = self._vector_dim()
                if dim is not None and any(found.values()):
                    self.bump_generation(dim)  # derived indexes stale before the first delete
                    self._delete_file_rows(source_file, found, fault_point="mid_recovery")
                    self.bump_generation(dim)
                rows = sum(len(ids) for ids in found.values())
                recovery = Recovery(source_file, FINISHED_REMOVAL if state == REMOVING else REMOVED_PARTIAL, rows)
            log.warning("%s", recovery.message)
            recoveries.append(recovery)
            self.delete("records", [PENDING_PREFIX + source_file])
        return recoveries

    def bump_generation(self, dim: int) -> str:
        """Write a new generation stamp (vectors of ``dim`` dimensions, as the collection holds)."""
        row = self._meta_row(dim)
        self.upsert("records", [row])
        return str(row.metadata["generation"])

    def _marker_row(self, source_file: str, state: str, dim: int) -> Row:
        # Typed as meta, so searches and counts leave it out like the generation record.
        vector = np.full(dim, 1 / np.sqrt(dim), dtype=np.float32)
        meta = {"record_type": META_TYPE, "pending_file": source_file, "state": state, "source_file": META_SOURCE}
        return Row(PENDING_PREFIX + source_file, "pending", meta, vector)

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

    def digest(self, ignore: Collection[str] = ()) -> str:
        """sha256 over every id, text and metadata in the index (not the generation stamp; pending
        markers count): equal digests, equal content. ``ignore`` names metadata keys to leave out,
        e.g. ``ingested_at`` to compare two ingests of the same files made at different times."""
        h = hashlib.sha256()
        for name in COLLECTIONS:
            for row in sorted(self.get(name), key=lambda r: r.id):
                if row.id == META_ID:
                    continue  # the generation changes on every write, even one that leaves content as it was
                meta = {k: v for k, v in row.metadata.items() if k not in ignore}
                h.update(f"{name}\0{row.id}\0{row.text}\0{json.dumps(meta, sort_keys=True)}\n".encode())
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
