"""Bad and hostile files, through the library (``Ingestor.ingest_paths``) and the CLI: each gets a
clear error naming the file and the problem, the process carries on, and the index (its digest
over every id, text and metadata) is exactly as before, except for the good files.

Every file is generated here (``pdf_factory``); none is committed. The embedder is the fake
``HashEmbedder`` (as ``all-MiniLM-L6-v2`` with 384 dimensions where the real CLI shares the
index), so nothing here loads the model: a bad file never reaches embedding.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes import HashEmbedder
from minutes import CABINET, ENVIRONMENT, PLANNING
from pdf_factory import (
    make_corrupt_xref_pdf,
    make_deep_page_tree_pdf,
    make_deeply_nested_pdf,
    make_empty,
    make_huge_page_pdf,
    make_image_only_pdf,
    make_many_pages_pdf,
    make_nested_form_pdf,
    make_not_a_pdf,
    make_png_named_pdf,
    make_self_referencing_pdf,
    make_text_pdf,
    make_truncated_pdf,
    make_unmapped_glyphs_pdf,
    make_user_password_pdf,
    text_pdf_bytes,
)

from assistant import cli
from ingest import pipeline
from ingest.errors import IngestError
from ingest.pipeline import Ingestor, IngestReport, parse_pdf
from ingest.settings import Settings
from ingest.store import COLLECTIONS, Index

ROOT = Path(__file__).resolve().parent.parent

LIBRARIES = """MINUTES OF THE COMMUNITIES COMMITTEE
Wednesday, 5 March 2025
Present: Councillor H Evans (Chair) and Councillor J Murphy.
1. Library Opening Hours
The committee welcomed longer opening hours at the branch libraries on Thursday evenings.
RESOLVED that the new library opening hours be adopted from April."""

A = "cabinet-2025-01-30.pdf"
B = "planning-2025-02-11.pdf"
MINILM_ID = "all-MiniLM-L6-v2"
MINILM_DIM = 384

DAMAGED = "is damaged or incomplete and cannot be read as a PDF; try downloading or saving it again"
MALFORMED_DEEP = (
    "is malformed: its objects are nested too deeply to be read safely; save it again from the program that made it"
)
NO_WORDS = "has no text layer (it looks like a scanned image), and OCR found no words on its pages"

#: name → (how to make it, the exact message after "<name>: ").
HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "empty.pdf": (make_empty, "is empty (0 bytes); it may not have finished downloading"),
    "notes.pdf": (make_not_a_pdf, "is not a PDF file (it looks like plain text); only PDFs can be ingested"),
    "photo.pdf": (make_png_named_pdf, "is not a PDF file (it looks like a PNG image); only PDFs can be ingested"),
    "truncated.pdf": (make_truncated_pdf, DAMAGED),
    "bad-xref.pdf": (make_corrupt_xref_pdf, DAMAGED),
    "locked.pdf": (
        lambda p: make_user_password_pdf(p, [CABINET]),
        "is protected by a password; remove the password and try again",
    ),
    # OCR looks at both and finds no words: a small grey square, and glyphs PDFium draws as nothing.
    "scan.pdf": (make_image_only_pdf, NO_WORDS),
    "glyphs.pdf": (lambda p: make_unmapped_glyphs_pdf(p, "notdef"), NO_WORDS),
    "5000-pages.pdf": (
        make_many_pages_pdf,
        "has 5,000 pages, more than the 2,000 allowed (SCRUTINEER_MAX_PAGES); split it or raise the limit",
    ),
    "loop.pdf": (
        make_self_referencing_pdf,
        "is malformed: its page tree refers back to itself; save it again from the program that made it",
    ),
    "deep-tree.pdf": (make_deep_page_tree_pdf, MALFORMED_DEEP),
    "nested.pdf": (make_deeply_nested_pdf, MALFORMED_DEEP),
    "huge-page.pdf": (
        lambda p: make_huge_page_pdf(p, megabytes=2.0),
        "page 1 holds more than 100,000 characters of text, far more than a printed page can"
        " (SCRUTINEER_MAX_PAGE_CHARS); it may be damaged or machine-generated",
    ),
    "folder.pdf": (lambda p: (p.mkdir(), p)[1], "is a folder, not a PDF file"),
}


class MiniLMStandIn(HashEmbedder):
    """Writes rows the real CLI accepts as its own (same model id and dimension), so a CLI run
    over this index finds everything already embedded and never loads the model."""

    model_id = MINILM_ID

    def __init__(self) -> None:
        super().__init__(dimension=MINILM_DIM)


def make_hostile(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [make(folder / name) for name, (make, _) in HOSTILE.items()]


def rows_of(index: Index, source_file: str) -> int:
    return sum(len(index.get(name, where={"source_file": source_file})) for name in COLLECTIONS)


@pytest.fixture
def ingestor(settings: Settings, index: Index) -> Ingestor:
    return Ingestor(settings, index, MiniLMStandIn())


@pytest.fixture
def base(settings: Settings, ingestor: Ingestor) -> IngestReport:
    """Two good minutes in the corpus folder, ingested."""
    make_text_pdf(settings.corpus_dir / A, [CABINET])
    make_text_pdf(settings.corpus_dir / B, [PLANNING])
    report = ingestor.sync_folder(settings.corpus_dir)
    assert sorted(report.ingested) == [A, B] and report.failed == []
    return report


# --- through the library -----------------------------------------------------------


def test_every_hostile_file_fails_clearly_and_only_good_files_change_the_index(
    settings: Settings, base: IngestReport, ingestor: Ingestor, index: Index, tmp_path: Path
) -> None:
    before = index.digest()
    bad = make_hostile(tmp_path / "incoming")
    good = make_text_pdf(tmp_path / "incoming" / "libraries.pdf", [LIBRARIES])
    missing = tmp_path / "incoming" / "missing.pdf"
    assert len(HOSTILE) + 1 >= 12

    started = time.perf_counter()
    report = ingestor.ingest_paths([*bad[:6], good, *bad[6:], missing])
    seconds = time.perf_counter() - started

    assert report.ingested == ["libraries.pdf"]
    assert report.unchanged == report.duplicates == report.recovered == []
    assert dict(report.failed) == {
        **{name: f"{name}: {message}" for name, (_, message) in HOSTILE.items()},
        "missing.pdf": "missing.pdf: file not found",
    }
    assert len(report.failed) == len(HOSTILE) + 1
    assert all("Traceback" not in message and "Error(" not in message for _, message in report.failed)
    for name in [*HOSTILE, "missing.pdf"]:
        assert rows_of(index, name) == 0, name
    assert set(index.file_records()) == {A, B, "libraries.pdf"}
    # Bounded: every hostile file is refused within seconds, not minutes (the 2 MB page is the slowest).
    assert seconds < 120, seconds
    # The good file was the only change: without it the index is byte-for-byte what it was.
    assert ingestor.remove("libraries.pdf")
    assert index.digest() == before


def test_bad_new_version_of_an_ingested_file_keeps_the_old_one(
    settings: Settings, base: IngestReport, ingestor: Ingestor, index: Index
) -> None:
    before = index.digest()
    for name, (make, message) in HOSTILE.items():
        if name in ("folder.pdf", "huge-page.pdf"):
            continue  # a folder cannot replace a file; the big page is covered above
        path = settings.corpus_dir / A
        path.unlink()
        make(path)
        report = ingestor.sync_folder(settings.corpus_dir)
        assert report.failed == [(A, f"{A}: {message}")], name
        assert report.removed == report.ingested == [], name
        assert index.digest() == before, name


@pytest.mark.parametrize(
    ("override", "make", "message"),
    [
        (
            {"max_pages": 3},
            lambda p: make_text_pdf(p, [CABINET, PLANNING, LIBRARIES, ENVIRONMENT]),
            "has 4 pages, more than the 3 allowed (SCRUTINEER_MAX_PAGES); split it or raise the limit",
        ),
        (
            {"max_page_chars": 200},
            lambda p: make_text_pdf(p, [ENVIRONMENT[:150], CABINET]),
            "page 2 holds more than 200 characters of text, far more than a printed page can"
            " (SCRUTINEER_MAX_PAGE_CHARS); it may be damaged or machine-generated",
        ),
        (
            {"max_file_chars": 500},
            lambda p: make_text_pdf(p, [CABINET, PLANNING, LIBRARIES]),
            "holds more than 500 characters of text (stopped at page 2; SCRUTINEER_MAX_FILE_CHARS);"
            " split it or raise the limit",
        ),
        (
            {"max_page_content_mb": 0.5},
            lambda p: make_huge_page_pdf(p, megabytes=0.3),
            "page 1 carries more than 0.5 MB of drawing instructions (SCRUTINEER_MAX_PAGE_CONTENT_MB), too much"
            " to read safely; it may be damaged or a very detailed drawing — raise the limit if it is genuine",
        ),
        (
            # The drawing is in a form inside a form: once only the first level was counted.
            {"max_page_content_mb": 0.5},
            lambda p: make_nested_form_pdf(p, megabytes=0.6),
            "page 1 carries more than 0.5 MB of drawing instructions (SCRUTINEER_MAX_PAGE_CONTENT_MB), too much"
            " to read safely; it may be damaged or a very detailed drawing — raise the limit if it is genuine",
        ),
        (
            {"parse_timeout_s": 0.0},
            lambda p: make_text_pdf(p, [CABINET, PLANNING]),
            "took longer than 0 s to read (stopped at page 1 of 2; SCRUTINEER_PARSE_TIMEOUT_S);"
            " it may be damaged or unusually complex",
        ),
    ],
    ids=["max_pages", "max_page_chars", "max_file_chars", "max_page_content_mb", "nested_forms", "parse_timeout_s"],
)
def test_limits_come_from_settings(
    settings: Settings, index: Index, tmp_path: Path, override: dict, make: Callable[[Path], Path], message: str
) -> None:
    ok = make_text_pdf(tmp_path / "ok.pdf", [ENVIRONMENT])
    assert Ingestor(settings, index, HashEmbedder()).ingest_paths([ok]).ingested == ["ok.pdf"]
    before = index.digest()
    limited = Settings.from_env(
        env={}, **{f: getattr(settings, f) for f in ("index_dir", "corpus_dir", "collection_prefix")}, **override
    )
    path = make(tmp_path / "limited.pdf")
    report = Ingestor(limited, index, HashEmbedder()).ingest_paths([path])
    assert report.failed == [("limited.pdf", f"limited.pdf: {message}")]
    assert index.digest() == before


def test_the_timeout_stops_a_long_file_part_way(settings: Settings, tmp_path: Path) -> None:
    """A file that would take many seconds is refused once the budget is spent, not read to the end."""
    pages = [f"{CABINET}\nParagraph {i} of a very long pack." for i in range(400)]
    path = make_text_pdf(tmp_path / "long.pdf", pages)
    limited = Settings.from_env(env={}, parse_timeout_s=0.3)
    started = time.perf_counter()
    with pytest.raises(IngestError, match=r"^long\.pdf: took longer than 0\.3 s to read \(stopped at page \d+ of 400"):
        parse_pdf(path, "test", limited)
    assert time.perf_counter() - started < 10


# --- names and duplicates ----------------------------------------------------------

ODD_NAMES = {
    "Ünïcødé minutes — 2025 (final).pdf": LIBRARIES,
    "会议纪要 2025.pdf": ENVIRONMENT,
    "議事録 2025.pdf": ENVIRONMENT.replace("tree planting", "wildflower meadow").replace("riverside", "hillside"),
    "Cabinet  minutes   with spaces.pdf": CABINET.replace("D White", "E Green"),
    "it's the 'final' [v2] & copy #3.pdf": PLANNING.replace("twelve homes", "forty flats"),
}


def test_odd_file_names_ingest_and_are_cited_by_their_own_name(
    settings: Settings, ingestor: Ingestor, index: Index, tmp_path: Path
) -> None:
    from assistant.service import Assistant

    folder = tmp_path / "odd names"
    folder.mkdir()
    paths = [make_text_pdf(folder / name, [text]) for name, text in ODD_NAMES.items()]
    report = ingestor.ingest_paths(paths)
    assert sorted(report.ingested) == sorted(ODD_NAMES)
    assert report.failed == report.duplicates == []
    assert set(index.file_records()) == set(ODD_NAMES)
    for name in ODD_NAMES:
        meta = index.file_records()[name]
        assert meta["folder"] == str(folder.resolve())
        assert meta["sha256"] == hashlib.sha256((folder / name).read_bytes()).hexdigest()
        chunks = index.get("chunks", where={"source_file": name})
        # A passage two of these files share is searched from one of them and held for the other.
        assert len(chunks) + index.held_of_file(name) == meta["chunks"] > 0
        assert len(chunks) > 0
    # Row ids are distinct per file even where the names share no ASCII letters.
    doc_ids = {
        name: {r.metadata["doc_id"] for r in index.records("document", {"source_file": name})} for name in ODD_NAMES
    }
    assert all(len(ids) == 1 for ids in doc_ids.values())
    assert len(set().union(*doc_ids.values())) == len(ODD_NAMES)

    assistant = Assistant(settings, index=index, embedder=ingestor.embedder)
    answer = assistant.ask("When are the new library opening hours adopted?")
    top = answer.retrieved[0]
    assert top.doc_id in doc_ids["Ünïcødé minutes — 2025 (final).pdf"]
    assert top.page == 1
    assert "library opening hours" in top.text
    answer = assistant.ask("What did the committee agree about a wildflower meadow on the hillside?")
    assert answer.retrieved[0].doc_id in doc_ids["議事録 2025.pdf"]
    # Re-ingesting the same odd names changes nothing.
    before = index.digest()
    assert sorted(ingestor.ingest_paths(paths).unchanged) == sorted(ODD_NAMES)
    assert index.digest() == before


def test_a_copy_under_another_name_is_reported_as_already_ingested(
    settings: Settings, base: IngestReport, ingestor: Ingestor, index: Index, tmp_path: Path
) -> None:
    before = index.digest()
    copy = tmp_path / "Copy of the cabinet minutes.pdf"
    copy.write_bytes((settings.corpus_dir / A).read_bytes())
    report = ingestor.ingest_paths([copy])
    assert report.duplicates == [("Copy of the cabinet minutes.pdf", A)]
    assert report.ingested == report.failed == report.unchanged == []
    assert f"Copy of the cabinet minutes.pdf: already ingested as {A}; skipped" in report.summary().splitlines()
    assert index.digest() == before

    # Two identical new files in one batch: the first goes in, the second is its duplicate.
    first = make_text_pdf(tmp_path / "libraries.pdf", [LIBRARIES])
    second = tmp_path / "libraries (1).pdf"
    second.write_bytes(first.read_bytes())
    report = ingestor.ingest_paths([first, second])
    assert report.ingested == ["libraries.pdf"]
    assert report.duplicates == [("libraries (1).pdf", "libraries.pdf")]
    assert rows_of(index, "libraries (1).pdf") == 0


def test_sync_ingests_a_copy_once_its_original_is_gone(
    settings: Settings, base: IngestReport, ingestor: Ingestor, index: Index
) -> None:
    copy = settings.corpus_dir / "z-cabinet-copy.pdf"
    copy.write_bytes((settings.corpus_dir / A).read_bytes())
    report = ingestor.sync_folder(settings.corpus_dir)
    assert report.duplicates == [("z-cabinet-copy.pdf", A)]
    (settings.corpus_dir / A).unlink()
    report = ingestor.sync_folder(settings.corpus_dir)
    assert report.removed == [A]
    assert report.ingested == ["z-cabinet-copy.pdf"]
    assert report.duplicates == []
    assert set(index.file_records()) == {B, "z-cabinet-copy.pdf"}


# --- a file replaced while it is being read ----------------------------------------


def _same_length(first: bytes, second: bytes) -> tuple[bytes, bytes]:
    """Pad the shorter with trailing newlines (allowed after %%EOF), so one can overwrite the other in place."""
    size = max(len(first), len(second))
    return first + b"\n" * (size - len(first)), second + b"\n" * (size - len(second))


def test_file_replaced_between_read_and_check_is_read_again(
    settings: Settings,
    ingestor: Ingestor,
    index: Index,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = settings.corpus_dir / "agenda.pdf"
    old, new = text_pdf_bytes([CABINET]), text_pdf_bytes([LIBRARIES])
    path.write_bytes(old)
    real_extract = pipeline.extract_pages
    calls: list[bytes] = []

    def extract_while_someone_replaces_the_file(p: Path, s: Settings, data: bytes) -> list:
        calls.append(data)
        if len(calls) == 1:
            path.write_bytes(new)  # another process saves a new version while the old one is parsed
        return real_extract(p, s, data=data)

    monkeypatch.setattr(pipeline, "extract_pages", extract_while_someone_replaces_the_file)
    monkeypatch.setattr(pipeline, "REREAD_PAUSE_S", 0.0)
    report = ingestor.ingest_paths([path])
    assert calls == [old, new]
    assert report.ingested == ["agenda.pdf"]
    assert "agenda.pdf: changed while it was being read (attempt 1 of 3)" in caplog.text
    assert index.file_records()["agenda.pdf"]["sha256"] == hashlib.sha256(new).hexdigest()
    texts = " ".join(r.text for r in index.get("chunks", where={"source_file": "agenda.pdf"}))
    assert "library opening hours" in texts
    assert "budget" not in texts


def test_file_that_keeps_changing_is_refused_and_nothing_is_stored(
    settings: Settings, base: IngestReport, ingestor: Ingestor, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = index.digest()
    path = settings.corpus_dir / "agenda.pdf"
    versions = [text_pdf_bytes([LIBRARIES]), text_pdf_bytes([ENVIRONMENT])]
    path.write_bytes(versions[0])
    real_extract = pipeline.extract_pages
    calls = 0

    def extract_while_the_file_keeps_changing(p: Path, s: Settings, data: bytes) -> list:
        nonlocal calls
        calls += 1
        path.write_bytes(versions[calls % 2])
        return real_extract(p, s, data=data)

    monkeypatch.setattr(pipeline, "extract_pages", extract_while_the_file_keeps_changing)
    monkeypatch.setattr(pipeline, "REREAD_PAUSE_S", 0.0)
    report = ingestor.ingest_paths([path])
    assert calls == pipeline.READ_ATTEMPTS
    assert report.failed == [
        (
            "agenda.pdf",
            "agenda.pdf: changed while it was being read (3 attempts); it is probably still being copied or saved —"
            " try again when it has finished",
        )
    ]
    assert index.digest() == before


def test_a_copy_caught_half_written_is_read_again_once_complete(
    settings: Settings, ingestor: Ingestor, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first read sees half a file (a copy in progress), which parses as damaged; the copy then
    completes, so the file is read again rather than refused as damaged."""
    path = settings.corpus_dir / "agenda.pdf"
    whole = text_pdf_bytes([CABINET, LIBRARIES])
    path.write_bytes(whole[: len(whole) // 2])
    real_extract = pipeline.extract_pages
    seen: list[int] = []

    def extract_while_the_copy_finishes(p: Path, s: Settings, data: bytes) -> list:
        seen.append(len(data))
        if len(seen) == 1:
            path.write_bytes(whole)
        return real_extract(p, s, data=data)

    monkeypatch.setattr(pipeline, "extract_pages", extract_while_the_copy_finishes)
    monkeypatch.setattr(pipeline, "REREAD_PAUSE_S", 0.0)
    report = ingestor.ingest_paths([path])
    assert seen == [len(whole) // 2, len(whole)]
    assert report.ingested == ["agenda.pdf"] and report.failed == []
    assert index.file_records()["agenda.pdf"]["sha256"] == hashlib.sha256(whole).hexdigest()


def test_a_file_rewritten_in_place_by_another_thread_is_never_stored_as_a_mix(
    settings: Settings, ingestor: Ingestor, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real race: a writer overwrites the file in place, back and forth between two versions of the
    same length, while it is ingested again and again. Whatever is stored is one whole version with
    that version's hash; a read that caught the file changing is retried or refused."""
    monkeypatch.setattr(pipeline, "REREAD_PAUSE_S", 0.01)
    pages_a = [f"{CABINET}\nPage {i}." for i in range(30)]
    pages_b = [f"{LIBRARIES}\nPage {i}." for i in range(30)]
    version_a, version_b = _same_length(text_pdf_bytes(pages_a), text_pdf_bytes(pages_b))
    expected = {}
    for label, data in (("a", version_a), ("b", version_b)):
        probe = settings.corpus_dir / f"probe-{label}.pdf"
        probe.write_bytes(data)
        expected[hashlib.sha256(data).hexdigest()] = sorted(
            c.text for c in parse_pdf(probe, ingestor.embedder.model_id, settings).chunks
        )
        probe.unlink()
    path = settings.corpus_dir / "racing.pdf"
    path.write_bytes(version_a)
    stop = threading.Event()

    def writer() -> None:
        fd = os.open(path, os.O_WRONLY)
        try:
            flip = 0
            while not stop.is_set():
                flip ^= 1
                os.pwrite(fd, version_b if flip else version_a, 0)
                time.sleep(0.002)
        finally:
            os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    outcomes = []
    try:
        for _ in range(6):
            report = ingestor.ingest_paths([path], force=True)
            outcomes.append("ingested" if report.ingested else report.failed[0][1])
            record = index.file_records().get("racing.pdf")
            if record is not None:
                stored = sorted(r.text for r in index.get("chunks", where={"source_file": "racing.pdf"}))
                assert record["sha256"] in expected
                assert stored == expected[record["sha256"]]
    finally:
        stop.set()
        thread.join(timeout=10)
    changing = "racing.pdf: " + pipeline.MSG_CHANGING.format(attempts=pipeline.READ_ATTEMPTS)
    assert set(outcomes) <= {"ingested", changing}, outcomes


# --- through the CLI ---------------------------------------------------------------


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def _cli_env(settings: Settings) -> dict[str, str]:
    return {
        "SCRUTINEER_INDEX_DIR": str(settings.index_dir),
        "SCRUTINEER_CORPUS_DIR": str(settings.corpus_dir),
        "SCRUTINEER_UPLOAD_DIR": str(settings.upload_dir),
        "SCRUTINEER_COLLECTION_PREFIX": settings.collection_prefix,
        "SCRUTINEER_LOCK_TIMEOUT_S": "2",
    }


def test_cli_in_process_reports_each_bad_file_and_a_duplicate(
    settings: Settings,
    base: IngestReport,
    index: Index,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in _cli_env(settings).items():
        monkeypatch.setenv(key, value)
    before = index.digest()
    copy = tmp_path / "cabinet copy.pdf"
    copy.write_bytes((settings.corpus_dir / A).read_bytes())
    assert cli.main(["ingest", str(copy)]) == 0
    out, err = capsys.readouterr()
    assert f"cabinet copy.pdf: already ingested as {A}; skipped" in out.splitlines()
    assert error_lines(err) == [] and "Traceback" not in err  # stderr carries only the progress lines

    # Every kind goes through the CLI in a subprocess below; here a few, with the exit code and streams.
    quick = ("empty.pdf", "photo.pdf", "locked.pdf", "loop.pdf", "nested.pdf")
    bad = [make(tmp_path / name) for name, (make, _) in HOSTILE.items() if name in quick]
    assert cli.main(["ingest", *map(str, bad), str(copy)]) == 1
    out, err = capsys.readouterr()
    # stderr also carries the progress bar; the CLI's own lines are the "error:" ones, one per file.
    assert error_lines(err) == [f"error: {name}: {HOSTILE[name][1]}" for name in quick]
    assert "Traceback" not in err
    assert f"0 file(s) ingested, 0 unchanged, 0 removed, {len(quick)} failed" in out
    assert f"cabinet copy.pdf: already ingested as {A}; skipped" in out
    assert Index(settings).digest() == before


def test_cli_subprocess_reports_bad_files_and_exits_cleanly(
    settings: Settings, base: IngestReport, tmp_path: Path
) -> None:
    before = Index(settings).digest()
    bad = make_hostile(tmp_path / "bad")
    copy = tmp_path / "another copy.pdf"
    copy.write_bytes((settings.corpus_dir / B).read_bytes())
    env = {**os.environ, **_cli_env(settings), "PYTHONPATH": str(ROOT)}
    env.pop("SCRUTINEER_FAULT_POINT", None)
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", *map(str, bad), str(copy)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert error_lines(result.stderr) == [f"error: {name}: {message}" for name, (_, message) in HOSTILE.items()]
    assert f"another copy.pdf: already ingested as {B}; skipped" in result.stdout
    assert Index(settings).digest() == before


# --- through the app's upload ------------------------------------------------------------


def test_every_hostile_file_through_the_app_upload_fails_clearly_and_changes_nothing(
    settings: Settings, base: IngestReport, ingestor: Ingestor, index: Index, tmp_path: Path
) -> None:
    """The Documents tab's upload (ingest.uploads.add_uploads): the same messages as the CLI, the
    index digest unchanged but for the good file, and no bad file left in the upload folder."""
    from ingest.uploads import add_uploads

    before = index.digest()
    bad = [p for p in make_hostile(tmp_path / "incoming") if p.is_file()]  # a browser uploads files only
    good = make_text_pdf(tmp_path / "incoming" / "libraries.pdf", [LIBRARIES])
    traversal = make_text_pdf(tmp_path / "incoming" / "parks.pdf", [ENVIRONMENT])
    copy = tmp_path / "incoming" / "cabinet-copy.pdf"
    copy.write_bytes((settings.corpus_dir / A).read_bytes())
    files = [(p, p.name) for p in bad] + [(good, "libraries.pdf"), (traversal, "../../etc/parks.pdf")]

    result = add_uploads([*files, (copy, copy.name)], settings, ingestor)

    assert sorted(result.added) == ["libraries.pdf", "parks.pdf"]  # the ../ is dropped, the file kept inside
    assert result.duplicates == [("cabinet-copy.pdf", f"cabinet-copy.pdf: already ingested as {A}; skipped")]
    assert dict(result.failed) == {
        name: f"{name}: {message}" for name, (_, message) in HOSTILE.items() if name != "folder.pdf"
    }
    assert sorted(p.name for p in settings.upload_dir.iterdir()) == ["libraries.pdf", "parks.pdf"]
    for name in ("libraries.pdf", "parks.pdf"):
        assert rows_of(index, name) > 0
        assert ingestor.remove(name)
    assert index.digest() == before
