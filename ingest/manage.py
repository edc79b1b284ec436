"""Documents people manage: list the files in the index, see how one was read (its documents,
sections with locators and pages, resolutions and glossary entries, as the index holds them),
remove one, read one again. The CLI (``scrutineer documents | show | remove``) and the app's
Documents tab are thin layers over these functions.

Removal is the index's own crash-safe removal (a ``removing`` marker first, finished by the next
writer if the process dies part-way), under the writer lock. An uploaded file leaves the upload
folder too, so the next start does not add it back; it is moved aside (hidden, so start-up never
ingests it) before its rows go, and deleted once they have.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.errors import IngestError
from ingest.pipeline import PARSER_VERSION, Ingestor, IngestReport, writer_lock
from ingest.settings import Settings
from ingest.store import Index

log = logging.getLogger(__name__)

REMOVED_SUFFIX = ".removed"
"""An upload being removed is kept as ``.<name>.removed`` until its rows are gone."""
ORIGINS = {"corpus": "corpus folder", "upload": "uploaded", "elsewhere": "another folder"}


@dataclass(frozen=True)
class FileSummary:
    """One file of the index, as ``scrutineer documents`` lists it."""

    source_file: str
    origin: str
    """``corpus``, ``upload`` or ``elsewhere`` (ingested by path from another folder)."""
    folder: str
    pages: int
    documents: int
    chunks: int
    ingested_at: str
    current: bool
    """Read by this version's parser; False: ``scrutineer ingest`` would read it again."""


class _PageRange:
    page_start: int
    page_end: int

    @property
    def pages(self) -> str:
        """The span as the tables show it: "3" or "3–5"."""
        return str(self.page_start) if self.page_end == self.page_start else f"{self.page_start}–{self.page_end}"


@dataclass(frozen=True)
class SectionView(_PageRange):
    """A section as the index holds it: what a citation of it names."""

    title: str
    kind: str
    locator: str
    page_start: int
    page_end: int
    passages: int


@dataclass(frozen=True)
class ResolutionView:
    kind: str
    minute_item: str | None
    locator: str
    page: int
    text: str


@dataclass(frozen=True)
class GlossaryView:
    term: str
    expansion: str
    page: int
    source: str
    """``glossary`` (a glossary page) or ``inline`` (defined in the text, "the MTFS (…)")."""


@dataclass(frozen=True)
class DocumentView(_PageRange):
    doc_id: str
    title: str
    doc_type: str
    meeting_date: str | None
    page_start: int
    page_end: int
    sections: list[SectionView] = field(default_factory=list)


@dataclass(frozen=True)
class FileView:
    """How one file was read."""

    summary: FileSummary
    documents: list[DocumentView]
    resolutions: list[ResolutionView]
    glossary: list[GlossaryView]


@dataclass(frozen=True)
class Removal:
    source_file: str
    origin: str
    file_deleted: bool
    """True when the stored upload was deleted too; a corpus file stays where it is."""

    @property
    def message(self) -> str:
        if self.origin == "corpus":
            return (
                f"{self.source_file}: removed from the index; the file is still in the corpus folder, so"
                " `scrutineer ingest` adds it back unless it is deleted there"
            )
        if self.file_deleted:
            return f"{self.source_file}: removed from the index and from the upload folder"
        return f"{self.source_file}: removed from the index"


def _origin(folder: str, settings: Settings) -> str:
    if folder == str(settings.corpus_dir.resolve()):
        return "corpus"
    if folder == str(settings.upload_dir.resolve()):
        return "upload"
    return "elsewhere"


def _summary(meta: dict[str, Any], settings: Settings) -> FileSummary:
    folder = str(meta.get("folder", ""))
    return FileSummary(
        source_file=str(meta["source_file"]),
        origin=_origin(folder, settings),
        folder=folder,
        pages=int(meta.get("pages", 0)),
        documents=int(meta.get("documents", 0)),
        chunks=int(meta.get("chunks", 0)),
        ingested_at=str(meta.get("ingested_at", "")).replace("T", " "),
        current=meta.get("parser_version") == PARSER_VERSION,
    )


def list_files(index: Index, settings: Settings) -> list[FileSummary]:
    """Every file in the index, by name."""
    return sorted((_summary(m, settings) for m in index.file_records().values()), key=lambda f: f.source_file)


def _record(index: Index, source_file: str) -> dict[str, Any]:
    meta = index.file_records().get(source_file)
    if meta is None:
        known = ", ".join(sorted(index.file_records())) or "none"
        raise IngestError(source_file, f"is not in the index (files in the index: {known})")
    return meta


def show_file(index: Index, settings: Settings, source_file: str) -> FileView:
    """How ``source_file`` was read, from what the index holds. IngestError when it is not there."""
    summary = _summary(_record(index, source_file), settings)
    by_section: dict[str, list[dict[str, Any]]] = {}
    for row in index.get("chunks", where={"source_file": source_file}):
        by_section.setdefault(str(row.metadata.get("section_id", "")), []).append(row.metadata)
    sections: dict[str, list[tuple[int, SectionView]]] = {}
    for metas in by_section.values():
        metas.sort(key=lambda m: int(m.get("ordinal", 0)))
        first = metas[0]
        view = SectionView(
            title=str(first.get("section_title", "")),
            kind=str(first.get("section_kind", "")),
            # A long section is cut into passages ("… (part 2)"); the section is named by its first.
            locator=str(first.get("locator", "")),
            page_start=min(int(m.get("page_start", 0)) for m in metas),
            page_end=max(int(m.get("page_end", m.get("page_start", 0))) for m in metas),
            passages=len(metas),
        )
        sections.setdefault(str(first.get("doc_id", "")), []).append((int(first.get("ordinal", 0)), view))
    documents = []
    for row in sorted(index.records("document", {"source_file": source_file}), key=lambda r: r.metadata["page_start"]):
        m = row.metadata
        documents.append(
            DocumentView(
                doc_id=m["doc_id"],
                title=m.get("doc_title") or row.text,
                doc_type=m.get("doc_type", ""),
                meeting_date=m.get("meeting_date"),
                page_start=int(m.get("page_start", 0)),
                page_end=int(m.get("page_end", 0)),
                sections=[v for _, v in sorted(sections.get(m["doc_id"], []), key=lambda p: p[0])],
            )
        )
    resolutions = sorted(
        (
            ResolutionView(
                kind=str(r.metadata.get("kind", "decision")),
                minute_item=r.metadata.get("minute_item"),
                locator=str(r.metadata.get("locator", "")),
                page=int(r.metadata.get("page", 0)),
                text=r.text,
            )
            for r in index.records("resolution", {"source_file": source_file})
        ),
        key=lambda r: (r.page, r.locator, r.text),
    )
    glossary = sorted(
        (
            GlossaryView(
                term=str(g.metadata.get("term", "")),
                expansion=str(g.metadata.get("expansion", g.text)),
                page=int(g.metadata.get("page", 0)),
                source=str(g.metadata.get("source", "")),
            )
            for g in index.records("glossary", {"source_file": source_file})
        ),
        key=lambda g: (g.term.lower(), g.page),
    )
    return FileView(summary, documents, resolutions, glossary)


def remove_file(ingestor: Ingestor, source_file: str) -> Removal:
    """Take ``source_file`` out of the index (its passages, decisions and glossary entries with it),
    and out of the upload folder when it was uploaded. IngestError when it is not in the index."""
    settings = ingestor.settings
    with writer_lock(settings):
        ingestor.recover()  # a half-finished earlier removal is finished first, so the record below is true
        _drop_leftovers(ingestor.index, settings)
        summary = _summary(_record(ingestor.index, source_file), settings)
        aside: Path | None = None
        if summary.origin == "upload":
            stored = settings.upload_dir / source_file
            aside = stored.with_name(f".{stored.name}{REMOVED_SUFFIX}")
            if stored.is_file():
                os.replace(stored, aside)  # hidden first: a crash from here on never brings it back at start
        ingestor.remove(source_file)
        deleted = False
        if aside is not None and aside.exists():
            aside.unlink()
            deleted = True
    removal = Removal(source_file, summary.origin, deleted)
    log.info("%s", removal.message)
    return removal


def _drop_leftovers(index: Index, settings: Settings) -> None:
    """Delete uploads an interrupted removal moved aside whose rows are gone by now (recovery finished it)."""
    if not settings.upload_dir.is_dir():
        return
    known = index.file_records()
    for aside in settings.upload_dir.glob(f".*{REMOVED_SUFFIX}"):
        if aside.name[1 : -len(REMOVED_SUFFIX)] not in known:
            aside.unlink(missing_ok=True)
            log.info("%s: deleted, left by a removal that was interrupted", aside)


def reingest_file(ingestor: Ingestor, source_file: str) -> IngestReport:
    """Read ``source_file`` again from the folder it was ingested from, whatever its content hash
    says (after a parser fix, or to check a mis-read). IngestError when it or its file is gone."""
    meta = _record(ingestor.index, source_file)
    path = Path(str(meta.get("folder", ""))) / source_file
    if not path.is_file():
        raise IngestError(source_file, f"its file is no longer in {meta.get('folder')}; it cannot be read again")
    report = ingestor.ingest_paths([path], force=True)
    if report.failed:
        raise IngestError(source_file, f"reading it again failed, so the earlier reading stays: {report.failed[0][1]}")
    return report


# ---- as text, for the CLI -------------------------------------------------------------------------


def files_text(files: list[FileSummary]) -> str:
    if not files:
        return "No documents in the index yet."
    lines = [f"{len(files)} file(s) in the index:"]
    for f in files:
        stale = "" if f.current else "; read by an older version (run scrutineer ingest)"
        lines.append(
            f"  {f.source_file}  ({ORIGINS.get(f.origin, f.origin)}; {f.pages} pages, {f.documents} document(s),"
            f" {f.chunks} passages; indexed {f.ingested_at}{stale})"
        )
    return "\n".join(lines)


def file_view_text(view: FileView) -> str:
    s = view.summary
    lines = [f"{s.source_file} ({ORIGINS.get(s.origin, s.origin)}, {s.pages} pages), indexed {s.ingested_at}"]
    for d in view.documents:
        lines += ["", f"{d.title} ({d.doc_type}, pages {d.pages}): {len(d.sections)} section(s)"]
        lines += [f"  p. {sec.pages}: {sec.locator} [{sec.kind}, {sec.passages} passage(s)]" for sec in d.sections]
    lines += ["", f"Resolutions: {len(view.resolutions)}"]
    for r in view.resolutions:
        lines.append(f"  p. {r.page}: {r.locator} ({r.kind}): {' '.join(r.text.split())}")
    lines += ["", f"Glossary entries: {len(view.glossary)}"]
    lines += [f"  {g.term}: {g.expansion} (p. {g.page}, {g.source})" for g in view.glossary]
    return "\n".join(lines)
