"""PDF → pages: extraction, clean-up and the errors a person sees."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from functools import cache
from pathlib import Path

import pypdf
import pytest
from pdf_factory import (
    make_corrupt_xref_pdf,
    make_empty,
    make_image_only_pdf,
    make_many_pages_pdf,
    make_not_a_pdf,
    make_owner_password_pdf,
    make_png_named_pdf,
    make_text_pdf,
    make_truncated_pdf,
    make_unmapped_glyphs_pdf,
    make_user_password_pdf,
)
from pypdf import PdfReader

from ingest import pages
from ingest.errors import IngestError
from ingest.models import Page
from ingest.pages import extract_pages, file_sha256
from ingest.pipeline import parse_pdf
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS_PDF = ROOT / "corpus" / "overview-and-scrutiny-committee-2024-04-17-agenda-pack.pdf"
REALDOCS = sorted((ROOT / "tests" / "fixtures" / "realdocs").glob("*.pdf"))
CORPUS_PAGES = 58
PAGE_NUMBER_LINE = re.compile(r"\s*page\s+\d+\s*", re.IGNORECASE)
HEADER = "Agenda Item 5 — Cabinet 30 January 2025"
#: Distinct first lines for generated pages: lines equal but for their digits would
#: themselves look like a running header.
OPENINGS = ["Apologies were received.", "The minutes were agreed.", "Members asked questions.", "The Chair closed it."]


@cache
def pages_of(path: Path) -> list[Page]:
    """Real PDFs take a second or more each; extract each once per test run."""
    return extract_pages(path)


def texts(path: Path) -> list[str]:
    return [page.text for page in extract_pages(path)]


# --- the corpus PDF ----------------------------------------------------------


def test_corpus_page_count_and_numbers() -> None:
    pages = pages_of(CORPUS_PDF)
    assert len(pages) == CORPUS_PAGES
    assert [page.number for page in pages] == list(range(1, CORPUS_PAGES + 1))


def test_corpus_page_number_lines_removed() -> None:
    pages = pages_of(CORPUS_PDF)
    # pypdf puts "Page 1" first in plain mode and last in layout mode.
    assert pages[0].text.startswith("Notice of Meeting")
    assert pages[0].layout.lstrip().startswith("Notice of Meeting")
    assert "Page 1" not in pages[0].layout.splitlines()[-1]
    for page in pages:
        for mode in (page.text, page.layout):
            assert not any(PAGE_NUMBER_LINE.fullmatch(line) for line in mode.splitlines()), page.number
            assert mode == mode.strip("\n")
            assert all(line == line.rstrip() for line in mode.splitlines())


def test_corpus_sentence_on_page_3() -> None:
    page = pages_of(CORPUS_PDF)[2]
    assert "The Council was facing an expected budget gap of £23.335m for 2024/25." in page.text


def test_corpus_layout_keeps_table_rows_on_one_line() -> None:
    layout = pages_of(CORPUS_PDF)[56].layout
    assert any("MASH" in line and "Multi-Agency Safeguarding Hub" in line for line in layout.splitlines())


def test_corpus_real_compounds_keep_their_hyphen() -> None:
    """The corpus breaks lines only after real compounds; none may lose its hyphen."""
    text = "\n".join(page.text for page in pages_of(CORPUS_PDF))
    for word in ("non-statutory", "step-down", "well-understood", "re-referrals", "in-house", "pre-proceedings"):
        assert word in text
    for wrong in ("nonstatutory", "wellunderstood", "rereferrals", "stepdown"):
        assert wrong not in text


# --- real council PDFs -------------------------------------------------------


@pytest.mark.parametrize("path", REALDOCS, ids=lambda p: p.name)
def test_realdocs_extract(path: Path) -> None:
    pages = pages_of(path)
    assert pages
    assert sum(len(page.text.strip()) for page in pages) > 0
    assert all(page.layout.strip() for page in pages if page.text.strip())


def test_realdocs_running_headers_and_page_numbers() -> None:
    by_name = {path.name: pages_of(path) for path in REALDOCS}

    risk = by_name["uk_kent-cc_cabinet_appendixI_budget-risk-register-table_2025-01-30.pdf"]
    for page in risk:  # title, totals row and "DRAFT" stand on every page
        for mode in (page.text, page.layout):
            lines = [line.strip() for line in mode.splitlines() if line.strip()]
            assert lines[0] != "Appendix I: Budget Risks Register 2025-26"
            assert lines[-1] != "DRAFT"
    # A risk score at the foot of a table column is not a page number.
    assert risk[3].text.splitlines()[-1] == "4"

    minutes = by_name["uk_kent-cc_cabinet_minutes_2025-01-30.pdf"]
    assert minutes[0].text.startswith("KENT COUNTY COUNCIL")
    assert minutes[1].layout.splitlines()[-1].strip() != "2"

    palo_alto = by_name["us_east-palo-alto-ca_planning-commission_minutes_2020-01-27.pdf"]
    assert all("Page 1 of 3" not in page.text + page.layout for page in palo_alto)

    # All of this council's text sits in a form XObject, which layout mode skips.
    welsh = by_name["uk-wales_manordeilo-salem-community-council_minutes_2019-03-13_en.pdf"]
    assert welsh[0].text.startswith("MANORDEILO & SALEM COMMUNITY COUNCIL")
    assert welsh[0].layout.startswith("MANORDEILO & SALEM COMMUNITY COUNCIL")
    assert "\uf0b7" not in welsh[1].text and "• The lack of facilities" in welsh[1].text

    frontsheet = by_name["uk_kent-cc_county-council_agenda-frontsheet_2025-03-13.pdf"]
    assert frontsheet[1].text == ""  # a blank page inside a text PDF is not an error


# --- generated PDFs: round trip and clean-up ---------------------------------


def test_make_text_pdf_round_trip(tmp_path: Path) -> None:
    pages = ["First line (with brackets) \\ and £5m\nSecond line — dash", "Only line of page two"]
    path = make_text_pdf(tmp_path / "round.pdf", pages)
    assert [page.extract_text() for page in PdfReader(path).pages] == pages
    extracted = extract_pages(path)
    assert [(page.number, page.text, page.layout) for page in extracted] == [
        (1, pages[0], pages[0]),
        (2, pages[1], pages[1]),
    ]


def test_running_header_and_page_footer_removed(tmp_path: Path) -> None:
    bodies = [f"{opening}\n{closing}" for opening, closing in zip(OPENINGS, reversed(OPENINGS), strict=True)]
    # The header text also stands inside page 2's body, where it must stay.
    bodies[1] += f"\n{HEADER}\nend of page two"
    path = make_text_pdf(tmp_path / "report.pdf", [f"{HEADER}\n{body}\nPage {n}" for n, body in enumerate(bodies, 1)])
    pages = extract_pages(path)
    assert [page.text for page in pages] == bodies
    assert [page.layout for page in pages] == bodies


def test_header_on_two_pages_is_kept(tmp_path: Path) -> None:
    """Fewer than three pages cannot show that a line is a running header."""
    path = make_text_pdf(tmp_path / "letter.pdf", [f"{HEADER}\nBody {n}" for n in (1, 2)])
    assert texts(path) == [f"{HEADER}\nBody 1", f"{HEADER}\nBody 2"]


def test_page_number_forms(tmp_path: Path) -> None:
    labels = ["- 1 -", "2 | Page", "Page 3 of 4", "4"]
    path = make_text_pdf(
        tmp_path / "numbers.pdf", [f"{text}\n{label}" for text, label in zip(OPENINGS, labels, strict=True)]
    )
    assert texts(path) == OPENINGS


def test_bare_numbers_out_of_sequence_are_kept(tmp_path: Path) -> None:
    pages = [f"{opening}\nScore\n4" for opening in OPENINGS]
    path = make_text_pdf(tmp_path / "scores.pdf", pages)
    assert texts(path) == pages


def test_bare_numbers_in_sequence_are_removed(tmp_path: Path) -> None:
    path = make_text_pdf(
        tmp_path / "minutes.pdf", [f"{n}\n{text}" for n, text in zip(range(7, 11), OPENINGS, strict=True)]
    )
    assert texts(path) == OPENINGS


def test_odd_whitespace_normalised(tmp_path: Path) -> None:
    path = make_text_pdf(tmp_path / "nbsp.pdf", ["£10\u00a0million   \nnext"])
    page = extract_pages(path)[0]
    assert page.text == "£10 million\nnext"


def test_hyphenated_line_break_joined(tmp_path: Path) -> None:
    path = make_text_pdf(
        tmp_path / "hyphens.pdf",
        ["The organisa-\ntion agreed a long-\nterm plan.\nKept: a non-\nstatutory review."],
    )
    page = extract_pages(path)[0]
    # Neither "long-term" nor "long"/"term" appear elsewhere: a line-break hyphen.
    assert page.text == "The organisation agreed a longterm plan.\nKept: a non-statutory review."
    # Layout text is for tables and is left as printed.
    assert page.layout.splitlines()[0] == "The organisa-"


def test_hyphen_kept_when_document_hyphenates_the_word(tmp_path: Path) -> None:
    path = make_text_pdf(
        tmp_path / "compounds.pdf",
        [
            "A long-term plan for the organisa-\ntion.\nIt covers the long-\nterm and the step-\nup route.",
            "The step-up route is new.",
        ],
    )
    assert texts(path) == [
        "A long-term plan for the organisation.\nIt covers the long-term and the step-up route.",
        "The step-up route is new.",
    ]


def test_hyphen_dropped_when_document_spells_the_word_solid(tmp_path: Path) -> None:
    path = make_text_pdf(tmp_path / "solid.pdf", ["Please re-\nview the review.", "Next page"])
    assert texts(path)[0] == "Please review the review."


def test_hyphen_before_capital_or_digit_is_not_joined(tmp_path: Path) -> None:
    path = make_text_pdf(tmp_path / "keep.pdf", ["North-\nEast London\nYear 2023-\n24 results"])
    assert texts(path) == ["North-\nEast London\nYear 2023-\n24 results"]


def test_a_page_of_one_long_word_is_cleaned_in_linear_time(tmp_path: Path) -> None:
    """The hyphenation clean-up once searched a long word from each of its letters: a 30,000-letter
    word took 40 s of CPU. 90,000 letters (under the page limit) now take a fraction of a second."""
    word = "a" * 90_000
    path = make_text_pdf(tmp_path / "word.pdf", [f"Minutes\n{word}-\nment\nEnd of {word[:10]}-"])
    started = time.process_time()
    page = extract_pages(path)[0]
    assert time.process_time() - started < 5
    assert page.text == f"Minutes\n{word}ment\nEnd of aaaaaaaaaa-"


def test_clean_up_counts_against_the_parse_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The text is read within the budget; cleaning it then spends the same budget, page by page."""
    path = make_text_pdf(tmp_path / "slow.pdf", ["First page of text.", "Second page of text."])
    clock = [1000.0]
    monkeypatch.setattr(pages.time, "monotonic", lambda: clock[0])
    normalise = pages._normalise

    def slow_normalise(raw: str, strip_left: bool) -> list[str]:
        # 250 "seconds" a page of the 600 allowed: the reading-order text is cleaned in 500, and the
        # layout text runs out at its second page.
        clock[0] += 250
        return normalise(raw, strip_left)

    monkeypatch.setattr(pages, "_normalise", slow_normalise)
    with pytest.raises(IngestError) as caught:
        extract_pages(path)
    assert str(caught.value) == (
        "slow.pdf: took longer than 600 s to read (stopped at page 2 of 2; SCRUTINEER_PARSE_TIMEOUT_S);"
        " it may be damaged or unusually complex"
    )


def test_owner_password_pdf_opens(tmp_path: Path) -> None:
    path = make_owner_password_pdf(tmp_path / "owner.pdf", ["Restricted but readable\nsecond line"])
    assert PdfReader(path).is_encrypted
    assert texts(path) == ["Restricted but readable\nsecond line"]


def test_file_sha256(tmp_path: Path) -> None:
    path = make_text_pdf(tmp_path / "hash.pdf", ["hash me"])
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_pypdf_warnings_silenced_and_logger_restored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    pypdf_logger = logging.getLogger("pypdf")
    before = pypdf_logger.level
    path = make_corrupt_xref_pdf(tmp_path / "noisy.pdf")
    with caplog.at_level(logging.WARNING), pytest.raises(IngestError):
        extract_pages(path)
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    assert pypdf_logger.level == before


# --- files that cannot be ingested -------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("missing.pdf", None, "missing.pdf: file not found"),
        ("empty.pdf", make_empty, "empty.pdf: is empty (0 bytes); it may not have finished downloading"),
        (
            "notes.pdf",
            make_not_a_pdf,
            "notes.pdf: is not a PDF file (it looks like plain text); only PDFs can be ingested",
        ),
        (
            "picture.pdf",
            make_png_named_pdf,
            "picture.pdf: is not a PDF file (it looks like a PNG image); only PDFs can be ingested",
        ),
        (
            "cut.pdf",
            make_truncated_pdf,
            "cut.pdf: is damaged or incomplete and cannot be read as a PDF; try downloading or saving it again",
        ),
        (
            "xref.pdf",
            make_corrupt_xref_pdf,
            "xref.pdf: is damaged or incomplete and cannot be read as a PDF; try downloading or saving it again",
        ),
        (
            "scan.pdf",
            make_image_only_pdf,
            "scan.pdf: has no text layer (it looks like a scanned image), and OCR found no words on its pages",
        ),
        (
            # pypdf stops at 100,000 entries in the /Kids array; this was reported as "damaged".
            "many.pdf",
            lambda p: make_many_pages_pdf(p, page_count=100_001),
            "many.pdf: has more pages than can be counted safely (pypdf: reached maximum array element count),"
            " far more than the 2,000 allowed (SCRUTINEER_MAX_PAGES); split it",
        ),
    ],
)
def test_bad_files_raise_ingest_error(tmp_path: Path, name: str, make: object, message: str) -> None:
    path = tmp_path / name
    if callable(make):
        make(path)
    with pytest.raises(IngestError) as caught:
        extract_pages(path)
    assert str(caught.value) == message
    assert caught.value.path == path
    assert "Traceback" not in str(caught.value)


def test_a_page_past_pypdfs_token_limit_is_too_large_not_damaged(tmp_path: Path) -> None:
    """pypdf parses at most 2,000,000 tokens of one content stream; lowered here so the page is small."""
    path = make_text_pdf(tmp_path / "tokens.pdf", ["The committee noted the report.\n" * 50])
    with pypdf.apply_configuration(stream_parsing_work_maximum_count=100), pytest.raises(IngestError) as caught:
        extract_pages(path)
    assert str(caught.value) == (
        "tokens.pdf: page 1 is too large to read safely (pypdf: reached maximum number of tokens per stream);"
        " it may be damaged or a very detailed drawing"
    )


def test_user_password_pdf_raises(tmp_path: Path) -> None:
    path = make_user_password_pdf(tmp_path / "locked.pdf", ["Secret"])
    with pytest.raises(IngestError) as caught:
        extract_pages(path)
    assert str(caught.value) == "locked.pdf: is protected by a password; remove the password and try again"


def test_folder_raises(tmp_path: Path) -> None:
    folder = tmp_path / "papers.pdf"
    folder.mkdir()
    with pytest.raises(IngestError, match=r"^papers\.pdf: is a folder, not a PDF file$"):
        extract_pages(folder)


def test_missing_file_hash_raises(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"^gone\.pdf: file not found$"):
        file_sha256(tmp_path / "gone.pdf")


# --- text that is there but cannot be read -------------------------------------

SCANNED = "has no text layer (it looks like a scanned image), and OCR found no words on its pages"


@pytest.mark.parametrize(
    "make",
    [
        lambda p: make_text_pdf(p, ["\x00" * 40 + "\n" + "\x00" * 300]),
        lambda p: make_unmapped_glyphs_pdf(p, "notdef"),
    ],
    ids=["nul", "notdef"],
)
def test_a_file_of_unreadable_glyphs_has_no_text_layer(tmp_path: Path, make: object) -> None:
    """Treated as a scan; OCR then finds nothing to read (PDFium draws NUL and .notdef as nothing). A font
    whose glyphs are drawn but map to U+FFFD is read by OCR: tests/test_ocr.py."""
    path = make(tmp_path / "glyphs.pdf")  # type: ignore[operator]
    with pytest.raises(IngestError) as caught:
        extract_pages(path)
    assert str(caught.value) == f"glyphs.pdf: {SCANNED}"


def test_unreadable_pages_and_lines_in_a_readable_file_are_left_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = make_text_pdf(
        tmp_path / "mixed.pdf",
        [
            "\x00" * 20 + "\nHighways Maintenance Plan\nThe plan sets out the repairs in the bud\x00get.",
            "\x00" * 40 + "\n" + "\x00" * 300,
            "The Cabinet noted the report.",
        ],
    )
    with caplog.at_level(logging.INFO, logger="ingest.pages"):
        got = extract_pages(path)
    assert [page.text for page in got] == [
        "Highways Maintenance Plan\nThe plan sets out the repairs in the budget.",
        "",
        "The Cabinet noted the report.",
    ]
    assert "mixed.pdf: page(s) 2 hold mostly unreadable glyphs; treated as having no text layer" in caplog.messages
    parsed = parse_pdf(path, "test", Settings.from_env(env={}))
    # The title comes from the first lines: once it was twenty NULs and the heading.
    assert [doc.title for doc in parsed.documents] == [
        "Highways Maintenance Plan The plan sets out the repairs in the budget."
    ]
    assert not any("\x00" in chunk.text for chunk in parsed.chunks)
