"""What the index holds, as lists a person browses: the documents, and the resolutions grouped
by meeting. Read from the index's records; re-read only when its generation stamp changes."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ingest.dates import human_date
from ingest.pipeline import PARSER_VERSION
from ingest.settings import Settings
from ingest.store import Index, Row

KIND_LABELS = {"decision": "Decision", "proposal": "Recommendation put to the meeting"}
"""How each resolution kind is named in the app."""


def _natural(text: str) -> list[Any]:
    """Sort key in which "item-9" comes before "item-10"."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


@dataclass(frozen=True)
class DocumentEntry:
    """One document of the index, as the Documents tab lists it."""

    doc_id: str
    title: str
    doc_type: str
    organisation: str | None
    committee: str | None
    meeting_date: str | None
    page_start: int
    page_end: int
    sections: int
    source_file: str
    origin: str
    """``corpus``, ``upload`` or ``elsewhere``: the folder the file was ingested from."""
    status: str

    @property
    def pages(self) -> str:
        return str(self.page_start) if self.page_end == self.page_start else f"{self.page_start}–{self.page_end}"

    @property
    def label(self) -> str:
        """How the document is named in the filter list."""
        when = f", {human_date(self.meeting_date)}" if self.meeting_date else ""
        return f"{self.title} ({self.doc_type}{when})"


@dataclass(frozen=True)
class DecisionEntry:
    """One resolution record: what a meeting resolved, or a recommendation put to it."""

    resolution_id: str
    kind: str
    text: str
    committee: str | None
    organisation: str | None
    meeting_date: str | None
    doc_id: str
    doc_title: str
    minute_item: str | None
    page: int
    locator: str
    source_file: str

    @property
    def meeting(self) -> str:
        """The meeting it belongs to, e.g. ``Overview and Scrutiny Committee, 13 March 2024``."""
        return f"{self.committee or 'Meeting'}, {human_date(self.meeting_date)}"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def matches(self, query: str) -> bool:
        """Every word of ``query`` appears in its text, locator, meeting or minute number; a
        number only as a whole number ("minute 3" does not match "minute 34" or "2023")."""
        haystack = " ".join(
            [self.text, self.locator, self.meeting, self.meeting_date or "", f"minute {self.minute_item or ''}"]
        ).lower()
        return all(
            re.search(rf"(?<!\d){word}(?!\d)", haystack) if word.isdigit() else word in haystack
            for word in query.lower().split()
        )


@dataclass(frozen=True)
class FilterChoices:
    """What the question filters offer, from the documents in the index."""

    documents: list[tuple[str, str]]
    """(label, doc_id) pairs."""
    doc_types: list[str]
    organisations: list[str]


class Catalogue:
    """Documents and resolutions of one index, cached until the index's generation changes."""

    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._documents: list[DocumentEntry] | None = None
        self._decisions: list[DecisionEntry] | None = None
        self._files: dict[str, dict[str, Any]] = {}

    def _fresh(self) -> None:
        generation = self.index.generation()
        if generation != self._generation or self._documents is None:
            self._generation = generation
            self._files = self.index.file_records()
            self._documents = self._read_documents()
            self._decisions = self._read_decisions()

    def documents(self) -> list[DocumentEntry]:
        """Every document, newest meeting first, then by file and page."""
        with self._lock:
            self._fresh()
            return list(self._documents or [])

    def decisions(self, query: str = "", include_proposals: bool = True) -> list[DecisionEntry]:
        """Resolution records matching ``query`` (every word), newest meeting first, then by
        minute item and page."""
        query = query or ""
        with self._lock:
            self._fresh()
            rows = list(self._decisions or [])
        return [
            d for d in rows if (include_proposals or d.kind == "decision") and (not query.strip() or d.matches(query))
        ]

    def decision(self, resolution_id: str) -> DecisionEntry | None:
        return next((d for d in self.decisions() if d.resolution_id == resolution_id), None)

    def folder_of(self, source_file: str) -> str | None:
        """The folder the index says ``source_file`` was ingested from."""
        with self._lock:
            self._fresh()
            return (self._files.get(source_file) or {}).get("folder")

    def source_file_of(self, doc_id: str) -> str | None:
        return next((d.source_file for d in self.documents() if d.doc_id == doc_id), None)

    def filter_choices(self) -> FilterChoices:
        docs = self.documents()
        return FilterChoices(
            documents=[(d.label, d.doc_id) for d in docs],
            doc_types=sorted({d.doc_type for d in docs if d.doc_type}),
            organisations=sorted({d.organisation for d in docs if d.organisation}),
        )

    def _origin(self, folder: str | None) -> str:
        if folder == str(self.settings.corpus_dir.resolve()):
            return "corpus"
        if folder == str(self.settings.upload_dir.resolve()):
            return "upload"
        return "elsewhere"

    def _status(self, source_file: str) -> str:
        meta = self._files.get(source_file)
        if meta is None:
            return "incomplete: run scrutineer ingest again"  # rows without a file record: a crashed ingest
        status = f"indexed {str(meta.get('ingested_at', '')).replace('T', ' ')}".strip()
        if meta.get("parser_version") != PARSER_VERSION:
            status += "; read by an older version: run scrutineer ingest to update"
        return status

    def _read_documents(self) -> list[DocumentEntry]:
        entries = [self._document(row) for row in self.index.records("document")]
        entries.sort(key=lambda d: (d.source_file, d.page_start))
        entries.sort(key=lambda d: d.meeting_date or "", reverse=True)  # stable: file order kept within a date
        return entries

    def _document(self, row: Row) -> DocumentEntry:
        m = row.metadata
        source_file = m.get("source_file", "")
        return DocumentEntry(
            doc_id=m["doc_id"],
            title=m.get("doc_title") or row.text,
            doc_type=m.get("doc_type", ""),
            organisation=m.get("organisation"),
            committee=m.get("committee"),
            meeting_date=m.get("meeting_date"),
            page_start=int(m.get("page_start", 0)),
            page_end=int(m.get("page_end", m.get("page_start", 0))),
            sections=int(m.get("sections", 0)),
            source_file=source_file,
            origin=self._origin((self._files.get(source_file) or {}).get("folder")),
            status=self._status(source_file),
        )

    def _read_decisions(self) -> list[DecisionEntry]:
        entries = [self._decision(row) for row in self.index.records("resolution")]
        entries.sort(
            key=lambda d: (
                d.committee or "",
                d.doc_id,
                _natural(d.minute_item or ""),
                d.page,
                _natural(d.resolution_id),
            )
        )
        entries.sort(key=lambda d: d.meeting_date or "", reverse=True)
        return entries

    @staticmethod
    def _decision(row: Row) -> DecisionEntry:
        m = row.metadata
        return DecisionEntry(
            resolution_id=row.id,
            kind=m.get("kind", "decision"),
            text=row.text,
            committee=m.get("committee"),
            organisation=m.get("organisation"),
            meeting_date=m.get("meeting_date"),
            doc_id=m.get("doc_id", ""),
            doc_title=m.get("doc_title", ""),
            minute_item=m.get("minute_item"),
            page=int(m.get("page", 0)),
            locator=m.get("locator", ""),
            source_file=m.get("source_file", ""),
        )


def group_by_meeting(entries: Iterable[DecisionEntry]) -> list[tuple[str, list[DecisionEntry]]]:
    """Consecutive entries of the same meeting (committee and date) under one heading, in order."""
    groups: list[tuple[str, list[DecisionEntry]]] = []
    for entry in entries:
        if groups and groups[-1][0] == entry.meeting:
            groups[-1][1].append(entry)
        else:
            groups.append((entry.meeting, [entry]))
    return groups


DOCUMENT_COLUMNS = ["Title", "Type", "Meeting date", "Pages", "Sections", "File", "Status"]
ORIGIN_LABELS = {"corpus": "corpus folder", "upload": "uploaded", "elsewhere": "ingested from another folder"}


def document_rows(entries: Iterable[DocumentEntry]) -> list[list[Any]]:
    """Rows of the Documents table, in :data:`DOCUMENT_COLUMNS` order."""
    return [
        [
            d.title,
            d.doc_type,
            d.meeting_date or "",
            d.pages,
            d.sections,
            d.source_file,
            f"{d.status} ({ORIGIN_LABELS.get(d.origin, d.origin)})",
        ]
        for d in entries
    ]
