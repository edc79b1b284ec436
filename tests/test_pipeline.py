"""The ingest pipeline against a real (embedded, temporary) Chroma index with a fake embedder:
incremental re-ingest, removal, bad files, the writer lock and the report."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import REALDOCS
from fakes import HashEmbedder
from pdf_factory import (
    make_corrupt_xref_pdf,
    make_empty,
    make_image_only_pdf,
    make_not_a_pdf,
    make_owner_password_pdf,
    make_png_named_pdf,
    make_text_pdf,
    make_truncated_pdf,
    make_user_password_pdf,
)

from ingest import pipeline
from ingest.errors import IngestBusyError
from ingest.pipeline import Ingestor, IngestReport, ParsedFile, build_rows, parse_pdf, writer_lock
from ingest.settings import Settings
from ingest.store import COLLECTIONS, Index

ROOT = Path(__file__).resolve().parent.parent

CABINET_P1 = """MINUTES OF THE CABINET
Thursday, 30 January 2025
Present: Councillor A Smith (Chair), Councillor B Jones and Councillor C Brown.
1. Apologies
Apologies for absence were received from Councillor D White and Councillor E Green.
2. Budget
The Cabinet considered the draft revenue budget for 2025/26 and the capital programme.
Members discussed the pressures on adult social care and the savings proposed.
RESOLVED that the budget be approved."""
CABINET_P2 = """3. Highways Maintenance
The Cabinet received a report on the condition of local roads and footways.
Officers explained that pothole repairs had increased over the winter months.
RESOLVED that the highways maintenance plan be noted.
4. Any Other Business
There was no other business and the meeting closed at 7.45 pm."""
CABINET_P2_CHANGED = """3. Library Opening Hours
The Cabinet received a report proposing longer opening hours at branch libraries.
Members welcomed the extra evening sessions for students and families.
RESOLVED that the new library opening hours be adopted from April.
4. Any Other Business
The Chair thanked the clerk, and the meeting closed at 8.10 pm."""
PLANNING_P1 = """MINUTES OF THE PLANNING COMMITTEE
Tuesday, 11 February 2025
Present: Councillor F Patel (Chair), Councillor G Okafor and Councillor H Evans.
1. Apologies
Apologies for absence were received from Councillor J Murphy.
2. Budget
The committee reviewed the planning service budget and the fees for pre-application advice.
RESOLVED that the planning fees schedule be approved."""
PLANNING_P2 = """3. Planning Applications
The committee considered an application for twelve homes on the former depot site.
The case officer summarised the objections about parking and drainage.
RESOLVED that planning permission be granted subject to conditions.
4. Date of Next Meeting
The next meeting will be held on 11 March 2025."""

A = "cabinet-2025-01-30.pdf"
B = "planning-2025-02-11.pdf"


# --- helpers -----------------------------------------------------------------


def file_digest(index: Index, source_file: str, ignore: tuple[str, ...] = ()) -> str:
    """sha256 over one file's rows in every collection: ids, texts and metadata (less ``ignore``)."""
    h = hashlib.sha256()
    for name in COLLECTIONS:
        for row in sorted(index.get(name, where={"source_file": source_file}), key=lambda r: r.id):
            meta = {k: v for k, v in row.metadata.items() if k not in ignore}
            h.update(f"{name}\0{row.id}\0{row.text}\0{json.dumps(meta, sort_keys=True)}\n".encode())
    return h.hexdigest()


def file_vectors(index: Index, source_file: str) -> dict[tuple[str, str], np.ndarray]:
    return {
        (name, row.id): row.vector
        for name in COLLECTIONS
        for row in index.get(name, where={"source_file": source_file}, include_vectors=True)
    }


def assert_same_vectors(before: dict[tuple[str, str], np.ndarray], after: dict[tuple[str, str], np.ndarray]) -> None:
    # Chroma re-normalises cosine vectors on write, so a rewritten vector may move by an ulp.
    assert before.keys() == after.keys()
    for key, vec in before.items():
        np.testing.assert_allclose(after[key], vec, atol=1e-6, err_msg=str(key))


def chunk_texts(index: Index, source_file: str) -> set[str]:
    return {row.text for row in index.get("chunks", where={"source_file": source_file})}


def index_hashes(index: Index) -> set[str]:
    return {
        row.metadata["content_hash"]
        for name in COLLECTIONS
        for row in index.get(name)
        if "content_hash" in row.metadata
    }


def row_hashes(parsed: ParsedFile) -> set[str]:
    return {r.metadata["content_hash"] for rows in build_rows(parsed).values() for r in rows}


def write_corpus(folder: Path) -> tuple[Path, Path]:
    return (
        make_text_pdf(folder / A, [CABINET_P1, CABINET_P2]),
        make_text_pdf(folder / B, [PLANNING_P1, PLANNING_P2]),
    )


@pytest.fixture
def synced(settings: Settings, ingestor: Ingestor) -> IngestReport:
    """The two minutes PDFs written to the corpus folder and synced once."""
    write_corpus(settings.corpus_dir)
    return ingestor.sync_folder(settings.corpus_dir)


# --- 1-5: ingest, unchanged, changed, removed, forced -------------------------


def test_ingest_folder_counts_match_index(settings: Settings, synced: IngestReport, index: Index) -> None:
    report = synced
    assert sorted(report.ingested) == [A, B]
    assert report.unchanged == report.removed == report.failed == []
    assert report.chunks > 0
    assert report.resolutions >= 2  # one "RESOLVED that …" per item with a decision at least
    assert report.documents == 2

    parsed = [parse_pdf(settings.corpus_dir / n, HashEmbedder.model_id, settings) for n in (A, B)]
    assert index.count("chunks") == report.chunks == sum(len(p.chunks) for p in parsed)
    assert index.count("sentences") == sum(len(p.sentences) for p in parsed) > 0
    files = 2
    assert index.count("records") == report.documents + report.resolutions + report.glossary + files
    assert set(index.file_records()) == {A, B}
    assert len(index.records("resolution")) == report.resolutions
    decisions = [row.text for row in index.records("resolution")]
    assert "RESOLVED that the budget be approved." in decisions
    for name, p in zip((A, B), parsed, strict=True):
        meta = index.file_records()[name]
        assert meta["chunks"] == len(p.chunks)
        assert meta["parser_version"] == pipeline.PARSER_VERSION
        assert meta["embedding_model"] == "fake-hash-64"
        assert meta["folder"] == str(settings.corpus_dir.resolve())
    # Every stored text was embedded exactly once (dedup by content hash).
    assert report.embedded == len(index_hashes(index))


def test_reingest_unchanged_embeds_nothing(
    settings: Settings, synced: IngestReport, ingestor: Ingestor, index: Index, fake_embedder: HashEmbedder
) -> None:
    before_digest, before_texts, before_calls = index.digest(), fake_embedder.texts_embedded, fake_embedder.calls
    report = ingestor.sync_folder(settings.corpus_dir)
    assert sorted(report.unchanged) == [A, B]
    assert report.ingested == report.removed == report.failed == []
    assert report.embedded == report.reused == report.chunks == 0
    assert fake_embedder.texts_embedded == before_texts
    assert fake_embedder.calls == before_calls
    assert index.digest() == before_digest


def test_changed_file_reembeds_only_changed_text(
    settings: Settings, synced: IngestReport, ingestor: Ingestor, index: Index, fake_embedder: HashEmbedder
) -> None:
    old_chunks = index.get("chunks", where={"source_file": A})
    old_page2 = {r.text for r in old_chunks if r.metadata["page_start"] == 2}
    old_page1 = {r.id: r.text for r in old_chunks if r.metadata["page_end"] == 1}
    assert old_page2 and old_page1
    b_digest = file_digest(index, B)
    known_hashes = index_hashes(index)
    texts_before = fake_embedder.texts_embedded

    make_text_pdf(settings.corpus_dir / A, [CABINET_P1, CABINET_P2_CHANGED])
    new_parsed = parse_pdf(settings.corpus_dir / A, HashEmbedder.model_id, settings)
    expected_new = row_hashes(new_parsed) - known_hashes
    total_texts = len(row_hashes(new_parsed))
    report = ingestor.sync_folder(settings.corpus_dir)

    assert report.ingested == [A]
    assert report.unchanged == [B]
    assert report.removed == report.failed == []
    grew = fake_embedder.texts_embedded - texts_before
    assert 0 < grew < total_texts
    assert grew == report.embedded == len(expected_new)
    assert report.reused > 0

    texts = chunk_texts(index, A)
    assert not (old_page2 & texts), "chunks of the replaced page are still in the index"
    assert any("Library Opening Hours" in t for t in texts)
    new_page1 = {r.id: r.text for r in index.get("chunks", where={"source_file": A}) if r.metadata["page_end"] == 1}
    assert new_page1 == old_page1
    decisions = {r.text for r in index.records("resolution", {"source_file": A})}
    assert "RESOLVED that the new library opening hours be adopted from April." in decisions
    assert "RESOLVED that the highways maintenance plan be noted." not in decisions
    assert index.count("chunks") == len(new_parsed.chunks) + len(index.get("chunks", where={"source_file": B}))
    assert file_digest(index, B) == b_digest
    assert index.file_records()[A]["sha256"] == pipeline.file_sha256(settings.corpus_dir / A)


def test_removed_file_leaves_no_rows(
    settings: Settings, synced: IngestReport, ingestor: Ingestor, index: Index
) -> None:
    b_digest = file_digest(index, B)
    (settings.corpus_dir / A).unlink()
    report = ingestor.sync_folder(settings.corpus_dir)
    assert report.removed == [A]
    assert report.unchanged == [B]
    assert report.ingested == report.failed == []
    for name in COLLECTIONS:
        assert index.get(name, where={"source_file": A}) == []
        assert all(row.metadata.get("source_file") != A for row in index.get(name))
    assert set(index.file_records()) == {B}
    assert file_digest(index, B) == b_digest
    # Removing again is a no-op.
    assert ingestor.sync_folder(settings.corpus_dir).removed == []


def test_sync_leaves_files_from_other_folders(
    settings: Settings, synced: IngestReport, ingestor: Ingestor, index: Index
) -> None:
    settings.upload_dir.mkdir(parents=True)
    upload = make_text_pdf(settings.upload_dir / "upload.pdf", [PLANNING_P2, CABINET_P2_CHANGED])
    assert ingestor.ingest_paths([upload]).ingested == ["upload.pdf"]
    report = ingestor.sync_folder(settings.corpus_dir)
    assert report.removed == []
    assert set(index.file_records()) == {A, B, "upload.pdf"}


def test_cli_rebuild_keeps_uploads_and_says_how_many(
    settings: Settings,
    synced: IngestReport,
    ingestor: Ingestor,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from assistant import cli
    from ingest.uploads import add_uploads

    incoming = make_text_pdf(tmp_path / "incoming.pdf", [PLANNING_P2, CABINET_P2_CHANGED])
    assert add_uploads([(incoming, "upload.pdf")], settings, ingestor).added == ["upload.pdf"]
    for name in ("index_dir", "corpus_dir", "upload_dir", "collection_prefix"):
        monkeypatch.setenv(f"SCRUTINEER_{name.upper()}", str(getattr(settings, name)))
    monkeypatch.setattr("ingest.embeddings.MiniLMEmbedder", lambda *args: HashEmbedder())

    assert cli.main(["ingest", "--rebuild"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 file(s) ingested, 0 unchanged, 0 removed, 0 failed\n")
    assert out.endswith(f"\n1 uploaded file(s) rebuilt from {settings.upload_dir}\n")
    index = Index(settings)  # the rebuild made new collections
    assert set(index.file_records()) == {A, B, "upload.pdf"}
    hits = index.query("chunks", HashEmbedder().vector("longer opening hours at branch libraries"), 1)
    assert hits[0][0].metadata["source_file"] == "upload.pdf"

    # A plain ingest finds an upload the index lacks and says so; with nothing to do, it says nothing.
    Ingestor(settings, index, HashEmbedder()).remove("upload.pdf")
    assert cli.main(["ingest"]) == 0
    assert capsys.readouterr().out.endswith(
        "\nuploads: upload.pdf: was in the upload folder but not in the index; it has been ingested\n"
    )
    assert cli.main(["ingest"]) == 0
    assert "upload" not in capsys.readouterr().out


def test_force_reparses_but_reuses_vectors(
    settings: Settings, synced: IngestReport, ingestor: Ingestor, index: Index, fake_embedder: HashEmbedder
) -> None:
    digests = {n: file_digest(index, n, ignore=("ingested_at",)) for n in (A, B)}
    vectors = {n: file_vectors(index, n) for n in (A, B)}
    texts_before, calls_before = fake_embedder.texts_embedded, fake_embedder.calls
    report = ingestor.sync_folder(settings.corpus_dir, force=True)
    assert sorted(report.ingested) == [A, B]
    assert report.unchanged == []
    assert report.chunks == synced.chunks
    assert report.embedded == 0
    assert report.reused > 0
    assert (fake_embedder.texts_embedded, fake_embedder.calls) == (texts_before, calls_before)
    assert {n: file_digest(index, n, ignore=("ingested_at",)) for n in (A, B)} == digests
    for n in (A, B):
        assert_same_vectors(vectors[n], file_vectors(index, n))


def test_new_parser_version_reparses_without_reembedding(
    settings: Settings,
    synced: IngestReport,
    ingestor: Ingestor,
    index: Index,
    fake_embedder: HashEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts_before = fake_embedder.texts_embedded
    monkeypatch.setattr(pipeline, "PARSER_VERSION", "test-next")
    report = ingestor.sync_folder(settings.corpus_dir)
    assert sorted(report.ingested) == [A, B]
    assert report.embedded == 0
    assert fake_embedder.texts_embedded == texts_before
    assert {m["parser_version"] for m in index.file_records().values()} == {"test-next"}


def test_new_embedding_model_reembeds(settings: Settings, synced: IngestReport, index: Index) -> None:
    class OtherModel(HashEmbedder):
        model_id = "fake-hash-64-other"

    other = OtherModel()
    report = Ingestor(settings, index, other).sync_folder(settings.corpus_dir)
    assert sorted(report.ingested) == [A, B]
    assert report.reused == 0
    assert other.texts_embedded == report.embedded > 0


# --- 6-7: bad inputs ---------------------------------------------------------

BAD_FILES = {
    "empty.pdf": (make_empty, "empty"),
    "notes.pdf": (make_not_a_pdf, "not a PDF"),
    "image.pdf": (make_png_named_pdf, "PNG"),
    "truncated.pdf": (make_truncated_pdf, "damaged"),
    "xref.pdf": (make_corrupt_xref_pdf, "damaged"),
    "locked.pdf": (lambda p: make_user_password_pdf(p, [CABINET_P1]), "password"),
    "scan.pdf": (make_image_only_pdf, "no text layer"),
}


def test_bad_files_fail_clearly_and_lose_nothing(
    settings: Settings, synced: IngestReport, ingestor: Ingestor, index: Index, tmp_path: Path
) -> None:
    digests = {n: file_digest(index, n) for n in (A, B)}
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = [make(bad_dir / name) for name, (make, _) in BAD_FILES.items()]
    good = make_text_pdf(bad_dir / "good.pdf", [PLANNING_P2])
    owner = make_owner_password_pdf(bad_dir / "owner-only.pdf", [CABINET_P2_CHANGED])
    missing = bad_dir / "missing.pdf"

    report = ingestor.ingest_paths([*bad[:3], good, *bad[3:], missing, owner])

    assert report.ingested == ["good.pdf", "owner-only.pdf"]
    failed = dict(report.failed)
    assert len(report.failed) == len(failed) == len(BAD_FILES) + 1
    for name, (_, phrase) in BAD_FILES.items():
        assert failed[name].startswith(f"{name}: "), failed[name]
        assert phrase.lower() in failed[name].lower(), failed[name]
    assert failed["missing.pdf"] == "missing.pdf: file not found"
    assert set(index.file_records()) == {A, B, "good.pdf", "owner-only.pdf"}
    assert {n: file_digest(index, n) for n in (A, B)} == digests
    for name in [*BAD_FILES, "missing.pdf"]:
        for collection in COLLECTIONS:
            assert index.get(collection, where={"source_file": name}) == []
    assert any("Library Opening Hours" in t for t in chunk_texts(index, "owner-only.pdf"))


def test_bad_new_version_keeps_previous_rows(
    settings: Settings, synced: IngestReport, ingestor: Ingestor, index: Index
) -> None:
    before = index.digest()
    (settings.corpus_dir / A).write_bytes(b"\x00garbage, not a PDF any more\xff" * 10)
    report = ingestor.sync_folder(settings.corpus_dir)
    assert [name for name, _ in report.failed] == [A]
    assert "not a PDF" in report.failed[0][1]
    assert report.removed == [] and report.unchanged == [B]
    assert index.digest() == before

    make_truncated_pdf(settings.corpus_dir / A)
    report = ingestor.ingest_paths([settings.corpus_dir / A])
    assert [name for name, _ in report.failed] == [A]
    assert "damaged" in report.failed[0][1]
    assert index.digest() == before


def test_missing_folder_fails_clearly(settings: Settings, ingestor: Ingestor) -> None:
    with pytest.raises(pipeline.IngestError, match="corpus folder does not exist"):
        ingestor.sync_folder(settings.corpus_dir / "nope")


# --- 8: writer lock ----------------------------------------------------------


def _assert_busy(ingestor: Ingestor, paths: list[Path], timeout: float) -> None:
    started = time.monotonic()
    with pytest.raises(IngestBusyError, match="another ingest is writing"):
        ingestor.ingest_paths(paths)
    waited = time.monotonic() - started
    assert timeout <= waited < timeout + 1.0


def test_writer_lock_in_process(settings: Settings, ingestor: Ingestor, index: Index) -> None:
    # flock belongs to the open file description, so another thread of this process conflicts too.
    paths = list(write_corpus(settings.corpus_dir))
    errors: list[BaseException] = []

    def other_writer() -> None:
        try:
            _assert_busy(ingestor, paths, settings.lock_timeout_s)
            with pytest.raises(IngestBusyError):
                ingestor.remove(A)
        except BaseException as exc:  # pytest.raises failures are not Exceptions; reported below
            errors.append(exc)

    with writer_lock(settings):
        thread = threading.Thread(target=other_writer)
        thread.start()
        thread.join()
        assert errors == []
        assert index.count("chunks") == 0
        # The thread holding the lock may take it again (uploads store and ingest under one lock).
        assert sorted(ingestor.ingest_paths(paths).ingested) == [A, B]
    assert sorted(ingestor.ingest_paths(paths).unchanged) == [A, B]


def test_writer_lock_held_by_another_process(settings: Settings, ingestor: Ingestor, index: Index) -> None:
    paths = list(write_corpus(settings.corpus_dir))
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys\n"
            "handle = open(sys.argv[1], 'w')\n"
            "fcntl.flock(handle, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "sys.stdin.readline()\n",
            str(settings.index_dir / "ingest.lock"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        _assert_busy(ingestor, paths, settings.lock_timeout_s)
    finally:
        holder.communicate("\n", timeout=10)
    assert holder.returncode == 0
    assert index.count("chunks") == 0
    assert sorted(ingestor.ingest_paths(paths).ingested) == [A, B]


# --- 9: the report -----------------------------------------------------------


def test_report_summary_names_every_count() -> None:
    report = IngestReport(
        ingested=["a.pdf", "b.pdf"],
        unchanged=["c.pdf"],
        removed=[],
        failed=[("d.pdf", "d.pdf: is empty")],
        documents=3,
        sections=17,
        chunks=42,
        resolutions=5,
        glossary=9,
        embedded=30,
        reused=12,
        seconds=1.25,
    )
    text = report.summary()
    for phrase in (
        "2 file(s) ingested",
        "1 unchanged",
        "0 removed",
        "1 failed",
        "3 documents",
        "17 sections",
        "42 chunks",
        "5 resolutions",
        "9 glossary entries",
        "30 texts embedded",
        "12 reused",
        "1.2 s",
    ):
        assert phrase in text, (phrase, text)
    assert report.as_dict()["failed"] == [("d.pdf", "d.pdf: is empty")]


def test_report_summary_of_a_real_run(synced: IngestReport) -> None:
    text = synced.summary()
    for count, noun in (
        (synced.documents, "documents"),
        (synced.sections, "sections"),
        (synced.chunks, "chunks"),
        (synced.resolutions, "resolutions"),
        (synced.glossary, "glossary entries"),
    ):
        assert f"{count} {noun}" in text


# --- real minutes -------------------------------------------------------------

REAL_MINUTES = [
    REALDOCS / "uk_kent-cc_corporate-parenting-panel_minutes_2024-12-10.pdf",
    REALDOCS / "us_east-palo-alto-ca_planning-commission_minutes_2020-01-27.pdf",
]


def test_real_minutes_sync_and_resync(
    settings: Settings, ingestor: Ingestor, index: Index, fake_embedder: HashEmbedder
) -> None:
    for path in REAL_MINUTES:
        (settings.corpus_dir / path.name).write_bytes(path.read_bytes())
    report = ingestor.sync_folder(settings.corpus_dir)
    assert report.ingested == sorted(p.name for p in REAL_MINUTES)
    assert report.failed == []
    assert report.resolutions > 0
    parsed = [parse_pdf(settings.corpus_dir / p.name, HashEmbedder.model_id, settings) for p in REAL_MINUTES]
    for name in COLLECTIONS:
        expected = sum(len(build_rows(p)[name]) for p in parsed) + (len(parsed) if name == "records" else 0)
        assert index.count(name) == expected, name
    assert report.embedded == fake_embedder.texts_embedded == len(index_hashes(index))

    before, texts = index.digest(), fake_embedder.texts_embedded
    again = ingestor.sync_folder(settings.corpus_dir)
    assert again.unchanged == report.ingested
    assert fake_embedder.texts_embedded == texts
    assert index.digest() == before


# --- names that would share row ids ---------------------------------------------


def test_files_whose_names_slugify_alike_are_refused(settings: Settings, ingestor: Ingestor, index: Index) -> None:
    """Row ids start with the file's slug: a second file with the same slug would overwrite the
    first's rows, so it is refused with a clear error and the first file is untouched."""
    first = make_text_pdf(settings.corpus_dir / "Cabinet Minutes.pdf", [CABINET_P1])
    second = make_text_pdf(settings.corpus_dir / "cabinet-minutes.pdf", [CABINET_P1.replace("D White", "K Black")])
    report = ingestor.ingest_paths([first, second])
    assert report.ingested == ["Cabinet Minutes.pdf"]
    assert report.failed == [
        (
            "cabinet-minutes.pdf",
            "cabinet-minutes.pdf: its name is too close to the already ingested 'Cabinet Minutes.pdf' "
            "(both become 'cabinet-minutes'); rename it",
        )
    ]
    name = "Cabinet Minutes.pdf"
    assert len(index.get("chunks", where={"source_file": name})) == index.file_records()[name]["chunks"]


def test_same_name_from_another_folder_is_refused_unless_identical(
    settings: Settings, ingestor: Ingestor, index: Index
) -> None:
    original = make_text_pdf(settings.corpus_dir / "cabinet.pdf", [CABINET_P1])
    assert ingestor.ingest_paths([original]).ingested == ["cabinet.pdf"]
    before = index.digest()
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    same = settings.upload_dir / "cabinet.pdf"
    same.write_bytes(original.read_bytes())
    assert ingestor.ingest_paths([same]).unchanged == ["cabinet.pdf"]
    other = make_text_pdf(settings.upload_dir / "cabinet.pdf", [CABINET_P1.replace("D White", "K Black")])
    report = ingestor.ingest_paths([other])
    assert len(report.failed) == 1 and "a different file with this name is already ingested" in report.failed[0][1]
    assert index.digest() == before


# --- 10: nothing about one council in the code ----------------------------------

BANNED = re.compile(r"barking|dagenham|bdms|ofsted", re.IGNORECASE)


def test_code_names_no_particular_council() -> None:
    files = sorted((ROOT / "ingest").glob("*.py")) + sorted((ROOT / "assistant").glob("*.py"))
    if (ROOT / "app.py").exists():
        files.append(ROOT / "app.py")
    assert len(files) > 10
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in files
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if BANNED.search(line)
    ]
    assert hits == []


def test_a_bad_search_breadth_is_refused_by_its_setting_name() -> None:
    with pytest.raises(ValueError, match=r"^SCRUTINEER_HNSW_EF_SEARCH=-5 must be 1 or more$"):
        Settings.from_env(env={"SCRUTINEER_HNSW_EF_SEARCH": "-5"})
    with pytest.raises(ValueError, match=r"^SCRUTINEER_HNSW_EF_SEARCH='wide' is not a valid"):
        Settings.from_env(env={"SCRUTINEER_HNSW_EF_SEARCH": "wide"})
