"""What OCR read on each scanned page, kept by content: the file's sha256, the page, Tesseract's
version and every OCR setting that changes what it reads. Reading an unchanged scan again (a
re-ingest, an index rebuilt, the evaluation and the question-set check reading the same papers)
then costs no Tesseract run; a changed file, another Tesseract or other settings miss the cache.

One small JSON file per page (the worker's line: Tesseract's TSV, or that the page had no image to
read), written atomically; a file that cannot be read or written is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

VERSION_TIMEOUT_S = 10.0
"""Seconds ``tesseract --version`` may take; past them (or failing) nothing is cached."""
FORMAT = 1
"""Version of what a cached page holds; a change makes every earlier entry a miss."""


@functools.lru_cache(maxsize=8)
def tesseract_version(cmd: str) -> str | None:
    """The first line ``cmd --version`` prints (e.g. ``tesseract 5.3.0``), or None when it fails."""
    try:
        done = subprocess.run([cmd, "--version"], capture_output=True, text=True, timeout=VERSION_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return lines[0].strip() if done.returncode == 0 and lines else None


@dataclass(frozen=True)
class OcrCache:
    """The cache folder and what, besides the file and page, the cached reading depends on."""

    folder: Path
    reader: dict[str, Any]
    """Tesseract's version and the settings that change what it reads (language, page segmentation,
    resolution, pixel budget, the image share a page needs to be read)."""

    @classmethod
    def open(cls, folder: Path | None, cmd: str, reader: dict[str, Any]) -> OcrCache | None:
        """The cache in ``folder`` for Tesseract ``cmd`` and the settings ``reader``; None when
        there is no folder or Tesseract's version cannot be told."""
        if folder is None:
            return None
        version = tesseract_version(cmd)
        if version is None:
            return None
        return cls(folder, {"format": FORMAT, "tesseract": version, **reader})

    def _path(self, sha256: str, page: int, always: bool) -> Path:
        key = json.dumps({"sha256": sha256, "page": page, "always": always, **self.reader}, sort_keys=True)
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.folder / digest[:2] / f"{digest}.json"

    def get(self, sha256: str, page: int, always: bool) -> dict[str, Any] | None:
        """The worker's line for this page as it was read before, or None."""
        try:
            line = json.loads(self._path(sha256, page, always).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return line if isinstance(line, dict) and line.get("page") == page else None

    def put(self, sha256: str, page: int, always: bool, line: dict[str, Any]) -> None:
        """Keep the worker's line for this page (a failure to write is logged and ignored)."""
        path = self._path(sha256, page, always)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(line, f)
            os.replace(tmp, path)
        except OSError as err:
            logger.warning("OCR cache %s: cannot keep page %d (%s)", self.folder, page, err)
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)
