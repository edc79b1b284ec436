"""Errors that ingestion reports to a person: each names the file and the problem."""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """A file could not be ingested. ``str(err)`` is the message shown to the user."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path.name}: {problem}")


class IngestBusyError(Exception):
    """Another process holds the index's writer lock."""


class IndexUnavailable(Exception):
    """The index cannot be read or written: its folder is read-only or its disk full, or the Chroma
    server does not answer. ``str(err)`` is one line naming the folder or URL and what to do."""
