"""The in-memory snapshot answering reads instead of Chroma: it must hold exactly what the index
holds, keep the search's filters, and follow the index when a document is added."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.snapshot import IndexSnapshot
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import Index
from tests.minutes import CABINET, ENVIRONMENT, PLANNING
from tests.pdf_factory import make_text_pdf


@pytest.fixture
def two_meetings(settings: Settings, ingestor: Ingestor) -> list[Path]:
    paths = [
        make_text_pdf(settings.corpus_dir / "cabinet-2025-01-30.pdf", [CABINET]),
        make_text_pdf(settings.corpus_dir / "planning-2025-02-11.pdf", [PLANNING]),
    ]
    ingestor.ingest_paths(paths)
    return paths


def test_the_snapshot_holds_what_the_index_holds(two_meetings: list[Path], index: Index, fake_embedder) -> None:
    snapshot = IndexSnapshot.read(index)
    chunks = index.get("chunks")
    assert sorted(snapshot.chunks) == sorted(r.id for r in chunks)
    stored = index.get("sentences", include_vectors=True)
    assert sum(len(s) for s in snapshot.sentences.values()) == len(stored)
    for group in snapshot.sentences.values():
        assert [s.ordinal for s in group] == sorted(s.ordinal for s in group)
    assert len(snapshot.decisions) == len(index.records("resolution")) == 2
    q = fake_embedder.embed(["budget approved"])[0]
    scored = dict((s.sentence_id, score) for s, score in snapshot.sentences_of(list(snapshot.chunks), q))
    for row in stored:  # the same cosine similarity Chroma's stored vectors give
        assert scored[row.id] == pytest.approx(float(np.dot(row.vector, q)), abs=1e-6)


def test_nearest_decisions_keep_the_search_filters(two_meetings: list[Path], index: Index, fake_embedder) -> None:
    snapshot = IndexSnapshot.read(index)
    q = fake_embedder.embed(["What was resolved about the budget?"])[0]
    everything = snapshot.nearest_decisions(q, 4, None)
    assert len(everything) == 2
    cabinet = next(r.doc_id for r in everything if "budget" in r.text)
    planning = next(r.doc_id for r in everything if "planning permission" in r.text)
    assert [r.doc_id for r in snapshot.nearest_decisions(q, 4, {"doc_id": cabinet})] == [cabinet]
    assert [r.doc_id for r in snapshot.nearest_decisions(q, 4, {"date_from": "2025-02-01"})] == [planning]
    assert snapshot.nearest_decisions(q, 4, {"date_from": "2025-03-01"}) == []


def test_passages_where_reads_metadata_inside_the_filters(two_meetings: list[Path], index: Index) -> None:
    snapshot = IndexSnapshot.read(index)
    numbered = snapshot.passages_where(None, section_number=["2"])
    assert numbered and all("Budget" in p.locator for p in numbered)
    assert snapshot.passages_where({"date_from": "2025-02-01"}, section_number=["2"]) == []


def test_the_passages_inside_a_filter_are_found_once_per_filter(two_meetings: list[Path], index: Index) -> None:
    snapshot = IndexSnapshot.read(index)
    later = {"date_from": "2025-02-01"}
    ids = snapshot.allowed_ids(later)
    assert ids == {p.chunk_id for p in snapshot.passages_where(later)} and 0 < len(ids) < len(snapshot.chunks)
    assert snapshot.allowed_ids({"date_from": "2025-02-01"}) is ids  # the same filter: remembered
    assert snapshot.allowed_ids(None) == set(snapshot.chunks)
    assert snapshot.allowed_ids({"date_from": "2025-03-01"}) == frozenset()


def test_the_assistant_reads_a_new_snapshot_after_an_ingest(
    settings: Settings, two_meetings: list[Path], ingestor: Ingestor, index: Index, fake_embedder
) -> None:
    from assistant.service import Assistant

    assistant = Assistant(settings, index=index, embedder=fake_embedder)
    assistant.warm_up()
    before = set(assistant.snapshot.chunks)
    ingestor.ingest_paths([make_text_pdf(settings.corpus_dir / "environment-2025-04-14.pdf", [ENVIRONMENT])])
    assistant.refresh()  # what the app does after an upload
    added = set(assistant.snapshot.chunks) - before
    assert added and all("environment" in cid for cid in added)
    answer = assistant.ask("What did the environment committee agree about tree planting?")
    assert not answer.abstained
    assert any("environment" in c.doc_id for c in answer.citations)
