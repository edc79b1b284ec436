"""The lexical (BM25) index: tokenizer outputs, search, and staying in step with Chroma
through the generation stamp (reload when unchanged, rebuild when changed or corrupt)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import bm25s
import numpy as np
import pytest
from fakes import HashEmbedder
from pdf_factory import make_text_pdf

from ingest import lexical
from ingest.lexical import CURRENT_FILE, LexicalIndex, LiveLexicalIndex, lexical_dir, tokenize
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import META_ID, Index, Row

BUDGET = """MINUTES OF THE OVERVIEW AND SCRUTINY COMMITTEE
Wednesday, 24 January 2024
Present: Councillor A Smith (Chair) and Councillor B Jones.
1. Budget Strategy
The Council was facing an expected budget gap of £23.335m for 2024/25.
Council tax was expected to increase by 4.99%.
RESOLVED that the budget strategy be noted."""
PLACEMENTS = """2. Children's Placements
The TCLPM programme reviewed the cost of placements for looked after children.
Members asked about the multi-agency safeguarding hub and its referrals.
RESOLVED that the placements report be noted."""
LIBRARIES = """MINUTES OF THE CABINET
Thursday, 30 January 2025
Present: Councillor C Brown (Chair).
1. Library Opening Hours
The Cabinet agreed longer opening hours at the Thameside branch library.
RESOLVED that the new library opening hours be adopted from April."""

FIRST = "scrutiny-2024-01-24.pdf"
SECOND = "cabinet-2025-01-30.pdf"


@pytest.fixture
def ingestor(
    settings: Settings, index: Index, fake_embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch
) -> Ingestor:
    """An ingestor that leaves the lexical index alone, so these tests see load_or_build and
    refresh_if_stale do all the work (the ingest-time build is tested on its own below)."""
    ingestor = Ingestor(settings, index, fake_embedder)
    monkeypatch.setattr(ingestor, "refresh_derived", lambda: None)
    return ingestor


def test_ingest_saves_a_lexical_index_for_the_new_generation(
    settings: Settings, index: Index, fake_embedder: HashEmbedder
) -> None:
    ingestor = Ingestor(settings, index, fake_embedder)
    path = make_text_pdf(settings.corpus_dir / FIRST, [BUDGET, PLACEMENTS])
    assert ingestor.ingest_paths([path]).ingested == [FIRST]
    saved = LexicalIndex.load(lexical_dir(settings))
    assert saved.generation == index.generation()
    assert saved.search("£23.335m", 3)
    path.unlink()
    assert ingestor.sync_folder(settings.corpus_dir).removed == [FIRST]
    saved = LexicalIndex.load(lexical_dir(settings))
    assert saved.generation == index.generation()
    assert saved.search("£23.335m", 3) == []


@pytest.fixture
def ingested(settings: Settings, ingestor: Ingestor) -> Path:
    path = make_text_pdf(settings.corpus_dir / FIRST, [BUDGET, PLACEMENTS])
    assert ingestor.ingest_paths([path]).ingested == [FIRST]
    return path


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Records the generation of every LexicalIndex.build call."""
    calls: list[str | None] = []
    original = LexicalIndex.build.__func__  # type: ignore[attr-defined]

    def counting(cls: type[LexicalIndex], index: Index) -> LexicalIndex:
        built = original(cls, index)
        calls.append(built.generation)
        return built

    monkeypatch.setattr(LexicalIndex, "build", classmethod(counting))
    return calls


def texts_of(index: Index, hits: list[tuple[str, float]]) -> list[str]:
    rows = {row.id: row.text for row in index.get("chunks", ids=[chunk_id for chunk_id, _ in hits])}
    return [rows[chunk_id] for chunk_id, _ in hits]


# --- tokenizer ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("£23.335m", ["£23.335m", "23.335m", "23.335"]),
        ("a gap of £23.335m.", ["gap", "£23.335m", "23.335m", "23.335"]),
        ("£1,234,567 and £500", ["£1234567", "1234567", "£500", "500"]),
        ("£1.2bn", ["£1.2bn", "1.2bn", "1.2"]),
        ("for 2024/25", ["2024/25", "2024"]),
        ("in 16/17", ["16/17"]),
        ("2024-25 and 2024–25", ["2024-25", "2024/25", "2024", "25", "2024-25", "2024/25", "2024", "25"]),
        ("increase by 4.99%", ["increase", "4.99%", "4.99"]),
        ("TCLPM, FS&S and the S151 officer", ["tclpm", "fs&s", "s151", "officer"]),
        ("multi-agency hub", ["multi-agency", "multi", "agency", "hub"]),
        ("out-of-date", ["out-of-date", "out", "date"]),
        ("12-month programme", ["12-month", "12", "month", "programme"]),
        ("the Council's reserves, the councils’ KPI's", ["council", "reserves", "councils", "kpi"]),
        ("O’Brien and Cllr Paddle", ["obrien", "cllr", "paddle"]),
        ("item 39. At 7.45 pm", ["item", "39", "7.45", "pm"]),
        ("e.g. the U.K. and/or Wales", ["eg", "uk", "wales"]),
        ("What is the cost of it?", ["cost"]),
        ("the 1 of 2 and 0", ["1", "2", "0"]),
        ("100% 2nd", ["100%", "100", "2nd", "2"]),
        ("on 13/03/2024", ["13/03/2024", "2024"]),
        ("", []),
        ("the of and to a in", []),
    ],
)
def test_tokenize_exact(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_tokenize_folds_ligatures_and_case() -> None:
    assert tokenize("ﬁnance ﬁgures") == tokenize("FINANCE Figures") == ["finance", "figures"]


# --- the generation stamp in Chroma ---------------------------------------------


def test_generation_changes_on_every_content_write_and_is_not_content(
    settings: Settings, ingestor: Ingestor, index: Index
) -> None:
    assert index.generation() is None
    first = make_text_pdf(settings.corpus_dir / FIRST, [BUDGET, PLACEMENTS])
    ingestor.ingest_paths([first])
    g1 = index.generation()
    assert g1 is not None and len(g1) == 32
    records = index.count("records")
    assert records == len(index.get("records")) - 1  # the meta record is not counted
    assert set(index.file_records()) == {FIRST}
    digest = index.digest()

    assert ingestor.ingest_paths([first]).unchanged == [FIRST]
    assert index.generation() == g1  # nothing written, nothing changed

    index.bump_generation(HashEmbedder().dimension)
    assert index.generation() not in (None, g1)
    assert index.digest() == digest  # the digest compares content only

    g2 = index.generation()
    assert index.remove_file("no-such-file.pdf") == 0
    assert index.generation() == g2
    assert index.remove_file(FIRST) > 0
    assert index.generation() not in (g1, g2)
    assert index.count("records") == index.count("chunks") == 0
    assert index.get("records", ids=[META_ID])[0].metadata["source_file"] == "__meta__"


def test_meta_record_never_comes_back_from_a_records_search(ingested: Path, index: Index) -> None:
    dim = HashEmbedder().dimension
    meta_vector = np.full(dim, 1 / np.sqrt(dim), dtype=np.float32)
    hits = index.query("records", meta_vector, 1000)
    assert hits and META_ID not in {row.id for row, _ in hits}
    filtered = index.query("records", meta_vector, 1000, where={"record_type": "file"})
    assert [row.id for row, _ in filtered] == [f"file:{FIRST}"]


# --- search ---------------------------------------------------------------------


@pytest.mark.parametrize("query", ["23.335m", "£23.335m", "What was the budget gap of £23.335m?"])
def test_search_finds_the_sum_of_money(ingested: Path, index: Index, query: str) -> None:
    hits = LexicalIndex.build(index).search(query, 3)
    assert hits and "£23.335m" in texts_of(index, hits)[0]
    assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)


def test_search_finds_acronyms_and_years(ingested: Path, index: Index) -> None:
    lex = LexicalIndex.build(index)
    assert "TCLPM" in texts_of(index, lex.search("TCLPM", 3))[0]
    assert "2024/25" in texts_of(index, lex.search("the budget for 2024/25", 3))[0]
    assert "4.99%" in texts_of(index, lex.search("4.99%", 3))[0]
    assert "multi-agency" in texts_of(index, lex.search("agency", 3))[0]


def test_search_returns_only_matching_chunks_and_nothing_for_empty_queries(ingested: Path, index: Index) -> None:
    lex = LexicalIndex.build(index)
    assert len(lex) == index.count("chunks") > 1
    assert lex.search("the of and", 5) == []
    assert lex.search("", 5) == []
    assert lex.search("zebra crossing", 5) == []
    assert lex.search("TCLPM", 0) == []
    hits = lex.search("TCLPM", 50)
    assert len(hits) == 1 and all(score > 0 for _, score in hits)


def test_allowed_ids_filter(ingested: Path, index: Index) -> None:
    lex = LexicalIndex.build(index)
    best = lex.search("£23.335m", 1)[0][0]
    others = {row.id for row in index.get("chunks")} - {best}
    assert best not in {chunk_id for chunk_id, _ in lex.search("£23.335m budget", 10, allowed_ids=others)}
    assert [chunk_id for chunk_id, _ in lex.search("£23.335m", 10, allowed_ids={best, "unknown"})] == [best]
    assert lex.search("£23.335m", 10, allowed_ids=set()) == []


def test_empty_index_searches_to_nothing_and_saves(settings: Settings, index: Index) -> None:
    index.bump_generation(HashEmbedder().dimension)  # an index whose files were all removed
    lex = LexicalIndex.load_or_build(index, settings)
    assert len(lex) == 0 and lex.search("budget", 5) == []
    assert LexicalIndex.load(lexical_dir(settings)).generation == index.generation()


def test_titles_are_indexed(index: Index) -> None:
    vec = np.ones(4, dtype=np.float32) / 2
    index.upsert(
        "chunks",
        [
            Row("c1", "Members noted the report.", {"section_title": "Thameside Library", "doc_title": "Cabinet"}, vec),
            Row("c2", "Members agreed the plan.", {"section_title": "Highways", "doc_title": "Cabinet"}, vec),
        ],
    )
    lex = LexicalIndex.build(index)
    assert [chunk_id for chunk_id, _ in lex.search("Thameside library", 5)] == ["c1"]
    assert {chunk_id for chunk_id, _ in lex.search("members cabinet", 5)} == {"c1", "c2"}


# --- persistence and staleness ------------------------------------------------------


def test_saved_index_is_reloaded_without_rebuild_while_generation_is_unchanged(
    settings: Settings, ingested: Path, index: Index, builds: list[str | None]
) -> None:
    first = LexicalIndex.load_or_build(index, settings)
    assert builds == [index.generation()]
    assert (lexical_dir(settings) / CURRENT_FILE).is_file()

    again = LexicalIndex.load_or_build(index, settings)
    assert builds == [index.generation()]  # loaded from disk, not rebuilt
    assert again is not first and again.ids == first.ids and again.generation == first.generation
    assert again.search("£23.335m", 3) == first.search("£23.335m", 3)
    assert first.refresh_if_stale(index) is first
    assert len(builds) == 1


def test_new_file_changes_generation_and_is_found_after_refresh(
    settings: Settings, ingested: Path, ingestor: Ingestor, index: Index, builds: list[str | None]
) -> None:
    before = LexicalIndex.load_or_build(index, settings)
    assert before.search("Thameside", 5) == []

    ingestor.ingest_paths([make_text_pdf(settings.corpus_dir / SECOND, [LIBRARIES])])
    after = before.refresh_if_stale(index)
    assert after is not before and after.generation == index.generation() != before.generation
    assert len(builds) == 2
    assert "Thameside" in texts_of(index, after.search("Thameside library", 3))[0]
    assert before.search("Thameside", 5) == []  # the old object is untouched

    reloaded = LexicalIndex.load_or_build(index, settings)  # another process starting now
    assert len(builds) == 2 and reloaded.ids == after.ids


def test_removed_file_chunks_are_no_longer_returned(
    settings: Settings, ingested: Path, ingestor: Ingestor, index: Index
) -> None:
    ingestor.ingest_paths([make_text_pdf(settings.corpus_dir / SECOND, [LIBRARIES])])
    lex = LexicalIndex.load_or_build(index, settings)
    removed_ids = {row.id for row in index.get("chunks", where={"source_file": FIRST})}
    assert removed_ids & {chunk_id for chunk_id, _ in lex.search("£23.335m TCLPM", 10)}

    assert ingestor.remove(FIRST)
    fresh = lex.refresh_if_stale(index)
    assert fresh is not lex
    assert fresh.search("£23.335m TCLPM", 10) == []
    assert not removed_ids & set(fresh.ids)
    assert fresh.search("library", 3)


@pytest.mark.parametrize("victim", ["data.csc.index.npy", "vocab.index.json", "lexical.json", CURRENT_FILE])
def test_corrupt_saved_index_is_rebuilt_with_a_warning(
    settings: Settings,
    ingested: Path,
    index: Index,
    builds: list[str | None],
    caplog: pytest.LogCaptureFixture,
    victim: str,
) -> None:
    directory = lexical_dir(settings)
    LexicalIndex.load_or_build(index, settings)
    current = directory / (directory / CURRENT_FILE).read_text(encoding="utf-8")
    target = directory / CURRENT_FILE if victim == CURRENT_FILE else current / victim
    target.write_bytes(b"\x00\xffgarbage\x93NUMPY")

    with caplog.at_level(logging.WARNING, logger="ingest.lexical"):
        rebuilt = LexicalIndex.load_or_build(index, settings)
    assert len(builds) == 2
    assert "could not be loaded" in caplog.text
    assert "£23.335m" in texts_of(index, rebuilt.search("£23.335m", 1))[0]
    assert LexicalIndex.load(directory).ids == rebuilt.ids  # the rebuilt index was saved


def test_inconsistent_saved_index_is_rebuilt(
    settings: Settings, ingested: Path, index: Index, builds: list[str | None]
) -> None:
    directory = lexical_dir(settings)
    lex = LexicalIndex.load_or_build(index, settings)
    # Well-formed files that do not belong together: ids of a different length than the model.
    short = LexicalIndex(lex._model, lex.ids[:1], lex.generation)
    short.save(directory)
    assert LexicalIndex.load_or_build(index, settings).ids == lex.ids
    assert len(builds) == 2


def test_failed_save_leaves_the_previous_index_current(
    settings: Settings, ingested: Path, ingestor: Ingestor, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = lexical_dir(settings)
    old = LexicalIndex.load_or_build(index, settings)
    ingestor.ingest_paths([make_text_pdf(settings.corpus_dir / SECOND, [LIBRARIES])])

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(bm25s.BM25, "save", crash)
    new = LexicalIndex.load_or_build(index, settings)  # still works, unsaved
    assert new.search("Thameside", 3)
    assert LexicalIndex.load(directory).generation == old.generation
    assert not [p for p in directory.iterdir() if p.name.startswith(lexical.TMP_PREFIX)]


def test_old_builds_are_cleaned_up(settings: Settings, ingested: Path, index: Index) -> None:
    directory = lexical_dir(settings)
    for _ in range(4):
        index.bump_generation(HashEmbedder().dimension)
        LexicalIndex.load_or_build(index, settings)
    builds = [p for p in directory.iterdir() if p.name.startswith(lexical.BUILD_PREFIX)]
    assert len(builds) == lexical.KEEP_BUILDS
    assert LexicalIndex.load(directory).generation == index.generation()


def test_index_without_generation_is_built_in_memory_each_time(
    settings: Settings, ingested: Path, index: Index, builds: list[str | None]
) -> None:
    index.delete("records", [META_ID])  # as an index last written before generation stamps
    lex = LexicalIndex.load_or_build(index, settings)
    assert lex.generation is None and lex.search("TCLPM", 1)
    assert not (lexical_dir(settings) / CURRENT_FILE).exists()
    assert lex.refresh_if_stale(index) is lex
    LexicalIndex.load_or_build(index, settings)
    assert builds == [None, None]


# --- long-running readers ----------------------------------------------------------


def test_live_index_checks_at_most_once_per_interval(
    settings: Settings, ingested: Path, ingestor: Ingestor, index: Index
) -> None:
    live = LiveLexicalIndex(index, interval_s=3600.0)
    first = live.current()
    ingestor.ingest_paths([make_text_pdf(settings.corpus_dir / SECOND, [LIBRARIES])])
    assert live.current() is first and live.search("Thameside", 3) == []

    eager = LiveLexicalIndex(index, interval_s=0.0)
    assert eager.search("Thameside", 3)


def test_refresh_now_catches_up_at_once_after_this_process_ingests(
    settings: Settings, ingested: Path, ingestor: Ingestor, index: Index
) -> None:
    live = LiveLexicalIndex(index, interval_s=3600.0)
    ingestor.ingest_paths([make_text_pdf(settings.corpus_dir / SECOND, [LIBRARIES])])
    assert live.search("Thameside", 3) == []  # within the interval: not yet
    live.refresh_now()
    assert "Thameside" in texts_of(index, live.search("Thameside library", 3))[0]


def test_assistant_refresh_makes_a_new_upload_searchable_by_its_words(
    settings: Settings, ingested: Path, ingestor: Ingestor, index: Index, fake_embedder
) -> None:
    from assistant.service import Assistant

    assistant = Assistant(settings, index=index, embedder=fake_embedder)
    assert assistant.lexical.search("Thameside", 3) == []
    ingestor.ingest_paths([make_text_pdf(settings.corpus_dir / SECOND, [LIBRARIES])])
    assistant.refresh()  # what the app does after an upload
    assert "Thameside" in texts_of(index, assistant.lexical.search("Thameside library", 3))[0]


def test_searching_while_another_thread_refreshes_never_fails(settings: Settings, ingested: Path, index: Index) -> None:
    live = LiveLexicalIndex(index, interval_s=0.0)
    errors: list[BaseException] = []
    stop = threading.Event()

    def searcher() -> None:
        try:
            while not stop.is_set():
                hits = live.search("£23.335m budget", 5)
                assert hits and hits[0][1] > 0
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(5):
            index.bump_generation(HashEmbedder().dimension)
            live.current()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert errors == []
    assert live.current().generation == index.generation()
