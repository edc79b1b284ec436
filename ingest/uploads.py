"""PDFs added through the app: stored in the upload folder under a safe name, then ingested.

``store_upload`` copies one file into ``settings.upload_dir`` (never the git-tracked corpus),
refusing what is not a ``.pdf`` or is larger than ``settings.upload_max_mb``. ``add_uploads``
stores a batch, ingests it with the :class:`~ingest.pipeline.Ingestor` (which takes the
writer lock), and puts the folder back as it was for every file that failed: a bad upload
never replaces a good file already stored, and never changes the index.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import IndexUnavailable, IngestBusyError, IngestError
from ingest.pipeline import Ingestor, IngestReport
from ingest.settings import Settings

log = logging.getLogger(__name__)

MAX_NAME_BYTES = 200
"""Longest stored file name in UTF-8 bytes: file systems stop at 255, and a backup suffix must fit."""
_KEEP = set(" -_.(),&'+")
"""Punctuation kept in stored names besides letters and digits of any script."""
BACKUP_SUFFIX = ".previous"
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

    def rollback(self) -> None:
        """Put the folder back as it was before this upload."""
        if self.backup is not None:
            os.replace(self.backup, self.path)
        elif self.created:
            self.path.unlink(missing_ok=True)

    def commit(self) -> None:
        """Keep the new file; drop the earlier one."""
        if self.backup is not None:
            self.backup.unlink(missing_ok=True)


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
    if existed and _sha256(target) == _sha256(source):
        return StoredUpload(shown, target, None, created=False)
    # Copy to a temporary name first, so a failed copy never leaves half a file under the real name.
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".incoming-", suffix=".pdf")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(source, tmp)
        backup = None
        if existed:
            backup = target.with_name(f".{safe}{BACKUP_SUFFIX}")
            os.replace(target, backup)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return StoredUpload(shown, target, backup, created=not existed)


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
    stored: list[StoredUpload] = []
    for path, name in files:
        try:
            upload = store_upload(Path(path), settings, name)
        except IngestError as exc:
            result.failed.append((name, str(exc)))
            continue
        if any(s.path == upload.path for s in stored):
            upload.rollback()
            result.failed.append((name, str(IngestError(name, "another file in this upload has the same name"))))
            continue
        stored.append(upload)
    if not stored:
        return result
    try:
        report = ingestor.ingest_paths([s.path for s in stored], progress=progress)
    except (IngestBusyError, IngestError, IndexUnavailable) as exc:
        for s in stored:
            s.rollback()
            result.failed.append((s.name, str(exc)))
        return result
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
            continue
        if stored_name in twins:
            s.rollback()  # a second copy of papers already in the index would only be read twice
            result.duplicates.append((s.name, f"{s.name}: already ingested as {twins[stored_name]}; skipped"))
            continue
        if stored_name in report.ingested:
            s.commit()
            result.added.append(stored_name)
            continue
        # Unchanged: already in the index. A copy of a file ingested from elsewhere (the corpus)
        # would only be a duplicate nobody reads, so it is not kept.
        if s.created and known.get(stored_name, {}).get("folder") != upload_folder:
            s.rollback()
        else:
            s.commit()
        result.unchanged.append(stored_name)
    log.info(
        "uploads: %d added, %d unchanged, %d already ingested under another name, %d refused",
        len(result.added),
        len(result.unchanged),
        len(result.duplicates),
        len(result.failed),
    )
    return result
