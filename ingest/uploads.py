"""PDFs added through the app: stored in the upload folder under a safe name, then ingested.

``store_upload`` copies one file into ``settings.upload_dir`` (never the git-tracked corpus),
refusing what is not a ``.pdf`` or is larger than ``settings.upload_max_mb``. ``add_uploads``
stores a batch and ingests it under the writer lock, and puts the folder back as it was for
every file that failed: a bad upload never replaces a good file already stored, and never
changes the index.

Every stored upload has an intent file (``.<name>.upload``) from before its bytes land until it
is committed or rolled back, and a replaced file is kept as ``.<name>.previous`` until then. An
upload that a crash cut short therefore leaves both behind; ``sync_uploads`` (run at start and by
``scrutineer ingest``) finds them, ingests the new version again, or puts the previous one back,
and ingests any PDF in the folder that the index lacks. It says what it did for each file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.errors import IndexUnavailable, IngestBusyError, IngestError
from ingest.pipeline import Ingestor, IngestReport, writer_lock
from ingest.settings import Settings

log = logging.getLogger(__name__)

MAX_NAME_BYTES = 200
"""Longest stored file name in UTF-8 bytes: file systems stop at 255, and a backup suffix must fit."""
_KEEP = set(" -_.(),&'+")
"""Punctuation kept in stored names besides letters and digits of any script."""
BACKUP_SUFFIX = ".previous"
INTENT_SUFFIX = ".upload"
FAILED_SUFFIX = ".failed"
INCOMING_PREFIX = ".incoming-"
MAX_ATTEMPTS = 2
"""Ingests of one stored upload that may die (the upload itself, one retry at start) before it is
set aside: a file that kills the process must not do so at every start."""
FALLBACK_STEM = "upload"
MB = 1024 * 1024


def safe_upload_name(name: str) -> str:
    """The name an uploaded file is stored under: the last part of ``name`` only (no folders, no
    ``..``), letters and digits of any script, spaces and simple punctuation kept, anything else
    replaced by ``-``, no leading dot, ending in ``.pdf``. Raises IngestError for another extension."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    stem, dot, ext = base.rpartition(".")
    if not dot or ext.lower() != "pdf":
        kind = f"it ends in .{ext}" if dot and ext else "it has no .pdf extension"
        raise IngestError(base or name or "(no name)", f"only PDF files can be added ({kind})")
    cleaned = "".join(c if c.isalnum() or c in _KEEP else "-" for c in stem)
    cleaned = " ".join(cleaned.split())  # tabs and runs of spaces → one space
    while "--" in cleaned:
        cleaned = cleaned.replace("--", "-")
    # No hidden files and no "." / ".." names: strip leading dots, spaces and dashes.
    cleaned = cleaned.lstrip(" .-").rstrip(" .")
    while len(cleaned.encode("utf-8")) > MAX_NAME_BYTES:
        cleaned = cleaned[:-1].rstrip(" .")
    return f"{cleaned or FALLBACK_STEM}.pdf"


@dataclass
class StoredUpload:
    """One file copied into the upload folder, with what it replaced (to put back on failure)."""

    name: str
    """The name the person gave the file."""
    path: Path
    """Where it is stored now."""
    backup: Path | None
    """The earlier file of the same name, moved aside; None when there was none or it was identical."""
    created: bool
    """True when no file of this name was there before."""
    intent: Path | None = None
    """Its intent file, until it is committed or rolled back; None when nothing was stored."""
    sha256: str = ""
    attempts: int = 1
    """Ingests of it started so far (the intent file keeps the count across crashes)."""
    interrupted: bool = False
    """Found at start, left by an upload that a crash cut short."""

    def rollback(self) -> None:
        """Put the folder back as it was before this upload."""
        if self.backup is not None and self.backup.exists():
            os.replace(self.backup, self.path)
        elif self.created:
            self.path.unlink(missing_ok=True)
        self._done()

    def commit(self) -> None:
        """Keep the new file; drop the earlier one."""
        if self.backup is not None:
            self.backup.unlink(missing_ok=True)
        self._done()

    def set_aside(self) -> Path:
        """Move the new file out of the way as ``.<name>.failed`` (kept, never ingested) and put the
        folder back as it was before the upload."""
        aside = self.path.with_name(f".{self.path.name}{FAILED_SUFFIX}")
        if self.path.exists():
            os.replace(self.path, aside)
        self.created = False  # already moved
        self.rollback()
        return aside

    def record_attempt(self) -> None:
        self.attempts += 1
        self._write_intent()

    def _write_intent(self) -> None:
        assert self.intent is not None
        state = {"sha256": self.sha256, "backup": self.backup is not None, "created": self.created}
        tmp = self.intent.with_name(self.intent.name + ".tmp")
        tmp.write_text(json.dumps({**state, "attempts": self.attempts}), encoding="utf-8")
        os.replace(tmp, self.intent)  # never half an intent file

    def _done(self) -> None:
        if self.intent is not None:
            self.intent.unlink(missing_ok=True)
            self.intent = None

    @classmethod
    def from_intent(cls, intent: Path) -> StoredUpload | None:
        """The upload an intent file describes; None when the file is unreadable (removed)."""
        name = intent.name[1 : -len(INTENT_SUFFIX)]
        path = intent.with_name(name)
        try:
            state = json.loads(intent.read_text(encoding="utf-8"))
            backup = path.with_name(f".{name}{BACKUP_SUFFIX}") if state["backup"] else None
            return cls(
                name, path, backup, bool(state["created"]), intent, str(state["sha256"]), int(state["attempts"]), True
            )
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("%s: unreadable upload intent file %s; removed it", name, intent.name)
            intent.unlink(missing_ok=True)
            return None

    def landed(self) -> bool:
        """True when the new bytes are in place under the real name (the crash came after the copy)."""
        return self.path.is_file() and _sha256(self.path) == self.sha256


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(MB), b""):
            h.update(block)
    return h.hexdigest()


def store_upload(source: Path, settings: Settings, name: str | None = None) -> StoredUpload:
    """Copy ``source`` into the upload folder under a safe version of ``name`` (default: its own
    name). Raises IngestError naming the file when it is not a PDF name or is too large."""
    shown = name or source.name
    safe = safe_upload_name(shown)
    try:
        size = source.stat().st_size
    except OSError as exc:
        raise IngestError(shown, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    limit = settings.upload_max_mb
    if size > limit * MB:
        raise IngestError(shown, f"is {size / MB:.1f} MB; uploads are limited to {limit} MB")
    folder = settings.upload_dir
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe
    if target.resolve().parent != folder.resolve():  # the name is clean, but never write outside the folder
        raise IngestError(shown, "has a name that cannot be stored")
    existed = target.exists()
    sha = _sha256(source)
    if existed and _sha256(target) == sha:
        return StoredUpload(shown, target, None, created=False)
    backup = target.with_name(f".{safe}{BACKUP_SUFFIX}") if existed else None
    stored = StoredUpload(shown, target, backup, not existed, folder / f".{safe}{INTENT_SUFFIX}", sha)
    stored._write_intent()  # first, so a crash from here on is found at the next start
    # Copy to a temporary name first, so a failed copy never leaves half a file under the real name.
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=INCOMING_PREFIX, suffix=".pdf")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(source, tmp)
        if backup is not None:
            os.replace(target, backup)
        os.replace(tmp, target)
    except OSError:
        stored.rollback()
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return stored


@dataclass
class UploadResult:
    """What happened to a batch of uploads."""

    added: list[str] = field(default_factory=list)
    """Stored names of the files ingested."""
    unchanged: list[str] = field(default_factory=list)
    """Stored names of files the index already held with the same content."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(name given, message) per file refused; the message is the one ``scrutineer ingest`` prints."""
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    """(name given, message) per file whose bytes the index already holds under another name:
    not an error, not stored again ("x.pdf: already ingested as y.pdf; skipped", as the CLI says)."""
    notices: list[tuple[str, str]] = field(default_factory=list)
    """(stored name, line) per file ``sync_uploads`` repaired or ingested: what happened and which
    version is in the index now. Empty for uploads made in the app."""
    report: IngestReport | None = None


def add_uploads(
    files: Sequence[tuple[Path, str]],
    settings: Settings,
    ingestor: Ingestor,
    progress: Callable[[float, str], None] | None = None,
) -> UploadResult:
    """Store each (temporary path, name given) in the upload folder and ingest them together.
    A file that is refused or fails to ingest is taken out again, and an earlier file of the
    same name is put back, so the folder and the index are as they were for it."""
    result = UploadResult()
    try:
        # Stored and ingested under one lock, so start-up never mistakes a live upload for a dead one.
        with writer_lock(settings):
            stored: list[StoredUpload] = []
            for path, name in files:
                try:
                    if any(s.path.name == safe_upload_name(name) for s in stored):
                        raise IngestError(name, "another file in this upload has the same name")
                    stored.append(store_upload(Path(path), settings, name))
                except IngestError as exc:
                    result.failed.append((name, str(exc)))
            if stored:
                try:
                    _ingest_stored(stored, settings, ingestor, result, progress=progress)
                except (IngestError, IndexUnavailable) as exc:
                    for s in stored:
                        s.rollback()
                        result.failed.append((s.name, str(exc)))
    except IngestBusyError as exc:
        result.failed += [(name, str(exc)) for _, name in files]
        return result
    log.info(
        "uploads: %d added, %d unchanged, %d already ingested under another name, %d refused",
        len(result.added),
        len(result.unchanged),
        len(result.duplicates),
        len(result.failed),
    )
    return result


def _ingest_stored(
    stored: Sequence[StoredUpload],
    settings: Settings,
    ingestor: Ingestor,
    result: UploadResult,
    force: bool = False,
    progress: Callable[[float, str], None] | None = None,
) -> None:
    """Ingest stored uploads (under the writer lock) and commit or roll back each as it went."""
    report = ingestor.ingest_paths([s.path for s in stored], progress=progress, force=force)
    result.report = report
    failed = dict(report.failed)
    twins = dict(report.duplicates)
    known = ingestor.index.file_records()
    upload_folder = str(settings.upload_dir.resolve())
    for s in stored:
        stored_name = s.path.name
        if stored_name in failed:
            s.rollback()
            result.failed.append((s.name, failed[stored_name]))
        elif stored_name in twins:
            s.rollback()  # a second copy of papers already in the index would only be read twice
            result.duplicates.append((s.name, f"{s.name}: already ingested as {twins[stored_name]}; skipped"))
        elif stored_name in report.ingested:
            s.commit()
            result.added.append(stored_name)
        else:
            # Unchanged: already in the index. A copy of a file ingested from elsewhere (the corpus)
            # would only be a duplicate nobody reads, so it is not kept.
            if s.created and known.get(stored_name, {}).get("folder") != upload_folder:
                s.rollback()
            else:
                s.commit()
            result.unchanged.append(stored_name)


def sync_uploads(settings: Settings, ingestor: Ingestor, force: bool = False) -> UploadResult:
    """Make the index hold every upload, after whatever stopped the last writer: under the writer
    lock, settle the index (:meth:`Ingestor.recover`), then finish each upload a crash cut short
    (ingest its new version again, or put the previous one back when it cannot be ingested, or set
    it aside when it was already retried), and ingest every PDF in the folder whose bytes the index
    lacks (``force``: every PDF, as ``--rebuild`` needs). ``notices`` says what happened per file."""
    result = UploadResult()
    folder = settings.upload_dir
    if not folder.is_dir():
        return result
    with writer_lock(settings):
        ingestor.recover()
        for tmp in [*folder.glob(f"{INCOMING_PREFIX}*"), *folder.glob(f".*{INTENT_SUFFIX}.tmp")]:
            tmp.unlink(missing_ok=True)  # half a copy or half an intent by a dead upload: nothing to keep
        known = ingestor.index.file_records()
        todo = _interrupted_uploads(folder, known, result)
        known_shas = {meta.get("sha256") for meta in known.values()}
        taken = {s.path.name for s in todo}
        for path in sorted(p for p in folder.iterdir() if p.suffix.lower() == ".pdf" and p.is_file()):
            if path.name.startswith(".") or path.name in taken:
                continue
            sha = _sha256(path)
            if force or sha not in known_shas:
                orphan = StoredUpload(path.name, path, None, False, folder / f".{path.name}{INTENT_SUFFIX}", sha)
                orphan._write_intent()  # counted, like an upload, should ingesting it kill the process
                todo.append(orphan)
        if todo:
            _ingest_stored(todo, settings, ingestor, result, force=force)
            _notices(todo, result, force)
    for _, line in result.notices:
        log.warning("uploads: %s", line)
    return result


def _interrupted_uploads(folder: Path, known: dict[str, dict[str, Any]], result: UploadResult) -> list[StoredUpload]:
    """The uploads a crash cut short that are still to ingest; commits those the index holds
    already, puts back or sets aside the rest."""
    todo = []
    for intent in sorted(folder.glob(f".*{INTENT_SUFFIX}")):
        s = StoredUpload.from_intent(intent)
        if s is None:
            continue
        name = s.path.name
        kept = "the previous version is still in the index" if s.backup is not None else "it is not in the index"
        if not s.landed():
            s.rollback()
            result.notices.append((name, f"{name}: its upload was interrupted before the file was stored; {kept}"))
        elif (known.get(name) or {}).get("sha256") == s.sha256:
            s.commit()  # the crash came after its commit, or recovery finished its switch
            done = "its new version was written; the new version" if s.backup is not None else "it was written; it"
            result.notices.append((name, f"{name}: its upload was interrupted after {done} is in the index"))
        elif s.attempts >= MAX_ATTEMPTS:
            aside = s.set_aside()
            line = f"{name}: ingesting it was interrupted {s.attempts} times, so it was set aside as {aside.name}"
            result.notices.append((name, f"{line}; {kept}"))
        else:
            s.record_attempt()
            todo.append(s)
    return todo


def _notices(todo: Sequence[StoredUpload], result: UploadResult, force: bool) -> None:
    """One line per file ``sync_uploads`` ingested or refused, saying which version is in the index."""
    failed, twins, added = dict(result.failed), dict(result.duplicates), set(result.added)
    for s in todo:
        name = s.path.name
        replaced = s.backup is not None
        if name in added and s.interrupted:
            now = "the new version is in the index" if replaced else "it is in the index"
            line = f"{name}: its upload was interrupted; it has now been ingested, so {now}"
        elif name in added and not force:
            line = f"{name}: was in the upload folder but not in the index; it has been ingested"
        elif name in failed and s.interrupted:
            kept = "the previous version is still in the index" if replaced else "it was not added"
            line = f"{failed[name]}; its upload was interrupted and {kept}"
        elif name in failed:
            line = f"{failed[name]} (in the upload folder, not in the index)"
        elif name in twins:
            line = twins[name]
        else:
            continue
        result.notices.append((name, line))
