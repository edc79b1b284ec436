"""The index built (or repaired) in the background while the app already answers HTTP, so a first
start on a fresh clone shows a page at once that says what is being built and how far it has got.

:class:`IndexBuild` runs :func:`ingest.bootstrap.start_up` in a thread, then refreshes and warms up
the assistant; :meth:`IndexBuild.state` is what the page shows, :meth:`IndexBuild.wait` what a
question asked before anything is indexed waits on.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.page_images import page_count
from assistant.service import Assistant
from ingest.bootstrap import start_up
from ingest.errors import IndexUnavailable, IngestError
from ingest.progress import LoggedProgress
from ingest.store import describe_fault

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildState:
    """Where the background start has got, as the page and the log say it."""

    running: bool = True
    fraction: float = 0.0
    message: str = "starting"
    plan: str = ""
    """What is being built: "building the index from corpus/ (1 file, 58 pages)", or "" when the
    index was there already (only repairs and uploads to check)."""
    notices: list[str] = field(default_factory=list)
    """What start-up repaired or ingested, one line per file (the Documents tab shows them)."""
    error: str | None = None
    seconds: float = 0.0

    @property
    def line(self) -> str:
        """One sentence for the page's status while building."""
        if self.error:
            return f"The index could not be built: {self.error}"
        what = self.plan[0].upper() + self.plan[1:] if self.plan else "Checking the index"
        return f"{what}: {self.message} ({self.fraction:.0%})."


def corpus_plan(folder: Path) -> str:
    """ "building the index from corpus/ (1 file, 58 pages)": what a first start is about to read."""
    pdfs = sorted(p for p in folder.glob("*") if p.suffix.lower() == ".pdf" and p.is_file()) if folder.is_dir() else []
    pages = 0
    for pdf in pdfs:
        try:
            pages += page_count(pdf)
        except Exception as exc:  # a damaged file is the ingest's to report; the count is only a hint
            log.debug("%s: pages not counted (%s)", pdf, exc)
    files = f"{len(pdfs)} file{'s' if len(pdfs) != 1 else ''}"
    return f"building the index from {folder.name}/ ({files}, {pages} pages)"


class IndexBuild:
    """Start-up in a background thread. ``url`` is logged as "ready: <url>" once questions are answered
    from the whole index."""

    def __init__(self, assistant: Assistant, url: str = "") -> None:
        self.assistant = assistant
        self.url = url
        self._state = BuildState()
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._log = LoggedProgress(log)

    def start(self) -> IndexBuild:
        self._thread = threading.Thread(target=self._run, name="index-build", daemon=True)
        self._thread.start()
        return self

    def state(self) -> BuildState:
        with self._lock:
            return self._state

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    def wait(self, seconds: float | None = None) -> bool:
        """Until the build is over (True) or ``seconds`` have passed (False)."""
        return self._done.wait(seconds)

    def _update(self, **changes: object) -> None:
        with self._lock:
            self._state = replace(self._state, **changes)  # type: ignore[arg-type]

    def _progress(self, fraction: float, message: str) -> None:
        self._update(fraction=fraction, message=message)
        self._log(fraction, message)

    def _run(self) -> None:
        settings = self.assistant.settings
        started = time.perf_counter()
        try:
            if self.assistant.index.count("chunks") == 0:
                plan = corpus_plan(settings.corpus_dir)
                self._update(plan=plan)
                log.info("%s…", plan)
            startup = start_up(settings, self.assistant.index, self.assistant.embedder, progress=self._progress)
            self._update(message="loading the model and the search indexes", fraction=1.0, notices=startup.notices)
            self.assistant.refresh()
            self.assistant.warm_up()
            if startup.built is not None:
                log.info("built the index: %s", startup.built.summary().replace("\n", "; "))
        except (IngestError, IndexUnavailable, OSError) as exc:
            message = describe_fault(exc, settings) if isinstance(exc, OSError) else None
            self._update(error=message or str(exc))
            log.error("the index could not be built: %s", message or exc)
        except Exception as exc:  # a thread's exception would only reach stderr; the page must say it too
            self._update(error=f"{type(exc).__name__}: {exc}")
            log.exception("the index could not be built")
        finally:
            self._update(running=False, seconds=time.perf_counter() - started)
            if self.state().error is None:
                log.info("ready: %s", self.url or "the app")
            self._done.set()
