"""Documents people manage (ingest/manage.py): list, show how a file was read, remove (crash-safe),
read again; and the CLI's `documents`, `show` and `remove` over them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import HashEmbedder
from minutes import CABINET, PLANNING
from pdf_factory import make_text_pdf

from assistant import cli
from assistant.service import Assistant
from ingest.errors import IngestError
from ingest.manage import (
    REMOVED_SUFFIX,
    SectionView,
    file_view_text,
    files_text,
    list_files,
    reingest_file,
    remove_file,
    show_file,
)
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import COLLECTIONS, Index
from ingest.uploads import add_uploads, sync_uploads

ROOT = Path(__file__).resolve().parent.parent
HIGHWAYS = """3. Highways
The Cabinet received a report on the condition of local roads.
RESOLVED that the highways plan be noted."""
ITEM = "Minutes, 30 January 2025 — item"


@pytest.fixture
def two_files(settings: Settings, ingestor: Ingestor, tmp_path: Path) -> Settings:
    """cabinet.pdf in the corpus folder, planning.pdf uploaded."""
    make_text_pdf(settings.corpus_dir / "cabinet.pdf", [CABINET, HIGHWAYS])
    assert ingestor.sync_folder(settings.corpus_dir).failed == []
    make_text_pdf(tmp_path / "planning.pdf", [PLANNING])
    assert add_uploads([(tmp_path / "planning.pdf", "planning.pdf")], settings, ingestor).added == ["planning.pdf"]
    return settings


def rows_of(index: Index, source_file: str) -> int:
    return sum(len(index.ids_of_file(name, source_file)) for name in COLLECTIONS)


def test_list_files_says_where_each_came_from(two_files: Settings, index: Index) -> None:
    files = list_files(index, two_files)
    assert [(f.source_file, f.origin, f.pages, f.documents, f.current) for f in files] == [
        ("cabinet.pdf", "corpus", 2, 1, True),
        ("planning.pdf", "upload", 1, 1, True),
    ]
    text = files_text(files)
    assert text.splitlines()[0] == "2 file(s) in the index:"
    assert text.splitlines()[2].startswith("  planning.pdf  (uploaded; 1 pages, 1 document(s), ")
    assert files_text([]) == "No documents in the index yet."


def test_show_file_has_sections_with_locators_and_pages_and_resolutions(two_files: Settings, index: Index) -> None:
    view = show_file(index, two_files, "cabinet.pdf")
    (doc,) = view.documents
    assert (doc.title, doc.doc_type, doc.pages) == ("Minutes of the Cabinet, 30 January 2025", "minutes", "1–2")
    assert doc.sections == [
        SectionView("Attendance and opening", "preamble", "Minutes, 30 January 2025 — attendance and opening", 1, 1, 1),
        SectionView("Apologies", "item", f"{ITEM} 1 Apologies", 1, 1, 1),
        SectionView("Budget", "item", f"{ITEM} 2 Budget", 1, 1, 1),
        SectionView("Highways", "item", f"{ITEM} 3 Highways", 2, 2, 1),
    ]
    assert [(r.page, r.locator, r.text) for r in view.resolutions] == [
        (1, f"{ITEM} 2 Budget", "RESOLVED that the budget be approved."),
        (2, f"{ITEM} 3 Highways", "RESOLVED that the highways plan be noted."),
    ]
    text = file_view_text(view)
    assert f"  p. 2: {ITEM} 3 Highways [item, 1 passage(s)]" in text.splitlines()
    assert f"  p. 1: {ITEM} 2 Budget (decision): RESOLVED that the budget be approved." in text.splitlines()


def test_a_file_not_in_the_index_is_named_with_those_that_are(two_files: Settings, index: Index) -> None:
    with pytest.raises(IngestError) as caught:
        show_file(index, two_files, "budget.pdf")
    assert str(caught.value) == "budget.pdf: is not in the index (files in the index: cabinet.pdf, planning.pdf)"


def test_removing_an_upload_takes_its_rows_and_its_file(two_files: Settings, index: Index, ingestor: Ingestor) -> None:
    assistant = Assistant(two_files, index, HashEmbedder())
    assert "planning permission be granted" in assistant.ask("Was planning permission granted?").text
    removal = remove_file(ingestor, "planning.pdf")
    assert removal.message == "planning.pdf: removed from the index and from the upload folder"
    assert rows_of(index, "planning.pdf") == 0 and index.pending() == {}
    assert sorted(p.name for p in two_files.upload_dir.iterdir()) == []
    assert [f.source_file for f in list_files(index, two_files)] == ["cabinet.pdf"]
    assistant.refresh()
    answer = assistant.ask("Was planning permission granted?")
    assert all(p.doc_id.startswith("cabinet") for p in answer.citations + answer.related)
    # The next start does not bring it back.
    assert sync_uploads(two_files, ingestor).added == []
    with pytest.raises(IngestError, match=r"^planning\.pdf: is not in the index"):
        remove_file(ingestor, "planning.pdf")


def test_removing_a_corpus_file_says_it_stays_in_the_folder(
    two_files: Settings, index: Index, ingestor: Ingestor
) -> None:
    removal = remove_file(ingestor, "cabinet.pdf")
    assert removal.message == (
        "cabinet.pdf: removed from the index; the file is still in the corpus folder, so `scrutineer ingest`"
        " adds it back unless it is deleted there"
    )
    assert rows_of(index, "cabinet.pdf") == 0 and (two_files.corpus_dir / "cabinet.pdf").is_file()


def test_reingest_reads_the_file_again(two_files: Settings, index: Index, ingestor: Ingestor) -> None:
    before = index.file_records()["cabinet.pdf"]["sha256"]
    report = reingest_file(ingestor, "planning.pdf")
    assert report.ingested == ["planning.pdf"] and report.failed == []
    assert index.file_records()["cabinet.pdf"]["sha256"] == before
    (two_files.upload_dir / "planning.pdf").unlink()
    with pytest.raises(IngestError) as caught:
        reingest_file(ingestor, "planning.pdf")
    assert str(caught.value) == (
        f"planning.pdf: its file is no longer in {two_files.upload_dir.resolve()}; it cannot be read again"
    )


def child_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRUTINEER_")}
    return {
        **env,
        "PYTHONPATH": str(ROOT),
        "SCRUTINEER_INDEX_DIR": str(settings.index_dir),
        "SCRUTINEER_CORPUS_DIR": str(settings.corpus_dir),
        "SCRUTINEER_UPLOAD_DIR": str(settings.upload_dir),
        "SCRUTINEER_COLLECTION_PREFIX": settings.collection_prefix,
        **extra,
    }


def test_a_removal_killed_part_way_is_finished_at_the_next_start(
    two_files: Settings, index: Index, ingestor: Ingestor
) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "remove", "planning.pdf", "--yes"],
        env=child_env(two_files, SCRUTINEER_FAULT_POINT="mid_remove"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == -9, run.stderr
    assert index.pending() == {"planning.pdf": "removing"}
    # Moved aside, hidden: start-up never ingests it again.
    assert sorted(p.name for p in two_files.upload_dir.iterdir()) == [f".planning.pdf{REMOVED_SUFFIX}"]
    result = sync_uploads(two_files, ingestor)  # what start-up runs
    assert result.added == [] and index.pending() == {} and rows_of(index, "planning.pdf") == 0
    # The next removal clears what the killed one left.
    remove_file(ingestor, "cabinet.pdf")
    assert sorted(p.name for p in two_files.upload_dir.iterdir()) == []


def test_the_cli_lists_shows_and_removes(
    two_files: Settings, index: Index, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(Settings, "from_env", classmethod(lambda cls, *a, **k: two_files))
    assert cli.main(["documents"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "2 file(s) in the index:"
    assert cli.main(["show", "cabinet.pdf"]) == 0
    assert f"  p. 2: {ITEM} 3 Highways [item, 1 passage(s)]" in capsys.readouterr().out.splitlines()
    assert cli.main(["show", "nope.pdf"]) == 2
    assert capsys.readouterr().err == (
        "error: nope.pdf: is not in the index (files in the index: cabinet.pdf, planning.pdf)\n"
    )
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert cli.main(["remove", "planning.pdf"]) == 2
    assert capsys.readouterr().err == "error: planning.pdf: not removed; add --yes to remove it without being asked\n"
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert cli.main(["remove", "planning.pdf"]) == 1
    assert capsys.readouterr().out == "Nothing removed.\n"
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert cli.main(["remove", "planning.pdf"]) == 0
    assert capsys.readouterr().out == "planning.pdf: removed from the index and from the upload folder\n"
    assert rows_of(index, "planning.pdf") == 0


# ---- the Documents tab ----------------------------------------------------------------------------


def handler(demo: object, name: str):
    return next(f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == name)


def test_the_documents_tab_shows_asks_then_removes(two_files: Settings, index: Index) -> None:
    import app

    demo = app.build_app(Assistant(two_files, index, HashEmbedder()))
    status, reading = handler(demo, "show_reading")("cabinet.pdf")
    assert status == app.status_html("")
    assert '<h3 id="reading-title">How cabinet.pdf was read</h3>' in reading
    assert f"<tr><td>{ITEM} 3 Highways</td><td>item</td><td>2</td><td>1</td></tr>" in reading
    assert "<h4>Resolutions: 2</h4>" in reading and "<h4>Glossary entries: 0</h4>" in reading

    shown, question, _ = handler(demo, "ask_to_remove")("planning.pdf")
    assert shown["visible"] is True
    assert question == (
        "<p>Remove planning.pdf from the index? Its 1 document(s), their passages, 1 resolution(s) and"
        " 0 glossary entries go with it.</p>"
    )
    assert handler(demo, "cancel_removal")()[2] == app.status_html("Nothing was removed.")
    assert rows_of(index, "planning.pdf") > 0

    out = handler(demo, "remove_document")("planning.pdf", "", True)
    hidden, _, status, reading, documents, register, doc_filter, _types, _orgs, managed = out
    assert hidden["visible"] is False and reading == ""
    assert status == app.status_html("planning.pdf: removed from the index and from the upload folder.")
    assert "planning.pdf" not in documents and "Planning" not in register
    assert managed["choices"] == ["cabinet.pdf"]
    assert [label for label, _ in doc_filter["choices"]] == [
        "Minutes of the Cabinet, 30 January 2025 (minutes, 30 January 2025)"
    ]
    assert rows_of(index, "planning.pdf") == 0
    again = handler(demo, "remove_document")("planning.pdf", "", True)
    assert again[2] == app.status_html(
        "planning.pdf: is not in the index (files in the index: cabinet.pdf)", error=True
    )

    status, view, *_ = handler(demo, "read_again")("cabinet.pdf", "", True)
    assert status == app.status_html("cabinet.pdf: read again (4 passages, 2 resolutions).")
    assert "How cabinet.pdf was read" in view
