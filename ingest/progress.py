"""Progress of an ingest, per file and per stage, in one line a person can follow: which file of how
many, and where in it (reading page n of N, embedding k of K texts, writing to the index).

The ingest calls ``progress(fraction, message)`` (the signature the app's upload and the CLI pass in);
:class:`FileProgress` turns the stages of one file into those calls, the fraction running over every
file of the run, so one display shows the whole of it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

ProgressFn = Callable[[float, str], None]
"""(fraction of the whole run done, 0–1; what is being done now)."""
STAGE_SPAN = {"reading": (0.0, 0.3), "embedding": (0.3, 0.9), "writing": (0.9, 1.0)}
"""Share of one file's time each stage takes, roughly (embedding dominates on a CPU)."""


@dataclass
class FileProgress:
    """The stages of file ``number`` (1-based) of ``files``, reported through ``report``."""

    report: ProgressFn | None
    name: str
    number: int
    files: int
    part: tuple[int, int] = (0, 1)
    """(index, count) of the collection being embedded: each has its share of the stage, so the
    fraction never runs backwards from one collection to the next."""

    def stage(self, stage: str, done: int = 0, total: int = 0, what: str = "") -> None:
        if self.report is None:
            return
        start, end = STAGE_SPAN[stage]
        share = done / total if total else 0.0
        if stage == "embedding":
            share = (self.part[0] + share) / self.part[1]
        within = start + (end - start) * share
        fraction = min(1.0, (self.number - 1 + within) / max(self.files, 1))
        self.report(fraction, f"{self.name} (file {self.number} of {self.files}): {describe(stage, done, total, what)}")


def describe(stage: str, done: int, total: int, what: str = "") -> str:
    """ "reading page 3 of 17", "embedding 64 of 220 sentences", "writing to the index"."""
    if stage == "reading":
        return f"reading page {done} of {total}" if total else "reading"
    if stage == "embedding":
        return f"embedding {done} of {total} {what or 'texts'}"
    return "writing to the index"


def stage_of(message: str) -> str:
    """A progress message without its counts: the same for every page read or batch embedded of one
    file's stage, so a log can say each stage once."""
    return re.sub(r" \d+ of \d+", "", message)


class LoggedProgress:
    """Progress as INFO log lines, one per file and stage (not one per page), for a server's console."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.last = ""

    def __call__(self, fraction: float, message: str) -> None:
        stage = stage_of(message)
        if stage != self.last:
            self.last = stage
            self.logger.info("%3.0f%% %s", fraction * 100, message)
