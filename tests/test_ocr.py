"""Scanned pages read by OCR (Tesseract, through pytesseract): a page image of known text comes out as
that text, in its lines, on its page, marked as read by OCR; without Tesseract, or past its time, a
scan is refused with a message that says what to do, and nothing is stored.

Needs Debian's tesseract-ocr and tesseract-ocr-eng, which the README's test command and .ci/run
install when missing. Scans are drawn here (``pdf_factory.make_scanned_pdf``), except one real one.
"""

from __future__ import annotations

import dataclasses
import math
import os
import stat
import time
from pathlib import Path

import pytest
from conftest import REALDOCS_MORE, isolated_settings
from fakes import HashEmbedder
from pdf_factory import make_scanned_pdf, make_text_and_scan_pdf, make_unmapped_glyphs_pdf

from ingest import ocr
from ingest.errors import IngestError
from ingest.lexical import LexicalIndex
from ingest.pages import extract_pages
from ingest.pipeline import Ingestor, build_rows, parse_pdf
from ingest.settings import Settings
from ingest.store import COLLECTIONS, Index

POTHOLES = """MINUTES OF THE HIGHWAYS COMMITTEE
Tuesday, 4 March 2025
1. Pothole Repairs
The committee noted that 1,240 potholes were
repaired in January and February.
RESOLVED that the winter repair programme be
extended to the end of April."""
LIGHTING = """2. Street Lighting
The committee agreed to replace 300 lanterns
with LED units in the town centre."""
INSTALL_HINT = (
    "has no text layer (it looks like a scanned image); reading it needs OCR with Tesseract (tesseract), which is"
    " not installed: install Debian's tesseract-ocr and tesseract-ocr-eng (apt-get install tesseract-ocr"
    " tesseract-ocr-eng) and try again"
)


def rows_of(index: Index, source_file: str) -> int:
    return sum(len(index.get(name, where={"source_file": source_file})) for name in COLLECTIONS)


@pytest.fixture
def scan(tmp_path: Path) -> Path:
    return make_scanned_pdf(tmp_path / "highways-2025-03-04.pdf", [POTHOLES, LIGHTING])


def test_tesseract_is_installed() -> None:
    """The rest of this file needs it: the README's test command installs it when missing."""
    assert ocr.unavailable(Settings.from_env(env={})) is None


def test_a_scan_of_known_text_reads_as_that_text_page_by_page(scan: Path) -> None:
    pages = extract_pages(scan, Settings.from_env(env={}))
    assert [page.text for page in pages] == [POTHOLES, LIGHTING]
    assert [page.number for page in pages] == [1, 2]
    confidences = [page.ocr_confidence for page in pages]
    assert all(c is not None and 90 <= c <= 100 for c in confidences), confidences
    # The layout text keeps the lines, set in from the page's margin as the image shows them.
    assert [line.strip() for line in pages[1].layout.splitlines()] == LIGHTING.splitlines()
    assert pages[1].layout.startswith(" " * 8)


def test_only_the_scanned_pages_of_a_text_pdf_are_read_by_ocr(tmp_path: Path) -> None:
    path = make_text_and_scan_pdf(tmp_path / "report.pdf", ["The Cabinet noted the report."], [LIGHTING])
    pages = extract_pages(path, Settings.from_env(env={}))
    assert [(page.text, page.ocr_confidence is None) for page in pages] == [
        ("The Cabinet noted the report.", True),
        (LIGHTING, False),
    ]


def test_a_scan_is_ingested_searchable_and_marked_as_read_by_ocr(settings: Settings, index: Index) -> None:
    path = make_text_and_scan_pdf(
        settings.corpus_dir / "highways-2025-03-04.pdf", ["Highways Committee papers, 4 March 2025."], [POTHOLES]
    )
    report = Ingestor(settings, index, HashEmbedder()).ingest_paths([path])
    assert report.failed == [] and report.ingested == [path.name]

    hits = LexicalIndex.build(index).search("potholes repaired", k=3)
    chunk = index.get("chunks", ids=[hits[0][0]])[0]
    assert "1,240 potholes were repaired in January and February." in chunk.text
    assert (chunk.metadata["page_start"], chunk.metadata["ocr"]) == (2, True)
    assert 90 <= chunk.metadata["ocr_confidence"] <= 100
    # The text page's passage says nothing about OCR (Chroma metadata holds no None).
    text_chunks = [c for c in index.get("chunks") if c.metadata["page_end"] == 1]
    assert text_chunks and all("ocr" not in c.metadata for c in text_chunks)
    sentences = index.get("sentences", where={"page": 2})
    assert sentences and all(s.metadata["ocr"] is True for s in sentences)
    file_row = index.file_records()[path.name]
    assert (file_row["ocr"], file_row["ocr_pages"], file_row["pages"]) == (True, 1, 2)
    # The minutes on the scanned page are a document of their own; the text page's says nothing of OCR.
    docs = {(d.metadata["page_start"], d.metadata["page_end"]): d.metadata for d in index.records("document")}
    assert {pages: (meta.get("ocr"), meta.get("ocr_pages")) for pages, meta in docs.items()} == {
        (1, 1): (None, None),
        (2, 2): (True, 1),
    }


def test_without_tesseract_a_scan_is_refused_saying_what_to_install(
    scan: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr.shutil, "which", lambda cmd, *args, **kwargs: None)
    with pytest.raises(IngestError) as caught:
        extract_pages(scan, Settings.from_env(env={}))
    assert str(caught.value) == f"highways-2025-03-04.pdf: {INSTALL_HINT}"


def test_a_missing_tesseract_command_is_named(scan: Path) -> None:
    settings = Settings.from_env(env={"SCRUTINEER_OCR_TESSERACT_CMD": "/opt/none/tesseract"})
    with pytest.raises(IngestError) as caught:
        extract_pages(scan, settings)
    assert str(caught.value) == "highways-2025-03-04.pdf: " + INSTALL_HINT.replace(
        "(tesseract)", "(/opt/none/tesseract)"
    )


def test_without_tesseract_the_scanned_page_of_a_text_pdf_is_left_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr.shutil, "which", lambda cmd, *args, **kwargs: None)
    path = make_text_and_scan_pdf(tmp_path / "report.pdf", ["The Cabinet noted the report."], [LIGHTING])
    assert [page.text for page in extract_pages(path, Settings.from_env(env={}))] == [
        "The Cabinet noted the report.",
        "",
    ]


def test_ocr_can_be_turned_off(scan: Path) -> None:
    with pytest.raises(IngestError) as caught:
        extract_pages(scan, Settings.from_env(env={"SCRUTINEER_OCR_ENABLED": "0"}))
    assert str(caught.value) == (
        "highways-2025-03-04.pdf: has no text layer (it looks like a scanned image), and OCR is turned off"
        " (SCRUTINEER_OCR_ENABLED=0)"
    )


def test_a_bad_ocr_switch_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^SCRUTINEER_OCR_ENABLED='maybe' is not one of 1/0, true/false"):
        Settings.from_env(env={"SCRUTINEER_OCR_ENABLED": "maybe"})


# --- the OCR cache: an unchanged scan is not read twice ------------------------------------------


@pytest.fixture
def worker_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The pages each start of the OCR worker was asked to read."""
    runs: list[list[int]] = []
    real = ocr._run_worker

    def counted(spec: dict, data: bytes, timeout: float):  # type: ignore[no-untyped-def]
        runs.append(list(spec["pages"]))
        return real(spec, data, timeout)

    monkeypatch.setattr(ocr, "_run_worker", counted)
    return runs


def _read(pages: list) -> list[tuple[int, str, str, float | None]]:
    return [(page.number, page.text, page.layout, page.ocr_confidence) for page in pages]


def test_an_unchanged_scan_is_read_from_the_cache(scan: Path, tmp_path: Path, worker_runs: list[list[int]]) -> None:
    settings = Settings.from_env(env={}, ocr_cache_dir=tmp_path / "cache")
    first = extract_pages(scan, settings)
    assert [page.text for page in first] == [POTHOLES, LIGHTING] and worker_runs == [[1, 2]]
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 2
    assert _read(extract_pages(scan, settings)) == _read(first)
    assert worker_runs == [[1, 2]]  # no Tesseract the second time
    # A damaged cache entry is a miss: that page alone is read again.
    next((tmp_path / "cache").rglob("*.json")).write_text("{not json", encoding="utf-8")
    assert _read(extract_pages(scan, settings)) == _read(first)
    assert len(worker_runs) == 2 and len(worker_runs[1]) == 1
    # Other OCR settings read again.
    extract_pages(scan, dataclasses.replace(settings, ocr_dpi=200))
    assert worker_runs[2:] == [[1, 2]]
    # Without a cache folder (reading a file outside an index), OCR runs every time.
    extract_pages(scan, Settings.from_env(env={}))
    assert len(worker_runs) == 4


def test_re_ingesting_a_scan_reads_it_from_the_index_folders_cache(
    settings: Settings, index: Index, worker_runs: list[list[int]]
) -> None:
    path = make_scanned_pdf(settings.corpus_dir / "highways-2025-03-04.pdf", [POTHOLES, LIGHTING])
    ingestor = Ingestor(settings, index, HashEmbedder())
    assert ingestor.ingest_paths([path]).ingested == [path.name]
    digest = index.digest(ignore={"ingested_at"})
    assert ingestor.ingest_paths([path], force=True).ingested == [path.name]
    assert worker_runs == [[1, 2]] and index.digest(ignore={"ingested_at"}) == digest
    assert len(list((settings.index_dir / "ocr-cache").rglob("*.json"))) == 2


# --- bounded: a Tesseract that never finishes ----------------------------------------------------


@pytest.fixture
def stuck_tesseract(tmp_path: Path) -> tuple[Path, Path]:
    """A "tesseract" that answers --version and then hangs on every page, as one might on a hostile
    image; it writes its process id to a file so the test can see it was stopped."""
    pid_file = tmp_path / "tesseract.pid"
    script = tmp_path / "tesseract"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "tesseract 5.3.0"; exit 0; fi\n'
        f'echo $$ > "{pid_file}"\n'
        "exec sleep 60\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, pid_file


def _stopped(pid_file: Path) -> bool:
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_a_page_over_its_ocr_time_is_refused_and_nothing_is_stored(
    tmp_path: Path, stuck_tesseract: tuple[Path, Path]
) -> None:
    script, pid_file = stuck_tesseract
    settings = isolated_settings(tmp_path, ocr_tesseract_cmd=str(script), ocr_page_timeout_s=2.0)
    index = Index(settings)
    path = make_scanned_pdf(settings.corpus_dir / "stuck.pdf", [POTHOLES])
    started = time.monotonic()
    report = Ingestor(settings, index, HashEmbedder()).ingest_paths([path])
    assert time.monotonic() - started < 15
    assert report.failed == [
        (
            "stuck.pdf",
            "stuck.pdf: OCR of page 1 took longer than 2 s (SCRUTINEER_OCR_PAGE_TIMEOUT_S); the scan may be"
            " damaged or unusually large",
        )
    ]
    assert report.ingested == [] and rows_of(index, "stuck.pdf") == 0
    assert _stopped(pid_file)


def test_ocr_counts_against_the_files_parse_budget(tmp_path: Path, stuck_tesseract: tuple[Path, Path]) -> None:
    script, pid_file = stuck_tesseract
    settings = Settings.from_env(env={}, ocr_tesseract_cmd=str(script), parse_timeout_s=3.0, ocr_page_timeout_s=60.0)
    path = make_scanned_pdf(tmp_path / "stuck.pdf", [POTHOLES, LIGHTING])
    started = time.monotonic()
    with pytest.raises(IngestError) as caught:
        extract_pages(path, settings)
    assert time.monotonic() - started < 10
    assert str(caught.value) == (
        "stuck.pdf: took longer than 3 s to read (stopped at page 1 of 2; SCRUTINEER_PARSE_TIMEOUT_S);"
        " it may be damaged or unusually complex"
    )
    assert _stopped(pid_file)


# --- from Tesseract's words to lines -------------------------------------------------------------

TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def _tsv(*words: tuple[int, int, int, int, int, int, float, str]) -> str:
    """TSV rows for words given as (block, line, left, top, width, height, confidence, text)."""
    rows = [TSV_HEADER, "1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t"]
    rows += [f"5\t1\t{b}\t1\t{ln}\t1\t{x}\t{y}\t{w}\t{h}\t{c}\t{t}" for b, ln, x, y, w, h, c, t in words]
    return "\n".join(rows)


def test_words_are_put_back_into_lines_and_noise_is_left_out() -> None:
    tsv = _tsv(
        (1, 1, 100, 100, 200, 40, 96.0, "RESOLVED"),
        (1, 1, 320, 100, 80, 40, 95.0, "that"),
        (1, 1, 420, 100, 40, 40, 12.0, "ee"),  # a speck read as a word
        (1, 2, 100, 150, 120, 40, 93.0, "Budget"),
        (1, 2, 240, 150, 20, 40, 91.0, "|"),  # a table rule
        (2, 1, 900, 150, 100, 40, 90.0, "£1,250"),  # the next column, on the same row
    )
    page = ocr.read_tsv(3, tsv, min_confidence=50.0, seconds=1.234)
    assert page.text == "RESOLVED that\nBudget\n£1,250"
    assert page.layout == " " * 5 + "RESOLVED that\n" + " " * 5 + "Budget" + " " * 34 + "£1,250"
    assert (page.number, page.words, page.dropped, page.confidence, page.seconds) == (3, 4, 2, 93.5, 1.23)


def test_a_hanging_item_number_read_as_a_column_goes_back_to_its_line() -> None:
    """Greenville's minutes print "17." and "b." in a margin column; Tesseract reads that column as a
    block of its own, before the text, which parted every minute item from its number."""
    tsv = _tsv(
        (1, 1, 100, 500, 60, 40, 95.0, "17."),
        (1, 2, 150, 700, 30, 40, 94.0, "b."),
        (2, 1, 300, 495, 200, 45, 96.0, "STAFF"),
        (2, 1, 520, 495, 200, 45, 96.0, "REPORTS"),
        (2, 2, 300, 600, 300, 40, 96.0, "Information"),
        (2, 3, 300, 698, 300, 40, 96.0, "Resolution"),
        (3, 1, 100, 900, 60, 40, 95.0, "Page"),  # a short word with nothing beside it stays where it is
    )
    page = ocr.read_tsv(1, tsv, min_confidence=50.0)
    assert page.text == "17. STAFF REPORTS\nInformation\nb. Resolution\nPage"


def test_a_page_where_ocr_finds_nothing_is_empty() -> None:
    page = ocr.read_tsv(1, _tsv((1, 1, 10, 10, 5, 5, 20.0, "~")), min_confidence=50.0)
    assert (page.text, page.layout, page.words, page.dropped, page.confidence) == ("", "", 0, 1, 0.0)


def test_a_page_larger_than_the_pixel_budget_is_drawn_smaller() -> None:
    # A4 at 300 dpi fits the default budget; a 200-inch page is drawn at the scale that fits.
    a4 = ocr.fitted_scale(595, 842, 300 / 72, 12_000_000)
    assert a4 == 300 / 72
    huge = ocr.fitted_scale(14_400, 14_400, 300 / 72, 12_000_000)
    assert math.ceil(14_400 * huge) ** 2 <= 12_000_000 < math.ceil(14_400 * huge * 1.01) ** 2


# --- glyphs without letters, and a real scan -----------------------------------------------------


def test_glyphs_without_a_map_to_letters_are_read_by_their_shapes(tmp_path: Path) -> None:
    """A font with no usable Unicode map extracts as U+FFFD; drawn, its glyphs are plain letters."""
    path = make_unmapped_glyphs_pdf(tmp_path / "glyphs.pdf", "fffd", lines=3)
    (page,) = extract_pages(path, Settings.from_env(env={}))
    assert page.text == "AAAA AAAA AAAA\nAAAA AAAA AAAA\nAAAA AAAA AAAA"
    assert page.ocr_confidence is not None


@pytest.mark.slow
def test_a_real_scanned_roll_call_reads_as_printed() -> None:
    """Des Moines City Council roll call 23 September 2013: one scanned page, no text layer. Each line
    below was read off the page image by eye; OCR gives them word for word."""
    path = REALDOCS_MORE / "us_des-moines-ia_city-council_roll-call-resolution_2013-09-23_scanned.pdf"
    parsed = parse_pdf(path, "test", Settings.from_env(env={}))
    assert parsed.page_count == 1 and list(parsed.ocr_pages) == [1]
    assert 90 <= parsed.ocr_pages[1] <= 100
    text = "\n".join(line.text for doc in parsed.documents for line in doc.lines)
    for line in (
        "AMENDMENT TO RULE 42A OF THE",
        "PROCEDURAL RULES OF THE DES MOINES CITY COUNCIL",
        "NOW, THEREFORE, BE IT RESOLVED by the City Council of the City of Des",
        "incorporated in the Procedural Rules.",
        "Deputy City Attorney",
    ):
        assert line in text.splitlines(), line
    assert '"Waiver of Ordinance Readings"' in text
    chunks = build_rows(parsed)["chunks"]
    assert chunks and all(row.metadata["ocr"] is True for row in chunks)
