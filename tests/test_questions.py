"""The labelled question sets (evals/questions.jsonl for the bundled pack, evals/questions/<body>.jsonl
for every other body) are well formed, large and varied enough, and grounded: every evidence quote
is found (evals.matching.found) in the text the project extracts from the PDF the question names,
and every must_contain string is on the evidence's page(s), scans in the text the ingest's OCR reads
(kept between checks). No model is used."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from pdf_factory import make_scanned_pdf, make_text_pdf

import evals.questionsets as questionsets
import ingest.pages
from evals.questionsets import TYPES, all_questions, bodies, load_set, page_texts, problems, set_paths
from ingest.settings import Settings

QUESTIONS = all_questions()
MIN_TOTAL = 400
MIN_BODIES = 12
MIN_PER_BODY = 10
BUNDLED_MINIMUMS = {
    "number": 15, "resolution": 8, "who": 10, "date": 8, "acronym": 8, "list": 5, "multi-hop": 6,
    "follow-up": 8, "unanswerable": 10,
}  # fmt: skip


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q["id"])
def test_question_is_well_formed_and_grounded(q: dict) -> None:
    assert problems(q) == []


def test_ids_are_unique_across_every_set() -> None:
    ids = Counter(q["id"] for q in QUESTIONS)
    assert [i for i, n in ids.items() if n > 1] == []


def test_every_set_names_its_body() -> None:
    known = {b.slug for b in bodies()}
    for path in set_paths()[1:]:
        assert path.stem in known, f"{path.name}: no body of that name in evals/bodies.tsv"
        assert {q.get("body") for q in load_set(path)} == {path.stem}


def test_sets_cover_a_dozen_bodies_and_every_type() -> None:
    per_body = Counter(q["body"] for q in QUESTIONS)
    assert len(QUESTIONS) >= MIN_TOTAL
    assert len(per_body) >= MIN_BODIES
    assert min(per_body.values()) >= MIN_PER_BODY, per_body
    assert {q["type"] for q in QUESTIONS} == TYPES
    unanswerable = Counter(q["body"] for q in QUESTIONS if q["type"] == "unanswerable")
    assert set(unanswerable) == set(per_body), "every body has unanswerable questions"


def test_bundled_set_covers_every_type_in_enough_numbers() -> None:
    counts = Counter(q["type"] for q in QUESTIONS if q["body"] == "barking-dagenham")
    short = {t: (counts[t], n) for t, n in BUNDLED_MINIMUMS.items() if counts[t] < n}
    assert not short, f"too few questions of type (have, need): {short}"


MINUTES = """1. Pothole Repairs
The committee noted that 1,240 potholes were
repaired in January and February."""
LATER = """2. Street Lighting
The committee agreed to replace 300 lanterns."""


def test_a_scan_is_read_by_ocr_once_and_kept_until_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan = make_scanned_pdf(tmp_path / "minutes.pdf", [MINUTES])
    kept = tmp_path / "kept"
    settings = Settings.from_env(env={})
    assert page_texts(scan, kept, settings) == [MINUTES]
    assert [p.name for p in kept.iterdir()] == ["minutes.pdf.json"]

    read = ingest.pages.extract_pages
    monkeypatch.setattr(ingest.pages, "extract_pages", lambda *a, **k: pytest.fail("read again, not kept"))
    assert page_texts(scan, kept, settings) == [MINUTES]

    monkeypatch.setattr(ingest.pages, "extract_pages", read)
    make_scanned_pdf(scan, [LATER])  # new bytes under the same name
    assert page_texts(scan, kept, settings) == [LATER]
    # Other OCR settings read the scan again.
    monkeypatch.setattr(ingest.pages, "extract_pages", lambda *a, **k: [])
    assert page_texts(scan, kept, Settings.from_env(env={"SCRUTINEER_OCR_DPI": "200"})) == []


def test_a_text_pdf_is_read_from_its_text_layer_and_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = make_text_pdf(tmp_path / "agenda.pdf", ["1. Apologies for absence", "2. Minutes"])
    settings = Settings.from_env(env={"SCRUTINEER_OCR_ENABLED": "0"})  # no OCR needed
    assert page_texts(pdf, tmp_path / "kept", settings) == ["1. Apologies for absence", "2. Minutes"]
    monkeypatch.setattr(ingest.pages, "extract_pages", lambda *a, **k: pytest.fail("read again, not kept"))
    assert page_texts(pdf, tmp_path / "kept", settings) == ["1. Apologies for absence", "2. Minutes"]


@pytest.fixture
def scanned_doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A scan in the only PDF folder, its page text kept in a folder of the test's."""
    make_scanned_pdf(tmp_path / "us_greenville-sc_test-scan.pdf", [MINUTES])
    monkeypatch.setattr(questionsets, "PDF_FOLDERS", (tmp_path,))
    monkeypatch.setattr(questionsets, "PAGE_TEXT_CACHE", tmp_path / "kept")
    questionsets.windows.cache_clear()
    yield "us_greenville-sc_test-scan.pdf"
    questionsets.windows.cache_clear()


def grounded(doc: str, evidence: str, must: str) -> dict:
    return {
        "id": "scan-1", "body": "greenville-sc", "doc": doc, "type": "number", "question": "How many potholes?",
        "answers": [f"{must} potholes."], "must_contain": [must], "evidence": evidence,
    }  # fmt: skip


def test_evidence_in_a_scan_is_grounded_in_its_ocr_text(scanned_doc: str) -> None:
    assert problems(grounded(scanned_doc, "1,240 potholes were repaired in January and February.", "1,240")) == []
    assert problems(grounded(scanned_doc, "1,250 potholes were repaired in January.", "1,250")) == [
        f"scan-1: evidence not found in {scanned_doc}: '1,250 potholes were repaired in January.'"
    ]


def test_a_scan_that_cannot_be_read_is_a_problem_not_a_crash(scanned_doc: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUTINEER_OCR_TESSERACT_CMD", "/opt/none/tesseract")
    (problem,) = problems(grounded(scanned_doc, "1,240 potholes were repaired.", "1,240"))
    assert problem.startswith(f"scan-1: doc '{scanned_doc}': {scanned_doc}: has no text layer")
    assert "(/opt/none/tesseract), which is not installed" in problem
