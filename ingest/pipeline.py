"""The ingest pipeline: PDF → pages → documents → sections → chunks → index.

``parse_pdf`` is pure (a file in, records out); ``ingest_paths`` and ``sync_folder``
write to the index under a single-writer lock, re-embedding only text whose content
hash is new, and replacing a changed file's rows as a whole. Every write first repairs
what a writer that died part-way left behind (:meth:`ingest.store.Index.recover_pending`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ingest import faults
from ingest.chunks import SentenceUnit, chunk_document, content_hash, passage_hash
from ingest.documents import file_slug, segment_pack
from ingest.embeddings import Embedder
from ingest.errors import IngestBusyError, IngestError
from ingest.glossary import inline_definitions, parse_glossary
from ingest.lexical import LexicalIndex
from ingest.models import Chunk, Document, GlossaryEntry, Page, Resolution, Section
from ingest.pages import extract_pages, file_sha256, read_file
from ingest.progress import FileProgress
from ingest.resolutions import extract_resolutions
from ingest.sections import segment_sections
from ingest.settings import Settings
from ingest.store import COLLECTIONS, Index, Recovery, Row
from ingest.vector_cache import VectorCache

log = logging.getLogger(__name__)

PARSER_VERSION = "7"
"""Bump when parsing or segmentation changes: files are re-parsed (text that comes out the
same keeps its vectors, since vectors are keyed by content hash, not by parser version)."""
LOCK_POLL_S = 0.2
EMBEDDED_AS = {"chunks": "passages", "sentences": "sentences", "records": "records"}
"""How progress names the texts of each collection being embedded."""
READ_ATTEMPTS = 3
"""Reads of a file that keeps changing while it is read before it is refused."""
REREAD_PAUSE_S = 0.5
"""Pause before reading a changed file again, so a copy in progress can finish."""
OCR_CACHE_FOLDER = "ocr-cache"
VECTOR_CACHE_FOLDER = "vector-cache"
"""Where an index keeps its :class:`ingest.vector_cache.VectorCache` unless the settings name another folder."""
"""Folder in the index folder where ingest keeps what OCR read (unless SCRUTINEER_OCR_CACHE_DIR says elsewhere)."""
MSG_CHANGING = (
    "changed while it was being read ({attempts} attempts); it is probably still being copied or saved —"
    " try again when it has finished"
)


@dataclass
class ParsedFile:
    """Everything ingestion derives from one PDF, before it touches the index."""

    source_file: str
    folder: str
    sha256: str
    model_id: str
    page_count: int
    documents: list[Document]
    sections: list[Section]
    chunks: list[Chunk]
    sentences: list[SentenceUnit]
    resolutions: list[Resolution]
    glossary: list[GlossaryEntry]
    ocr_pages: dict[int, float] = field(default_factory=dict)
    """Pages whose text was read by OCR (they had no text layer): page number → mean word confidence (0-100)."""


@dataclass
class IngestReport:
    """What an ingest run did, for the CLI summary, the app and benchmarks."""

    ingested: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    """(file, the already ingested file with the same bytes): skipped, not an error."""
    recovered: list[Recovery] = field(default_factory=list)
    """Files an earlier, interrupted ingest left unsettled, and which version of each is in the index now."""
    documents: int = 0
    sections: int = 0
    chunks: int = 0
    resolutions: int = 0
    glossary: int = 0
    embedded: int = 0
    """Texts sent to the model (new content hashes)."""
    reused: int = 0
    """Texts whose vectors were found in the index by content hash."""
    held_copies: int = 0
    """Passages in the index, after this run, that another document prints word for word and that are
    searched and cited from that document (its citation says "also in" this one)."""
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [
            f"{len(self.ingested)} file(s) ingested, {len(self.unchanged)} unchanged, {len(self.removed)} removed,"
            f" {len(self.failed)} failed",
            f"{self.documents} documents, {self.sections} sections, {self.chunks} chunks,"
            f" {self.resolutions} resolutions, {self.glossary} glossary entries",
            f"{self.embedded} texts embedded, {self.reused} reused, {self.seconds:.1f} s",
        ]
        if self.held_copies:
            parts.append(f"{self.held_copies} passages also printed in another document, searched from that one")
        parts += [f"{name}: already ingested as {twin}; skipped" for name, twin in self.duplicates]
        parts += [f"recovered from an interrupted ingest: {r.message}" for r in self.recovered]
        return "\n".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Derived:
    """What ingestion derives from a file's documents."""

    sections: list[Section]
    chunks: list[Chunk]
    sentences: list[SentenceUnit]
    resolutions: list[Resolution]
    glossary: list[GlossaryEntry]


def derive(
    pages: Sequence[Page],
    documents: Sequence[Document],
    model_id: str,
    settings: Settings,
    sections_of: Callable[[Document, Sequence[Page]], list[Section]] = segment_sections,
) -> Derived:
    """Documents → sections → chunks and sentences, resolutions and glossary entries (each
    glossary term once per document). ``sections_of`` splits a document into sections."""
    sections: list[Section] = []
    chunks: list[Chunk] = []
    sentences: list[SentenceUnit] = []
    resolutions: list[Resolution] = []
    glossary: list[GlossaryEntry] = []
    seen_terms: set[str] = set()
    for doc in documents:
        doc_sections = sections_of(doc, pages)
        sections.extend(doc_sections)
        doc_chunks, doc_sentences = chunk_document(
            doc, doc_sections, model_id, settings.chunk_max_words, settings.chunk_overlap_words
        )
        for chunk in doc_chunks:
            chunk.ordinal += len(chunks)
        chunks.extend(doc_chunks)
        sentences.extend(doc_sentences)
        resolutions.extend(extract_resolutions(doc, doc_sections))
        for entry in parse_glossary(doc, pages) + inline_definitions(doc):
            key = f"{entry.doc_id}|{entry.term}"
            if key not in seen_terms:
                seen_terms.add(key)
                glossary.append(entry)
    return Derived(sections, chunks, sentences, resolutions, glossary)


def read_pages(
    path: Path, settings: Settings, on_page: Callable[[int, int], None] | None = None
) -> tuple[list[Page], str]:
    """The pages of the PDF at ``path`` and the sha256 of exactly the bytes they came from.

    The file is read once and parsed from that copy; afterwards it is hashed again on disk. If
    it changed meanwhile (replaced or still being written, so the copy may be a mix of two
    versions), it is read again, up to :data:`READ_ATTEMPTS` times, then refused: what is stored
    always comes from one whole version of the file, and its recorded hash is that version's."""
    for attempt in range(1, READ_ATTEMPTS + 1):
        data = read_file(path)
        sha = hashlib.sha256(data).hexdigest()
        try:
            # Passed only when someone listens, so a stand-in extract_pages (tests) need not take it.
            pages = extract_pages(path, settings, data=data, **({"on_page": on_page} if on_page else {}))
        except IngestError:
            # A copy caught half-written reads as damaged; only a file that stayed put is.
            if file_sha256(path) == sha:
                raise
        else:
            if file_sha256(path) == sha:
                return pages, sha
        log.warning("%s: changed while it was being read (attempt %d of %d)", path.name, attempt, READ_ATTEMPTS)
        if attempt < READ_ATTEMPTS:
            time.sleep(REREAD_PAUSE_S)
    raise IngestError(path, MSG_CHANGING.format(attempts=READ_ATTEMPTS))


def with_ocr_cache(settings: Settings) -> Settings:
    """``settings`` keeping OCR in the index folder's :data:`OCR_CACHE_FOLDER` unless they name a
    folder of their own: an index never OCRs the same scan twice."""
    if settings.ocr_cache_dir is not None:
        return settings
    return dataclasses.replace(settings, ocr_cache_dir=settings.index_dir / OCR_CACHE_FOLDER)


def parse_pdf(
    path: Path, model_id: str, settings: Settings, on_page: Callable[[int, int], None] | None = None
) -> ParsedFile:
    """PDF → pages → documents → sections → chunks, resolutions and glossary. Raises IngestError.
    ``on_page(n, count)`` is told of each page read."""
    pages, sha = read_pages(path, settings, on_page)
    documents = segment_pack(pages, path.name)
    d = derive(pages, documents, model_id, settings)
    if not d.chunks:
        raise IngestError(path, "no text could be segmented into passages")
    return ParsedFile(
        path.name,
        str(path.parent.resolve()),
        sha,
        model_id,
        len(pages),
        documents,
        d.sections,
        d.chunks,
        d.sentences,
        d.resolutions,
        d.glossary,
        {page.number: page.ocr_confidence for page in pages if page.ocr_confidence is not None},
    )


_held = threading.local()
"""Lock files this thread holds: a flock taken again through a new handle would wait on itself."""


@contextlib.contextmanager
def writer_lock(settings: Settings) -> Iterator[None]:
    """One writer at a time: a second ingest waits ``lock_timeout_s``, then says another is running.
    Re-entrant in the thread holding it, so uploads store their files and ingest them under one lock."""
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    path = settings.index_dir / "ingest.lock"
    held: set[Path] = _held.__dict__.setdefault("paths", set())
    key = path.resolve()
    if key in held:
        yield
        return
    with open(path, "w") as handle:
        deadline = time.monotonic() + settings.lock_timeout_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise IngestBusyError(
                        f"another ingest is writing to the index in {settings.index_dir}; try again when it finishes"
                    ) from None
                time.sleep(LOCK_POLL_S)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            fcntl.flock(handle, fcntl.LOCK_UN)


class ParseAhead:
    """Parses the next file of an ingest in a background thread while the current one is embedded and
    written. Embedding spends its time in the model's matrix products and OCR in Tesseract's process,
    both outside the interpreter's lock, so the next file's pages are read in time that was idle; on
    two cores an archive's ingest comes closer to the time its embedding alone takes. At most one file
    is read ahead; its page progress is told when its turn comes, as if it were read then."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse-ahead")
        self._pending: dict[Path, tuple[Future[ParsedFile], list[tuple[int, int]]]] = {}

    def start(self, path: Path, parse: Callable[[Path, Callable[[int, int], None]], ParsedFile]) -> None:
        if path in self._pending:
            return
        pages: list[tuple[int, int]] = []
        self._pending[path] = (self._pool.submit(parse, path, lambda n, count: pages.append((n, count))), pages)

    def take(self, path: Path, sha: str | None, on_page: Callable[[int, int], None] | None) -> ParsedFile | None:
        """The file's parse, if one was started and read exactly these bytes; None: parse it now (also
        when the parse ahead failed: the file may have changed since, so its error is not trusted)."""
        pending = self._pending.pop(path, None)
        if pending is None:
            return None
        future, pages = pending
        try:
            parsed = future.result()
        except IngestError as exc:
            log.debug("%s: the parse ahead failed (%s); parsing again", path.name, exc)
            return None
        if parsed.sha256 != sha:
            return None  # rewritten since it was read
        if on_page is not None:
            for n, count in pages:
                on_page(n, count)
        return parsed

    def close(self) -> None:
        for future, _ in self._pending.values():
            future.cancel()
        self._pool.shutdown(wait=True)


class Ingestor:
    """Writes parsed files into the index. Create once; call ``ingest_paths`` or ``sync_folder``."""

    def __init__(self, settings: Settings, index: Index, embedder: Embedder) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        folder = settings.vector_cache_dir or settings.index_dir / VECTOR_CACHE_FOLDER
        self.vector_cache = VectorCache(folder, embedder.model_id, embedder.dimension)

    def ingest_paths(
        self, paths: Sequence[Path], progress: Callable[[float, str], None] | None = None, force: bool = False
    ) -> IngestReport:
        """Ingest the given PDFs; a bad file is reported and the others still go in."""
        report = IngestReport()
        started = time.perf_counter()
        with writer_lock(self.settings):
            self._recover(report)
            self._ingest_locked(paths, report, progress, force)
            self._finish(report)
        report.seconds = time.perf_counter() - started
        return report

    def sync_folder(
        self, folder: Path, force: bool = False, progress: Callable[[float, str], None] | None = None
    ) -> IngestReport:
        """Make the index match the PDFs in ``folder``: remove gone, add new, replace changed.
        Removals go first, so a copy of a removed file under another name is not skipped as its duplicate."""
        if not folder.is_dir():
            raise IngestError(folder, "corpus folder does not exist")
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".pdf" and p.is_file())
        report = IngestReport()
        started = time.perf_counter()
        with writer_lock(self.settings):
            self._recover(report)
            present = {p.name for p in paths}
            folder_key = str(folder.resolve())
            for name, meta in self.index.file_records().items():
                if meta.get("folder") == folder_key and name not in present:
                    self.index.remove_file(name)
                    report.removed.append(name)
                    log.info("%s: removed from the index (no longer in %s)", name, folder)
            self._ingest_locked(paths, report, progress, force)
            self._finish(report)
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, source_file: str) -> bool:
        report = IngestReport()
        with writer_lock(self.settings):
            self._recover(report)
            if self.index.remove_file(source_file) > 0:
                report.removed.append(source_file)
            self._finish(report)
        return bool(report.removed)

    def recover(self) -> list[Recovery]:
        """Settle what an interrupted ingest left (see :meth:`Index.recover_pending`) without
        ingesting anything; every ingest does this first anyway. Returns what was done per file."""
        report = IngestReport()
        with writer_lock(self.settings):
            self._recover(report)
            self._finish(report)
        return report.recovered

    def _recover(self, report: IngestReport) -> None:
        """Before anything else a writer does: settle the files a dead writer left part-way."""
        report.recovered.extend(self.index.recover_pending())

    def _ingest_locked(
        self, paths: Sequence[Path], report: IngestReport, progress: Callable[[float, str], None] | None, force: bool
    ) -> None:
        known = self.index.file_records()
        bar = tqdm(paths, desc="ingest", unit="file", disable=progress is not None or len(paths) < 2)
        ahead = ParseAhead() if self.settings.ingest_parse_ahead and len(paths) > 1 else None
        try:
            for n, path in enumerate(bar, start=1):
                stages = FileProgress(progress, Path(path).name, n, len(paths))
                stages.stage("reading")
                following = Path(paths[n]) if n < len(paths) else None
                self._ingest_one(Path(path), known, report, force, stages, ahead, following)
        finally:
            if ahead is not None:
                ahead.close()

    def _finish(self, report: IngestReport) -> None:
        """Refresh what is derived from Chroma when this run changed it."""
        if report.ingested or report.removed or report.recovered:
            report.held_copies = self.index.held_count()
            faults.reached("after_chroma_write")
            self.refresh_derived()

    def refresh_derived(self) -> None:
        """Rebuild what is derived from Chroma (the lexical index) now, so the first question after
        an ingest does not pay for it; readers elsewhere notice the new generation themselves."""
        LexicalIndex.load_or_build(self.index, self.settings)

    def _ingest_one(
        self,
        path: Path,
        known: dict[str, dict[str, Any]],
        report: IngestReport,
        force: bool,
        stages: FileProgress | None = None,
        ahead: ParseAhead | None = None,
        following: Path | None = None,
    ) -> None:
        """Ingest one file unless it is unchanged, a copy or a clash; with ``ahead``, the file after it
        (``following``) is parsed in the background while this one is embedded and written."""
        try:
            sha = file_sha256(path) if path.is_file() else None
            previous = known.get(path.name)
            folder = str(path.parent.resolve())
            if previous and previous.get("folder") != folder:
                if previous.get("sha256") == sha:
                    report.unchanged.append(path.name)  # the same file, already ingested from elsewhere
                    return
                raise IngestError(
                    path,
                    f"a different file with this name is already ingested from {previous.get('folder')}; rename it",
                )
            if previous is None and sha:
                twin = next((name for name, meta in known.items() if meta.get("sha256") == sha), None)
                if twin:
                    log.info("%s: already ingested as %s; skipped", path.name, twin)
                    report.duplicates.append((path.name, twin))
                    return
            slug = file_slug(path.name)
            clash = next((name for name in known if name != path.name and file_slug(name) == slug), None)
            if clash:
                raise IngestError(
                    path, f"its name is too close to the already ingested {clash!r} (both become {slug!r}); rename it"
                )
            if not force and self._unchanged(previous, sha):
                report.unchanged.append(path.name)
                return
            on_page = (lambda n, count: stages.stage("reading", n, count)) if stages and stages.report else None
            parsed = ahead.take(path, sha, on_page) if ahead is not None else None
            if parsed is None:
                parsed = self._parse(path, on_page)
            faults.reached("after_parse")
        except IngestError as exc:
            log.error("%s", exc)
            report.failed.append((path.name, str(exc)))
            return
        if ahead is not None and following is not None and self._worth_parsing(following, known, force):
            ahead.start(following, self._parse)
        self.write(parsed, report, stages)
        known[path.name] = {"folder": parsed.folder, "sha256": parsed.sha256}

    def _parse(self, path: Path, on_page: Callable[[int, int], None] | None) -> ParsedFile:
        return parse_pdf(path, self.embedder.model_id, with_ocr_cache(self.settings), on_page)

    def _unchanged(self, previous: dict[str, Any] | None, sha: str | None) -> bool:
        """Whether the file the index holds as ``previous`` is these bytes, read by this parser and model."""
        return bool(
            sha
            and previous
            and previous.get("sha256") == sha
            and previous.get("parser_version") == PARSER_VERSION
            and previous.get("embedding_model") == self.embedder.model_id
        )

    def _worth_parsing(self, path: Path, known: dict[str, dict[str, Any]], force: bool) -> bool:
        """Whether the file is likely to be parsed at its turn (not unchanged, not a copy of one the index
        holds): a parse ahead of its turn for nothing would make re-ingesting an unchanged folder slow."""
        try:
            sha = file_sha256(path) if path.is_file() else None
        except (OSError, IngestError):
            return False
        if sha is None or any(meta.get("sha256") == sha for name, meta in known.items() if name != path.name):
            return False
        return force or not self._unchanged(known.get(path.name), sha)

    def write(self, parsed: ParsedFile, report: IngestReport, stages: FileProgress | None = None) -> None:
        """Embed what is new and replace the file's rows in the index."""
        rows = build_rows(parsed)
        for i, name in enumerate(COLLECTIONS):
            if stages:
                stages.part = (i, len(COLLECTIONS))
            report_counts = self._fill_vectors(name, rows[name], stages)
            report.embedded += report_counts[0]
            report.reused += report_counts[1]
        file_row = Row(
            f"file:{parsed.source_file}",
            parsed.source_file,
            {
                "record_type": "file",
                "source_file": parsed.source_file,
                "folder": parsed.folder,
                "sha256": parsed.sha256,
                "parser_version": PARSER_VERSION,
                "embedding_model": self.embedder.model_id,
                "pages": parsed.page_count,
                "documents": len(parsed.documents),
                "chunks": len(parsed.chunks),
                **_ocr_meta(parsed.ocr_pages, range(1, parsed.page_count + 1), "ocr_pages"),
                "ingested_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            },
            # File records are looked up by id, never searched: any fixed unit vector will do.
            np.full(self.embedder.dimension, 1 / np.sqrt(self.embedder.dimension), dtype=np.float32),
        )
        if stages:
            stages.stage("writing")
        self.index.replace_file(parsed.source_file, rows, file_row)
        report.ingested.append(parsed.source_file)
        report.documents += len(parsed.documents)
        report.sections += len(parsed.sections)
        report.chunks += len(parsed.chunks)
        report.resolutions += len(parsed.resolutions)
        report.glossary += len(parsed.glossary)
        log.info("%s: %d documents, %d chunks", parsed.source_file, len(parsed.documents), len(parsed.chunks))

    def _fill_vectors(self, name: str, rows: list[Row], stages: FileProgress | None = None) -> tuple[int, int]:
        hashes = [r.metadata["content_hash"] for r in rows]
        stored = self.index.vectors_for_hashes(name, hashes)
        missing = [r for r in rows if r.metadata["content_hash"] not in stored]
        fresh: dict[str, np.ndarray] = {}
        known: dict[str, np.ndarray] = {}
        if missing:
            by_text: dict[str, list[Row]] = {}
            for r in missing:
                by_text.setdefault(r.metadata.get("_embed", r.text), []).append(r)
            known = self.vector_cache.get(by_text)  # embedded before, for another index or this one before a rebuild
            for text, vec in known.items():
                for r in by_text[text]:
                    fresh[r.metadata["content_hash"]] = vec
            # Sorted by length so each batch pads little (the model pads to its longest text).
            texts = sorted((t for t in by_text if t not in known), key=len)
            batch = max(self.settings.embed_batch_size, 1)
            quiet = len(texts) <= batch * 2 or (stages is not None and stages.report is not None)  # reported instead
            bar = tqdm(range(0, len(texts), batch), desc=f"embed {name}", unit="batch", disable=quiet)
            for start in bar:
                part = texts[start : start + batch]
                vectors = self.embedder.embed(part)
                self.vector_cache.put(dict(zip(part, vectors, strict=True)))
                for text, vec in zip(part, vectors, strict=True):
                    for r in by_text[text]:
                        fresh[r.metadata["content_hash"]] = vec
                if stages:
                    stages.stage("embedding", min(start + batch, len(texts)), len(texts), EMBEDDED_AS[name])
                faults.reached("mid_embedding")
        embedded = {r.metadata["content_hash"] for r in missing if r.metadata.get("_embed", r.text) not in known}
        for r in rows:
            r.metadata.pop("_embed", None)
            h = r.metadata["content_hash"]
            r.vector = stored[h] if h in stored else fresh[h]
        return len(embedded), len(rows) - len(embedded)


def _doc_meta(doc: Document) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id,
        "doc_title": doc.title,
        "doc_type": doc.doc_type,
        "organisation": doc.organisation,
        "committee": doc.committee,
        "meeting_date": doc.meeting_date,
        "document_date": doc.document_date,
        "source_file": doc.source_file,
    }


def _ocr_meta(ocr_pages: dict[int, float], pages: range, count_key: str = "") -> dict[str, Any]:
    """Metadata saying the text of ``pages`` was (partly) read by OCR: ``ocr`` True and ``ocr_confidence``,
    the mean word confidence of those pages (and, under ``count_key``, how many). Nothing for text from the
    PDF's text layer, so the rows of text PDFs stay as they were."""
    read = [ocr_pages[n] for n in pages if n in ocr_pages]
    if not read:
        return {}
    meta: dict[str, Any] = {"ocr": True, "ocr_confidence": round(sum(read) / len(read), 1)}
    return {**meta, count_key: len(read)} if count_key else meta


def build_rows(parsed: ParsedFile) -> dict[str, list[Row]]:
    """Index rows for a parsed file. ``_embed`` in metadata is the text to embed (removed before writing)."""
    docs = {d.doc_id: d for d in parsed.documents}
    sections = {s.section_id: s for s in parsed.sections}
    chunk_rows = []
    for c in parsed.chunks:
        s = sections[c.section_id]
        meta = {
            **_doc_meta(docs[c.doc_id]),
            "section_id": s.section_id,
            "section_title": s.title,
            "section_kind": s.kind,
            "section_number": s.number,
            "locator": c.locator,
            "page_start": c.page_start,
            "page_end": c.page_end,
            "content_hash": c.content_hash,
            "text_hash": passage_hash(c.text),
            # Always present, so a new version's upsert (which merges metadata) resets an old note.
            "also_in": "",
            "ordinal": c.ordinal,
            "_embed": c.embed_text,
            **_ocr_meta(parsed.ocr_pages, range(c.page_start, c.page_end + 1)),
        }
        if s.kind == "action":
            meta.update({f"action_{k}": v for k, v in s.extra.items() if k in ("lead", "due", "area")})
        chunk_rows.append(Row(c.chunk_id, c.text, meta))
    sentence_rows = [
        Row(
            u.sentence_id,
            u.text,
            {
                "chunk_id": u.chunk_id,
                "doc_id": u.doc_id,
                "source_file": parsed.source_file,
                "page": u.page,
                "ordinal": u.ordinal,
                "content_hash": u.content_hash,
                "_embed": u.embed_text,
                "meeting_date": docs[u.doc_id].meeting_date,
                "doc_type": docs[u.doc_id].doc_type,
                **_ocr_meta(parsed.ocr_pages, range(u.page, u.page + 1)),
            },
        )
        for u in parsed.sentences
    ]
    model_id = parsed.model_id
    records: list[Row] = []
    for d in parsed.documents:
        text = f"{d.title} ({d.doc_type}, pages {d.page_start}-{d.page_end})"
        records.append(
            Row(
                f"doc:{d.doc_id}",
                d.title,
                {
                    **_doc_meta(d),
                    "record_type": "document",
                    "page_start": d.page_start,
                    "page_end": d.page_end,
                    "sections": sum(1 for s in parsed.sections if s.doc_id == d.doc_id),
                    **_ocr_meta(parsed.ocr_pages, range(d.page_start, d.page_end + 1), "ocr_pages"),
                    "content_hash": content_hash(model_id, text),
                    "_embed": text,
                },
            )
        )
    for r in parsed.resolutions:
        # Embedded with its minute item's title, so "what did Cabinet resolve on the budget
        # monitoring report" finds the item by its subject, not only by the resolution's words.
        embed = f"{r.locator}: {r.text}"
        records.append(
            Row(
                f"res:{r.resolution_id}",
                r.text,
                {
                    **_doc_meta(docs[r.doc_id]),
                    "record_type": "resolution",
                    "kind": r.kind,
                    "number": r.number,
                    "minute_item": r.minute_item,
                    "section_id": r.section_id,
                    "page": r.page,
                    "locator": r.locator,
                    # Only the motion details the papers give: Chroma metadata cannot hold None.
                    **{k: v for k, v in (("mover", r.mover), ("seconder", r.seconder), ("vote", r.vote)) if v},
                    "content_hash": content_hash(model_id, embed),
                    "_embed": embed,
                },
            )
        )
    for g in parsed.glossary:
        text = f"{g.term}: {g.expansion}"
        records.append(
            Row(
                f"gloss:{g.doc_id}:{g.term}",
                g.expansion,
                {
                    **_doc_meta(docs[g.doc_id]),
                    "record_type": "glossary",
                    "term": g.term,
                    "expansion": g.expansion,
                    "page": g.page,
                    "source": g.source,
                    "content_hash": content_hash(model_id, text),
                    "_embed": text,
                },
            )
        )
    return {"chunks": chunk_rows, "sentences": sentence_rows, "records": records}
