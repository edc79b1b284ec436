"""The index: Chroma holds everything ingested (chunks, sentences, documents, resolutions,
glossary entries, file records), so pointing at a Chroma server moves all of it.

Three collections share a prefix: ``<prefix>_chunks`` and ``<prefix>_sentences`` hold the
embedded passages; ``<prefix>_records`` holds one entry per file, document, resolution
and glossary entry, told apart by ``record_type`` and embedded so they can be searched too.

A passage that two documents print word for word (a report in an agenda pack and the same
report published on its own) is searched once: the copy in the file with the fewest documents
stays in ``chunks`` and names the others in its ``also_in``; the others wait, with their
sentences and vectors, in ``<prefix>_held``, which nothing searches, until that copy goes
(see :meth:`Index.settle_copies`).
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
COPIES_ID = "meta:copies"
"""Id of the marker written with a file's pending marker before a write or removal that may change
which copy of a passage is searched, and cleared once the copies are settled: left by a writer that
died, it makes recovery settle every copy again (:meth:`Index.settle_copies`)."""
HELD_COLLECTION = "held"
"""``<prefix>_held`` holds the copies of passages searched from another document (chunks and their
sentences, with their vectors), so they can come back when that document goes; nothing searches it."""
HELD_IN = "held_in"
"""Metadata key of a held row: the collection it comes from (its id is ``<collection>:<id>``)."""
TEXT_HASH = "text_hash"
"""Chunk metadata: hash of the passage's words, equal for the same passage in two documents whatever
their titles, ``""`` for a short one that is never a copy; see :func:`ingest.chunks.passage_hash`."""
ALSO_IN = "also_in"
"""Chunk metadata: JSON list of ``{"source_file", "doc_title", "page"}``, the other documents that
print this passage word for word, whose copies are held; ``""`` when there are none (never left out:
Chroma's upsert merges metadata, so a missing key would keep an old note)."""
NO_RECORD_DOCUMENTS = 10**6
"""Documents assumed for a copy whose file has no file record: it is never preferred."""

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
        self._held_col: Any = None

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
        existing = {c.name for c in self._client.list_collections()}
        for extra in (STAGING_COLLECTION, HELD_COLLECTION):
            if f"{self.settings.collection_prefix}_{extra}" in existing:
                self._client.delete_collection(f"{self.settings.collection_prefix}_{extra}")
        self._collections = self._open()
        self._staging_col = None
        self._held_col = None

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
        the commit leaves a committed marker over complete content, which recovery just clears.

        Last, which copy of each of the file's passages is searched is settled
        (:meth:`settle_copies`); the copies marker written with the pending marker makes recovery
        settle them if a crash comes first."""
        dim = int(np.asarray(file_row.vector).size)
        # Copies of these passages elsewhere may have to come back or be held once this file changes.
        hashes = self._text_hashes_of_file(source_file) | _text_hashes(rows.get("chunks", []))
        if not any(self.ids_of_file(name, source_file) for name in COLLECTIONS):
            marker = self._marker_row(source_file, WRITING, dim)
            self.upsert("records", [marker, self._copies_marker(dim), self._meta_row(dim)])
            faults.reached("after_pending_marker")
            self._apply(source_file, rows, file_row, dim)
            self._settle_and_clear(hashes, dim)
            return
        staging = self._staging()  # created before the marker that names it
        # Live rows unchanged: no generation.
        self.upsert("records", [self._marker_row(source_file, STAGING, dim), self._copies_marker(dim)])
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
        self._settle_and_clear(hashes, dim)

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
        # The file's held copies are of its previous version: its new rows are all live now, and
        # settling the copies holds again those that another document's copy stands for.
        self._clear_held(source_file)
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
        marker goes first, so a crash part-way leaves the removal for :meth:`recover_pending` to finish.
        Copies of its passages that other documents print, held while it was searched, come back first."""
        found = {name: self.ids_of_file(name, source_file) for name in COLLECTIONS}
        dim = self._vector_dim()
        if dim is None or not any(found.values()):
            return 0  # nothing to remove, so the generation stays as it is
        hashes = self._text_hashes_of_file(source_file)
        marker = self._marker_row(source_file, REMOVING, dim)
        self.upsert("records", [marker, self._copies_marker(dim), self._meta_row(dim)])
        # Copies held for the file's passages come back first, so none is ever missing from the search.
        self.settle_copies(hashes, leaving=source_file)
        self._delete_file_rows(source_file, found, fault_point="mid_remove")
        self.upsert("records", [self._meta_row(dim)])
        self.delete("records", [PENDING_PREFIX + source_file])
        self.delete("records", [COPIES_ID])
        return sum(len(ids) for ids in found.values())

    def _delete_file_rows(self, source_file: str, found: dict[str, list[str]], fault_point: str) -> None:
        """Delete the given rows of a file, its file record last (so a reader that sees the file
        record of a file being removed still finds its rows as long as it can)."""
        file_id = f"file:{source_file}"
        for name, ids in found.items():
            ordered = [i for i in ids if i != file_id] + ([file_id] if file_id in ids else [])
            self.delete(name, ordered)
            faults.reached(fault_point)
        self._clear_held(source_file)

    # ---- copies of one passage in several documents ------------------------------------------
    def _held(self) -> Any:
        """The held collection, created on first use by a writer (see :data:`HELD_COLLECTION`)."""
        if self._held_col is None:
            self._held_col = self._side_collection(HELD_COLLECTION)
        return self._held_col

    def _clear_held(self, source_file: str) -> None:
        _delete_where(self._held(), {"source_file": source_file})

    def held_count(self) -> int:
        """Passages held as copies of a passage searched from another document."""
        got = self._held().get(where={HELD_IN: "chunks"}, include=[])
        return len(got["ids"])

    def held_of_file(self, source_file: str) -> int:
        """How many of a file's passages are held as copies of a passage searched from another document."""
        return len(_paged(self._held(), {"$and": [{"source_file": source_file}, {HELD_IN: "chunks"}]}))

    def _text_hashes_of_file(self, source_file: str) -> set[str]:
        """The passage hashes of a file's chunks, live or held."""
        rows = self.get("chunks", where={"source_file": source_file})
        rows += _paged(self._held(), {"$and": [{"source_file": source_file}, {HELD_IN: "chunks"}]})
        return _text_hashes(rows)

    def _copies_marker(self, dim: int) -> Row:
        vector = np.full(dim, 1 / np.sqrt(dim), dtype=np.float32)
        meta = {"record_type": META_TYPE, "state": "settling", "source_file": META_SOURCE}
        return Row(COPIES_ID, "copies", meta, vector)

    def _settle_and_clear(self, hashes: set[str], dim: int) -> None:
        if self.settle_copies(hashes):
            self.bump_generation(dim)  # which copy is searched changed after the file's commit
        self.delete("records", [COPIES_ID])

    def _held_chunks(self, hashes: Collection[str] | None) -> list[Row]:
        if hashes is None:
            return _unheld(_paged(self._held(), {HELD_IN: "chunks"}))
        rows: list[Row] = []
        wanted = sorted(hashes)
        for start in range(0, len(wanted), WRITE_BATCH):
            clause = {"$and": [{HELD_IN: "chunks"}, {TEXT_HASH: {"$in": wanted[start : start + WRITE_BATCH]}}]}
            rows.extend(_paged(self._held(), clause))
        return _unheld(rows)

    def _live_chunks(self, hashes: Collection[str] | None) -> list[Row]:
        if hashes is None:
            return [r for r in self.get("chunks") if r.metadata.get(TEXT_HASH)]
        rows: list[Row] = []
        wanted = sorted(hashes)
        for start in range(0, len(wanted), WRITE_BATCH):
            rows.extend(self.get("chunks", where={TEXT_HASH: {"$in": wanted[start : start + WRITE_BATCH]}}))
        return rows

    def settle_copies(self, hashes: Collection[str] | None = None, leaving: str | None = None) -> int:
        """Make each passage with these hashes (all, with None) searched once: of the copies that
        different documents print, the one in the file with the fewest documents (a report published
        on its own, not the agenda pack that repeats it; then by file name and page) stays in
        ``chunks`` with the others named in its ``also_in``; the others and their sentences go to
        the held collection, vectors and all. A copy whose searched twin is gone comes back.

        Idempotent, and no row leaves one place before it is written in the other (a chunk may
        briefly be searched without its sentences, never a sentence without its chunk), so a crash
        part-way leaves every passage searchable and the next call finishes the job. ``leaving``
        names a file about to be removed: its rows are left where they are and out of the choice.
        Returns the number of chunks moved or whose ``also_in`` changed."""
        live = {r.id: r for r in self._live_chunks(hashes) if r.metadata.get("source_file") != leaving}
        held = {r.id: r for r in self._held_chunks(hashes) if r.metadata.get("source_file") != leaving}
        documents = {name: int(meta.get("documents") or 1) for name, meta in self.file_records().items()}
        groups: dict[str, dict[str, Row]] = {}
        for row in [*held.values(), *live.values()]:  # a row in both places: the live one is what readers see
            groups.setdefault(str(row.metadata[TEXT_HASH]), {})[row.id] = row

        def rank(row: Row) -> tuple[int, str, int, str]:
            m = row.metadata
            name = str(m.get("source_file", ""))
            return documents.get(name, NO_RECORD_DOCUMENTS), name, int(m.get("page_start", 0)), row.id

        searched: list[Row] = []  # rows to (re)write into chunks, with their metadata as it should be
        keep: list[str] = []  # chunks that stay or come back live, in groups with copies
        copies: list[str] = []  # chunks that are held
        for group in groups.values():
            if (
                len(group) == 1
                and not held.keys() & group.keys()
                and not next(iter(group.values())).metadata.get(ALSO_IN)
            ):
                continue  # a passage printed once, where it belongs: nothing to look at
            ordered = sorted(group.values(), key=rank)
            first = ordered[0]
            held_here = [r for r in ordered if r.metadata.get("doc_id") != first.metadata.get("doc_id")]
            also = [
                {"source_file": r.metadata.get("source_file"), "doc_title": r.metadata.get("doc_title"),
                 "page": int(r.metadata.get("page_start", 0))}
                for r in held_here
            ]  # fmt: skip
            also_json = json.dumps(also, ensure_ascii=False) if also else None
            held_ids = {r.id for r in held_here}
            copies += [r.id for r in ordered if r.id in held_ids]
            for row in ordered:
                if row.id in held_ids:
                    continue
                keep.append(row.id)
                meta = {**row.metadata, ALSO_IN: also_json if row is first and also_json else ""}
                if row.id not in live or (live[row.id].metadata.get(ALSO_IN) or "") != meta[ALSO_IN]:
                    searched.append(Row(row.id, row.text, meta))
        hold = [i for i in copies if i in live]
        stale_held = [f"chunks:{i}" for i in keep if i in held]
        moving_sentences = self._sentence_ids(copies)
        returning_sentences = self._held_sentence_ids(keep)
        if not (searched or hold or stale_held or moving_sentences or returning_sentences):
            return 0
        # Chunks coming back and renoted first, then their sentences; held chunks after their sentences.
        vectors = self._vectors("chunks", [r.id for r in searched if r.id in live])
        back = [f"chunks:{r.id}" for r in searched if r.id not in live]
        vectors.update({r.id: r.vector for r in _unheld(_rows(self._get_by_ids(self._held(), back), True))})
        for row in searched:
            row.vector = vectors[row.id]
        self.upsert("chunks", searched)
        self._unhold("sentences", returning_sentences)
        faults.reached("mid_settle")
        self._delete_held(stale_held)
        self._hold("sentences", moving_sentences)
        self._hold("chunks", hold)
        log.info("copies settled: %d passages held, %d searched again or renoted", len(hold), len(searched))
        return len(hold) + len(searched)

    def _get_by_ids(self, col: Any, ids: Sequence[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"ids": [], "documents": [], "metadatas": [], "embeddings": []}
        for start in range(0, len(ids), GET_BATCH):
            got = col.get(ids=list(ids[start : start + GET_BATCH]), include=["documents", "metadatas", "embeddings"])
            out["ids"] += got["ids"]
            out["documents"] += got["documents"] or []
            out["metadatas"] += got["metadatas"] or []
            out["embeddings"] += list(got["embeddings"]) if got["embeddings"] is not None else []
        return out

    def _vectors(self, name: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {r.id: r.vector for r in self.get(name, ids=ids, include_vectors=True) if r.vector is not None}

    def _sentence_ids(self, chunk_ids: Sequence[str]) -> list[str]:
        ids: list[str] = []
        for start in range(0, len(chunk_ids), WRITE_BATCH):
            where = {"chunk_id": {"$in": list(chunk_ids[start : start + WRITE_BATCH])}}
            ids += self._collections["sentences"].get(where=where, include=[])["ids"]
        return ids

    def _held_sentence_ids(self, chunk_ids: Sequence[str]) -> list[str]:
        ids: list[str] = []
        for start in range(0, len(chunk_ids), WRITE_BATCH):
            part = list(chunk_ids[start : start + WRITE_BATCH])
            where = {"$and": [{HELD_IN: "sentences"}, {"chunk_id": {"$in": part}}]}
            ids += [i[len("sentences:") :] for i in self._held().get(where=where, include=[])["ids"]]
        return ids

    def _hold(self, name: str, ids: Sequence[str]) -> None:
        """Move live rows of ``name`` into the held collection (written there before deleted here)."""
        if not ids:
            return
        rows = self.get(name, ids=ids, include_vectors=True)
        held = [
            Row(f"{name}:{r.id}", r.text, {**r.metadata, HELD_IN: name, **({ALSO_IN: ""} if name == "chunks" else {})},
                r.vector)
            for r in rows
        ]  # fmt: skip
        self._upsert_into(self._held(), held)
        self.delete(name, ids)

    def _unhold(self, name: str, ids: Sequence[str]) -> None:
        """Move held rows back into ``name`` (written there before deleted from the held collection)."""
        if not ids:
            return
        held_ids = [f"{name}:{i}" for i in ids]
        rows = _unheld(_rows(self._get_by_ids(self._held(), held_ids), True))
        self.upsert(name, rows)
        self._delete_held(held_ids)

    def _delete_held(self, held_ids: Sequence[str]) -> None:
        for start in range(0, len(held_ids), WRITE_BATCH):
            self._held().delete(ids=list(held_ids[start : start + WRITE_BATCH]))

    # ---- staging -------------------------------------------------------------------------
    def _staging(self) -> Any:
        """The staging collection, created on first use: only writers touch it, so opening an
        index to read never writes a collection."""
        if self._staging_col is None:
            self._staging_col = self._side_collection(STAGING_COLLECTION)
        return self._staging_col

    def _side_collection(self, suffix: str) -> Any:
        """A collection only writers use (staging, held), created on first use."""
        return self._client.get_or_create_collection(
            f"{self.settings.collection_prefix}_{suffix}",
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
        )

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
        _delete_where(self._staging(), {"source_file": source_file})

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
        the marker is cleared. Then, if a writer died before settling which copy of a passage is
        searched, every copy is settled (:meth:`settle_copies`). Call it under the writer lock,
        before reading file records."""
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
        if recoveries or self._collections["records"].get(ids=[COPIES_ID], include=[])["ids"]:
            changed = self.settle_copies()
            if changed:
                log.warning("settled %d copies of passages an interrupted ingest left unsettled", changed)
            self.delete("records", [COPIES_ID])
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
        """sha256 over every id, text and metadata in the index, held copies included (not the
        generation stamp; pending markers count): equal digests, equal content. ``ignore`` names
        metadata keys to leave out, e.g. ``ingested_at`` to compare two ingests of the same files
        made at different times."""
        h = hashlib.sha256()
        for name in COLLECTIONS:
            for row in sorted(self.get(name), key=lambda r: r.id):
                if row.id == META_ID:
                    continue  # the generation changes on every write, even one that leaves content as it was
                meta = {k: v for k, v in row.metadata.items() if k not in ignore}
                h.update(f"{name}\0{row.id}\0{row.text}\0{json.dumps(meta, sort_keys=True)}\n".encode())
        held = f"{self.settings.collection_prefix}_{HELD_COLLECTION}"
        if held in {c.name for c in self._client.list_collections()}:
            for row in sorted(_paged(self._held(), {HELD_IN: {"$ne": ""}}), key=lambda r: r.id):
                meta = {k: v for k, v in row.metadata.items() if k not in ignore}
                h.update(f"held\0{row.id}\0{row.text}\0{json.dumps(meta, sort_keys=True)}\n".encode())
        return h.hexdigest()


def _text_hashes(rows: Iterable[Row]) -> set[str]:
    return {str(r.metadata[TEXT_HASH]) for r in rows if r.metadata.get(TEXT_HASH)}


def _delete_where(col: Any, where: dict[str, Any]) -> None:
    while ids := col.get(where=where, include=[], limit=GET_BATCH)["ids"]:
        col.delete(ids=ids)


def _paged(col: Any, where: dict[str, Any]) -> list[Row]:
    """Every row of ``col`` matching ``where`` (text and metadata), read in pages."""
    rows: list[Row] = []
    offset = 0
    while True:
        batch = _rows(col.get(where=where, include=["documents", "metadatas"], limit=GET_BATCH, offset=offset), False)
        rows.extend(batch)
        if len(batch) < GET_BATCH:
            return rows
        offset += GET_BATCH


def _unheld(rows: Iterable[Row]) -> list[Row]:
    """Held rows as they are in their own collection: id without its prefix, no ``held_in``."""
    out = []
    for row in rows:
        name = str(row.metadata.get(HELD_IN, ""))
        meta = {k: v for k, v in row.metadata.items() if k != HELD_IN}
        out.append(Row(row.id[len(name) + 1 :], row.text, meta, row.vector))
    return out


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
