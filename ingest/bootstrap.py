"""First start and repair: what the CLI and the app do before they hand an index to the assistant."""

from __future__ import annotations

import logging

from ingest.embeddings import Embedder
from ingest.errors import IngestBusyError
from ingest.pipeline import Ingestor, IngestReport
from ingest.settings import Settings
from ingest.store import Index, Recovery

log = logging.getLogger(__name__)


def ensure_index(settings: Settings, index: Index, embedder: Embedder) -> IngestReport | None:
    """Build the index from the corpus folder when it is empty (first start), returning the
    ingest's report; otherwise settle what an ingest that died part-way left, so no half-written
    file is ever answered from, and return None."""
    return _ensure(settings, index, embedder)[0]


def _ensure(settings: Settings, index: Index, embedder: Embedder) -> tuple[IngestReport | None, list[Recovery]]:
    if index.count("chunks") > 0:
        if not index.pending():
            return None, []
        try:
            return None, Ingestor(settings, index, embedder).recover()
        except IngestBusyError:
            return None, []  # a live writer holds the lock: its markers are its own
    log.info("index is empty: ingesting %s", settings.corpus_dir)
    report = Ingestor(settings, index, embedder).sync_folder(settings.corpus_dir)
    return report, report.recovered
