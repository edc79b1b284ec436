"""First start and repair: what the CLI and the app do before they hand an index to the assistant."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ingest.embeddings import Embedder
from ingest.errors import IngestBusyError
from ingest.pipeline import Ingestor, IngestReport
from ingest.progress import ProgressFn
from ingest.settings import Settings
from ingest.store import Index, Recovery
from ingest.uploads import UploadResult, sync_uploads

log = logging.getLogger(__name__)


@dataclass
class Startup:
    """What the app's start did to the index: the first build, if any, and one line per file it
    repaired or ingested, saying which version is in the index now (shown in the Documents tab)."""

    built: IngestReport | None = None
    notices: list[str] = field(default_factory=list)


def ensure_index(
    settings: Settings, index: Index, embedder: Embedder, progress: ProgressFn | None = None
) -> IngestReport | None:
    """Build the index from the corpus folder when it is empty (first start), returning the
    ingest's report; otherwise settle what an ingest that died part-way left, so no half-written
    file is ever answered from, and return None."""
    return _ensure(settings, index, embedder, progress)[0]


def _ensure(
    settings: Settings, index: Index, embedder: Embedder, progress: ProgressFn | None = None
) -> tuple[IngestReport | None, list[Recovery]]:
    if index.count("chunks") > 0:
        if not index.pending():
            return None, []
        try:
            return None, Ingestor(settings, index, embedder).recover()
        except IngestBusyError:
            return None, []  # a live writer holds the lock: its markers are its own
    log.info("index is empty: ingesting %s", settings.corpus_dir)
    report = Ingestor(settings, index, embedder).sync_folder(settings.corpus_dir, progress=progress)
    return report, report.recovered


def start_up(settings: Settings, index: Index, embedder: Embedder, progress: ProgressFn | None = None) -> Startup:
    """:func:`ensure_index`, then the upload folder brought into the index (:func:`sync_uploads`:
    uploads a crash cut short, uploads the index lacks). Where both speak of one file, the later
    line (the upload's) says what is in the index now."""
    built, recovered = _ensure(settings, index, embedder, progress)
    uploads = UploadResult()
    try:
        uploads = sync_uploads(settings, Ingestor(settings, index, embedder))
    except IngestBusyError:
        log.warning("uploads not checked: another ingest is writing to the index in %s", settings.index_dir)
    lines = {r.source_file: r.message for r in recovered} | dict(uploads.notices)
    return Startup(built, list(lines.values()))
