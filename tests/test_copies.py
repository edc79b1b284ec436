"""A report printed in an agenda pack and also published as its own file: its passages are
searched once, cited from the file of its own with "also in <pack>, p. N", and the pack's copy
comes back when that file goes or changes. Real (embedded, temporary) Chroma, fake embedder."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import HashEmbedder
from pdf_factory import make_text_pdf

from assistant.citations import source_line
from assistant.retrieval import Passage, retrieve
from ingest import faults
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import ALSO_IN, META_TYPE, Index

AGENDA = """AGENDA
Cabinet
Thursday, 30 January 2025
1. Apologies for absence
2. Library Opening Hours (Pages 2 - 3)
3. Minutes of the meeting held on 12 December 2024 (Page 4)"""
REPORT_P1 = """Cabinet
30 January 2025
Title: Library Opening Hours
Report of: Head of Libraries and Archives
1. Summary
1.1 This report proposes longer evening opening hours at the six branch libraries.
1.2 Visitors asked for later opening in the consultation held over the autumn months."""
REPORT_P2 = """2. Recommendations
2.1 Cabinet is asked to agree the new opening hours from the first of April.
3. Financial implications
3.1 The extra hours cost forty thousand pounds a year, met from the libraries reserve."""
REPORT_P2_CHANGED = """2. Recommendations
2.1 Cabinet is asked to agree the new opening hours from the first of June instead.
3. Financial implications
3.1 The extra hours cost forty thousand pounds a year, met from the libraries reserve."""
MINUTES = """MINUTES OF THE CABINET
Thursday, 12 December 2024
Present: Councillor A Smith (Chair) and Councillor B Jones.
1. Parks
The Cabinet agreed a programme of tree planting in the riverside park during the winter.
RESOLVED that the tree planting programme be approved."""

PACK = "cabinet-2025-01-30-agenda-pack.pdf"
REPORT = "library-opening-hours-report.pdf"
QUESTION = "evening opening hours at the six branch libraries"
VOLATILE = ("ingested_at",)


def write_pack(folder: Path) -> Path:
    return make_text_pdf(folder / PACK, [AGENDA, REPORT_P1, REPORT_P2, MINUTES])


def write_report(folder: Path, second_page: str = REPORT_P2) -> Path:
    return make_text_pdf(folder / REPORT, [REPORT_P1, second_page])


def search(index: Index, embedder: HashEmbedder, text: str = QUESTION) -> list[Passage]:
    return retrieve(index, embedder.vector(text), 10).passages


def texts(index: Index) -> list[str]:
    return [" ".join(r.text.split()) for r in index.get("chunks")]


def test_the_report_is_searched_once_from_its_own_file_with_the_pack_noted(
    settings: Settings, index: Index, ingestor: Ingestor, fake_embedder: HashEmbedder
) -> None:
    write_pack(settings.corpus_dir)
    write_report(settings.corpus_dir)
    report = ingestor.sync_folder(settings.corpus_dir)
    assert report.failed == [] and sorted(report.ingested) == [PACK, REPORT]

    # The pack is split into agenda, report and minutes; the report's passages are stored once.
    docs = {r.metadata["source_file"]: 0 for r in index.records("document")}
    for r in index.records("document"):
        docs[r.metadata["source_file"]] += 1
    assert docs == {PACK: 3, REPORT: 1}
    all_texts = texts(index)
    assert len(all_texts) == len(set(all_texts))
    report_chunks = index.get("chunks", where={"source_file": REPORT})
    assert report_chunks and report.held_copies == len(report_chunks)
    assert index.get("chunks", where={"$and": [{"doc_type": "report"}, {"source_file": PACK}]}) == []
    assert "passages also printed in another document" in report.summary()

    hits = search(index, fake_embedder)
    top = hits[0]
    assert "six branch libraries" in top.text
    assert [p.text for p in hits].count(top.text) == 1
    assert top.doc_id.startswith("library-opening-hours-report/")
    assert top.also_in == [(PACK, 2)]
    assert source_line(1, top) == f"[1] {top.locator} (page 1; also in {PACK}, p. 2)"
    assert top.contract(with_score=False)["also_in"] == [{"source_file": PACK, "page": 2}]
    # Page 2 of the report is page 3 of the pack.
    second = next(p for p in search(index, fake_embedder, "libraries reserve forty thousand pounds"))
    assert second.doc_id.startswith("library-opening-hours-report/") and second.also_in == [(PACK, 3)]
    # The pack's own passages (its agenda and minutes) are searched from the pack, with no note.
    minutes = search(index, fake_embedder, "tree planting riverside park")[0]
    assert minutes.doc_id.startswith("cabinet-2025-01-30-agenda-pack/") and minutes.also_in == []


def test_either_order_gives_the_same_index_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    digests = []
    corpus = tmp_path / "corpus"  # one folder, as file records name it
    corpus.mkdir()
    for order in ((PACK, REPORT), (REPORT, PACK)):
        folder = tmp_path / "-".join(order)
        s = Settings.from_env(env={}, index_dir=folder / "index", corpus_dir=corpus, collection_prefix="t")
        paths = {PACK: write_pack(s.corpus_dir), REPORT: write_report(s.corpus_dir)}
        index, embedder = Index(s), HashEmbedder()
        ingestor = Ingestor(s, index, embedder)
        for name in order:
            assert ingestor.ingest_paths([paths[name]]).failed == []
        digests.append(index.digest(ignore=VOLATILE))
        embedded, digest = embedder.texts_embedded, index.digest()
        again = ingestor.sync_folder(s.corpus_dir)
        assert sorted(again.unchanged) == [PACK, REPORT] and again.embedded == 0
        assert embedder.texts_embedded == embedded and index.digest() == digest
    assert digests[0] == digests[1]


def test_removing_the_report_brings_the_pack_copy_back(
    settings: Settings, index: Index, ingestor: Ingestor, fake_embedder: HashEmbedder
) -> None:
    write_pack(settings.corpus_dir)
    report_path = write_report(settings.corpus_dir)
    ingestor.sync_folder(settings.corpus_dir)
    before = sorted(texts(index))

    report_path.unlink()
    embedded = fake_embedder.texts_embedded
    synced = ingestor.sync_folder(settings.corpus_dir)
    assert synced.removed == [REPORT] and synced.held_copies == 0
    assert fake_embedder.texts_embedded == embedded  # the pack's copies kept their vectors
    assert sorted(texts(index)) == before  # the same passages, now from the pack
    top = search(index, fake_embedder)[0]
    assert top.doc_id.startswith("cabinet-2025-01-30-agenda-pack/") and top.page == 2 and top.also_in == []
    assert all(r.metadata[ALSO_IN] == "" for r in index.get("chunks"))
    # Its sentences came back with it, so the answer can quote it.
    sentences = index.get("sentences", where={"chunk_id": top.chunk_id})
    assert sentences and any("six branch libraries" in s.text for s in sentences)

    # The pack alone, ingested from scratch, is the same index.
    fresh_settings = Settings.from_env(
        env={}, index_dir=settings.index_dir.parent / "fresh", corpus_dir=settings.corpus_dir, collection_prefix="t"
    )
    fresh = Index(fresh_settings)
    Ingestor(fresh_settings, fresh, HashEmbedder()).sync_folder(settings.corpus_dir)
    assert fresh.digest(ignore=VOLATILE) == index.digest(ignore=VOLATILE)


def test_a_changed_report_holds_only_what_the_pack_still_shares(
    settings: Settings, index: Index, ingestor: Ingestor, fake_embedder: HashEmbedder
) -> None:
    write_pack(settings.corpus_dir)
    write_report(settings.corpus_dir)
    ingestor.sync_folder(settings.corpus_dir)
    write_report(settings.corpus_dir, REPORT_P2_CHANGED)
    synced = ingestor.sync_folder(settings.corpus_dir)
    assert synced.ingested == [REPORT]
    all_texts = texts(index)
    assert len(all_texts) == len(set(all_texts))
    april = search(index, fake_embedder, "agree the new opening hours from the first of April")
    june = search(index, fake_embedder, "agree the new opening hours from the first of June instead")
    april_hit = next(p for p in april if "first of April" in p.text)
    june_hit = next(p for p in june if "first of June" in p.text)
    assert april_hit.doc_id.startswith("cabinet-2025-01-30-agenda-pack/") and april_hit.also_in == []
    assert june_hit.doc_id.startswith("library-opening-hours-report/") and june_hit.also_in == []
    summary = next(p for p in search(index, fake_embedder) if "six branch libraries" in p.text)
    assert summary.doc_id.startswith("library-opening-hours-report/") and summary.also_in == [(PACK, 2)]


def test_identical_bytes_under_another_name_are_still_skipped(
    settings: Settings, index: Index, ingestor: Ingestor
) -> None:
    write_pack(settings.corpus_dir)
    shutil.copy(settings.corpus_dir / PACK, settings.corpus_dir / "copy-of-the-pack.pdf")
    report = ingestor.sync_folder(settings.corpus_dir)
    assert report.duplicates == [("copy-of-the-pack.pdf", PACK)]
    assert f"copy-of-the-pack.pdf: already ingested as {PACK}; skipped" in report.summary().splitlines()
    assert report.held_copies == 0


# --- a writer killed while copies are settled -----------------------------------------------

#: Syncs the corpus folder into the index with the fake embedder, as a separate process that can be killed.
CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from fakes import HashEmbedder
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import Index
settings = Settings.from_env(env={}, index_dir=Path(sys.argv[1]), corpus_dir=Path(sys.argv[2]), collection_prefix="t")
Ingestor(settings, Index(settings), HashEmbedder()).sync_folder(settings.corpus_dir)
"""
TESTS = Path(__file__).resolve().parent


def _killed_sync(index_dir: Path, corpus: Path, fault: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRUTINEER_")}
    env.update({"PYTHONPATH": str(TESTS.parent), "ANONYMIZED_TELEMETRY": "False"})
    if fault:
        env[faults.ENV_VAR] = fault
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(index_dir), str(corpus), str(TESTS)],
        cwd=TESTS.parent, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == (-signal.SIGKILL if fault else 0), done.stderr[-2000:]


def _clean_digest(tmp_path: Path, corpus: Path) -> str:
    s = Settings.from_env(env={}, index_dir=tmp_path / "clean", corpus_dir=corpus, collection_prefix="t")
    index = Index(s)
    Ingestor(s, index, HashEmbedder()).sync_folder(corpus)
    return index.digest(ignore=VOLATILE)


@pytest.mark.parametrize(
    ("change", "fault"),
    [("add report", "mid_settle"), ("remove report", "mid_settle"), ("remove report", "mid_remove")],
)
def test_a_writer_killed_while_settling_copies_leaves_every_passage_searchable(
    tmp_path: Path, change: str, fault: str
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_pack(corpus)
    if change == "remove report":
        write_report(corpus)
    index_dir = tmp_path / "index"
    _killed_sync(index_dir, corpus, None)
    s = Settings.from_env(env={}, index_dir=index_dir, corpus_dir=corpus, collection_prefix="t")
    wanted = set(texts(Index(s)))
    if change == "add report":
        write_report(corpus)
    else:
        (corpus / REPORT).unlink()

    _killed_sync(index_dir, corpus, fault)
    index = Index(s)
    if change == "remove report":
        assert wanted <= set(texts(index))  # the pack's copies came back before the report's went

    ingestor = Ingestor(s, index, HashEmbedder())
    ingestor.recover()
    assert index.pending() == {}
    assert [r.id for r in index.get("records", where={"record_type": META_TYPE}) if r.id != "meta:generation"] == []
    all_texts = texts(index)
    assert len(all_texts) == len(set(all_texts)) and wanted <= set(all_texts)
    ingestor.sync_folder(corpus)
    assert index.digest(ignore=VOLATILE) == _clean_digest(tmp_path, corpus)
