"""The app's parts without a browser: uploads, page images, the catalogue (documents and
decisions), the Markdown export and the HTML the app renders. The browser test
(tests/test_browser.py) drives the whole app."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from fakes import HashEmbedder
from minutes import CABINET
from pdf_factory import make_not_a_pdf, make_text_pdf
from PIL import Image

import app
from assistant.answer import Answer
from assistant.catalogue import Catalogue, DecisionEntry, group_by_meeting
from assistant.export import conversation_markdown, write_export
from assistant.page_images import PageNotAvailable, page_image, page_png, render_page, resolve_pdf
from assistant.retrieval import Passage
from assistant.service import ChatSession
from ingest.errors import IngestError
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import Index, Row
from ingest.uploads import add_uploads, safe_upload_name, store_upload, sync_uploads

CABINET_P2 = """3. Highways Maintenance
The Cabinet received a report on the condition of local roads and footways.
RESOLVED that the highways maintenance plan be noted.
4. Any Other Business
There was no other business and the meeting closed at 7.45 pm."""
PLANNING_P1 = """MINUTES OF THE PLANNING COMMITTEE
Tuesday, 11 February 2025
Present: Councillor F Patel (Chair) and Councillor G Okafor.
1. Apologies
Apologies for absence were received from Councillor J Murphy.
2. Planning Applications
The committee considered an application for twelve homes on the former depot site.
RESOLVED that planning permission be granted subject to conditions."""
BUDGET_SENTENCE = "The Cabinet considered the draft revenue budget for 2025/26 and the capital programme."


# ---- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def cabinet(settings: Settings) -> Path:
    return make_text_pdf(settings.corpus_dir / "cabinet.pdf", [CABINET, CABINET_P2])


@pytest.fixture
def synced(settings: Settings, ingestor: Ingestor, cabinet: Path) -> Path:
    make_text_pdf(settings.corpus_dir / "planning.pdf", [PLANNING_P1])
    report = ingestor.sync_folder(settings.corpus_dir)
    assert report.failed == [] and len(report.ingested) == 2
    return cabinet


def passage(n: int, text: str, page: int = 1, page_end: int | None = None, locator: str = "") -> Passage:
    return Passage(
        chunk_id=f"c{n}",
        doc_id="pack/minutes-2025-01-30",
        doc_title="Minutes of the Cabinet, 30 January 2025",
        doc_type="minutes",
        page=page,
        page_end=page if page_end is None else page_end,
        locator=locator or f"Minutes, 30 January 2025 — item {n}",
        text=text,
        score=0.5,
        meeting_date="2025-01-30",
        section_id=f"s{n}",
        ordinal=n,
    )


def digest(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` (hidden ones too) with the sha256 of its bytes."""
    if not folder.exists():
        return {}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# ---- uploads: safe names, size limit, nothing stored lost ------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\clerk\\Agenda Pack.PDF", "Agenda Pack.pdf"),
        ("Cofnodion y Cyngor – Mawrth 2024.pdf", "Cofnodion y Cyngor - Mawrth 2024.pdf"),
        ("Ärzte   Bericht (final).pdf", "Ärzte Bericht (final).pdf"),
        ("会議録 2024.pdf", "会議録 2024.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("..pdf", "upload.pdf"),
        ("a<b>|c?.pdf", "a-b-c-.pdf"),
        ("minutes\x00.pdf", "minutes-.pdf"),
    ],
)
def test_safe_upload_name(given: str, stored: str) -> None:
    assert safe_upload_name(given) == stored


def test_safe_upload_name_keeps_long_unicode_names_within_the_file_system_limit() -> None:
    name = safe_upload_name("é" * 300 + ".pdf")
    assert name == "é" * 100 + ".pdf"  # 200 bytes of two-byte letters, then the extension
    assert len(name.encode("utf-8")) == 204


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("notes.docx", "notes.docx: only PDF files can be added (it ends in .docx)"),
        ("README", "README: only PDF files can be added (it has no .pdf extension)"),
        ("../minutes.pdf.exe", "minutes.pdf.exe: only PDF files can be added (it ends in .exe)"),
    ],
)
def test_non_pdf_names_are_refused_naming_the_file(given: str, message: str) -> None:
    with pytest.raises(IngestError) as err:
        safe_upload_name(given)
    assert str(err.value) == message


def test_store_upload_copies_into_the_upload_folder(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "incoming").mkdir()
    source = make_text_pdf(tmp_path / "incoming" / "tmp123.pdf", [CABINET])
    stored = store_upload(source, settings, "../Cabinet minutes.pdf")
    assert stored.path == settings.upload_dir / "Cabinet minutes.pdf"
    assert stored.path.read_bytes() == source.read_bytes()
    assert stored.created and stored.backup is None
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    # Until it is committed, its intent file says an upload is under way (for start-up, should it die).
    intent = settings.upload_dir / ".Cabinet minutes.pdf.upload"
    assert stored.intent == intent
    assert json.loads(intent.read_text()) == {"sha256": sha, "backup": False, "created": True, "attempts": 1}
    stored.commit()
    assert digest(settings.upload_dir) == {"Cabinet minutes.pdf": sha}


def test_store_upload_refuses_a_file_over_the_limit(settings: Settings, tmp_path: Path) -> None:
    small = Settings.from_env(env={}, upload_dir=settings.upload_dir, upload_max_mb=1)
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1024))
    with pytest.raises(IngestError) as err:
        store_upload(big, small, "Budget book.pdf")
    assert str(err.value) == "Budget book.pdf: is 1.0 MB; uploads are limited to 1 MB"
    assert digest(settings.upload_dir) == {}


def test_store_upload_of_the_same_bytes_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    source = make_text_pdf(tmp_path / "a.pdf", [CABINET])
    first = store_upload(source, settings, "cabinet.pdf")
    before = digest(settings.upload_dir)
    again = store_upload(source, settings, "cabinet.pdf")
    assert (again.created, again.backup) == (False, None)
    assert digest(settings.upload_dir) == before
    assert first.path == again.path


def test_a_replacement_that_is_rolled_back_restores_the_earlier_file(settings: Settings, tmp_path: Path) -> None:
    old = make_text_pdf(tmp_path / "old.pdf", [CABINET])
    new = make_text_pdf(tmp_path / "new.pdf", [PLANNING_P1])
    store_upload(old, settings, "minutes.pdf").commit()
    before = digest(settings.upload_dir)
    replacement = store_upload(new, settings, "minutes.pdf")
    assert replacement.backup == settings.upload_dir / ".minutes.pdf.previous"
    assert replacement.path.read_bytes() == new.read_bytes()
    replacement.rollback()
    assert digest(settings.upload_dir) == before


def test_add_uploads_ingests_good_files_and_refuses_bad_ones_with_the_cli_message(
    settings: Settings, ingestor: Ingestor, index: Index, synced: Path, tmp_path: Path
) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    good = make_text_pdf(incoming / "good.pdf", [PLANNING_P1.replace("twelve homes", "forty flats")])
    broken = incoming / "broken.pdf"
    broken.write_bytes(b"not a pdf")
    notes = make_not_a_pdf(incoming / "notes.txt")
    before = index.digest()
    steps: list[tuple[float, str]] = []

    result = add_uploads(
        [(good, "Planning — new.pdf"), (broken, "broken.pdf"), (notes, "notes.txt")],
        settings,
        ingestor,
        progress=lambda frac, desc: steps.append((frac, desc)),
    )

    assert result.added == ["Planning - new.pdf"]
    # The message `scrutineer ingest broken.pdf` prints after "error: ".
    cli_message = Ingestor(settings, index, HashEmbedder()).ingest_paths([broken]).failed[0][1]
    assert result.failed == [
        ("notes.txt", "notes.txt: only PDF files can be added (it ends in .txt)"),
        ("broken.pdf", cli_message),
    ]
    assert cli_message == "broken.pdf: is not a PDF file (it looks like plain text); only PDFs can be ingested"
    assert sorted(p.name for p in settings.upload_dir.iterdir()) == ["Planning - new.pdf"]
    assert set(index.file_records()) == {"cabinet.pdf", "planning.pdf", "Planning - new.pdf"}
    assert index.file_records()["Planning - new.pdf"]["folder"] == str(settings.upload_dir.resolve())
    assert index.digest() != before
    assert steps[0] == (0.0, "Planning - new.pdf (file 1 of 2): reading")


def test_a_bad_replacement_keeps_the_stored_file_and_the_index(
    settings: Settings, ingestor: Ingestor, index: Index, tmp_path: Path
) -> None:
    good = make_text_pdf(tmp_path / "good.pdf", [CABINET, CABINET_P2])
    assert add_uploads([(good, "minutes.pdf")], settings, ingestor).added == ["minutes.pdf"]
    files_before, index_before = digest(settings.upload_dir), index.digest()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf")

    result = add_uploads([(broken, "minutes.pdf")], settings, ingestor)

    assert result.added == []
    assert result.failed == [
        ("minutes.pdf", "minutes.pdf: is not a PDF file (it looks like plain text); only PDFs can be ingested")
    ]
    assert digest(settings.upload_dir) == files_before
    assert index.digest() == index_before


def test_an_upload_cut_short_before_its_file_was_stored_is_put_back_at_start(
    settings: Settings, ingestor: Ingestor, index: Index, tmp_path: Path
) -> None:
    good = make_text_pdf(tmp_path / "good.pdf", [CABINET, CABINET_P2])
    assert add_uploads([(good, "minutes.pdf")], settings, ingestor).added == ["minutes.pdf"]
    files_before, index_before = digest(settings.upload_dir), index.digest()
    # What store_upload leaves when killed after writing its intent file, before its copy landed.
    intent = {"sha256": "0" * 64, "backup": True, "created": False, "attempts": 1}
    (settings.upload_dir / ".minutes.pdf.upload").write_text(json.dumps(intent))
    (settings.upload_dir / ".incoming-abc123.pdf").write_bytes(b"%PDF-1.7 half a copy")

    result = sync_uploads(settings, ingestor)

    assert result.notices == [
        (
            "minutes.pdf",
            "minutes.pdf: its upload was interrupted before the file was stored; the previous version is still in"
            " the index",
        )
    ]
    assert digest(settings.upload_dir) == files_before
    assert index.digest() == index_before


def test_uploading_a_corpus_file_again_keeps_no_duplicate(
    settings: Settings, ingestor: Ingestor, index: Index, synced: Path
) -> None:
    result = add_uploads([(synced, "cabinet.pdf")], settings, ingestor)
    assert (result.added, result.unchanged, result.failed) == ([], ["cabinet.pdf"], [])
    assert digest(settings.upload_dir) == {}


def test_two_files_with_one_name_in_one_upload(settings: Settings, ingestor: Ingestor, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = make_text_pdf(tmp_path / "a" / "minutes.pdf", [CABINET])
    second = make_text_pdf(tmp_path / "b" / "minutes.pdf", [PLANNING_P1])
    result = add_uploads([(first, "minutes.pdf"), (second, "minutes.pdf")], settings, ingestor)
    assert result.added == ["minutes.pdf"]
    assert result.failed == [("minutes.pdf", "minutes.pdf: another file in this upload has the same name")]
    assert (settings.upload_dir / "minutes.pdf").read_bytes() == first.read_bytes()


# ---- page images ---------------------------------------------------------------------------------


def test_resolve_pdf_finds_files_only_in_the_corpus_and_upload_folders(
    settings: Settings, cabinet: Path, tmp_path: Path
) -> None:
    settings.upload_dir.mkdir(parents=True)
    uploaded = make_text_pdf(settings.upload_dir / "uploaded.pdf", [PLANNING_P1])
    outside = make_text_pdf(tmp_path / "outside.pdf", [PLANNING_P1])
    (settings.upload_dir / "link.pdf").symlink_to(outside)

    assert resolve_pdf("cabinet.pdf", settings) == cabinet.resolve()
    assert resolve_pdf("uploaded.pdf", settings, folder=str(settings.upload_dir)) == uploaded.resolve()
    # A folder the index names that is neither allowed folder is ignored, not trusted.
    assert resolve_pdf("cabinet.pdf", settings, folder=str(tmp_path)) == cabinet.resolve()
    refused = {
        "../outside.pdf": "'../outside.pdf' is not a file name",
        str(outside): f"{str(outside)!r} is not a file name",
        "..": "'..' is not a file name",
        "link.pdf": "link.pdf: not found in the corpus or upload folder",
        "outside.pdf": "outside.pdf: not found in the corpus or upload folder",
    }
    for name, message in refused.items():
        with pytest.raises(PageNotAvailable) as err:
            resolve_pdf(name, settings)
        assert str(err.value) == message


def test_page_image_renders_the_page_and_outlines_the_quote(cabinet: Path) -> None:
    plain = Image.open(io.BytesIO(page_png(cabinet, 1)))
    assert plain.size == (893, 1263)  # A4 (595 × 842 pt) at 1.5 pixels per point
    marked, found = page_image(cabinet, 1, [BUDGET_SENTENCE])
    assert found == 1
    assert marked.size == plain.size
    # The outline's blue frame is drawn only where the quotation stands.
    diff = np.any(np.asarray(marked, dtype=int) != np.asarray(plain.convert("RGB"), dtype=int), axis=2)
    rows = np.nonzero(diff.any(axis=1))[0]
    assert 0 < rows.min() < rows.max() < plain.size[1] / 2
    assert page_image(cabinet, 2, [BUDGET_SENTENCE])[1] == 0  # not on page 2
    assert render_page(cabinet, 2, ["RESOLVED that the highways maintenance plan be noted."]).marked == 1


def test_page_image_errors_name_the_file(settings: Settings, cabinet: Path) -> None:
    with pytest.raises(PageNotAvailable) as err:
        page_png(cabinet, 3)
    assert str(err.value) == "cabinet.pdf: has no page 3 (it has 2)"
    broken = make_not_a_pdf(settings.corpus_dir / "broken.pdf")
    with pytest.raises(PageNotAvailable) as err:
        page_png(broken, 1)
    assert str(err.value).startswith("broken.pdf: cannot be opened as a PDF")


def test_a_huge_page_is_drawn_small_within_the_pixel_budget(settings: Settings) -> None:
    """A 1 KB file with a 14,400-point box once took the server from 0.7 to 4.3 GB (466 million
    pixels at 1.5 per point); it is drawn at the scale that fits SCRUTINEER_PAGE_MAX_PIXELS."""
    big = make_text_pdf(settings.corpus_dir / "big.pdf", [BUDGET_SENTENCE], size=(14_400, 14_400))
    assert big.stat().st_size < 1024
    started = time.perf_counter()
    rendered = render_page(big, 1, [BUDGET_SENTENCE], max_pixels=settings.page_max_pixels)
    assert time.perf_counter() - started < 10
    assert Image.open(io.BytesIO(rendered.png)).size == (1999, 1999)  # ceil(14,400 × 0.1388) per side
    assert rendered.marked == 1
    smaller = Settings.from_env(env={"SCRUTINEER_PAGE_MAX_PIXELS": "2250000"}).page_max_pixels
    assert Image.open(io.BytesIO(page_png(big, 1, max_pixels=smaller))).size == (1499, 1499)
    # An A4 page fits the default budget at the usual 1.5 pixels per point.
    a4 = make_text_pdf(settings.corpus_dir / "a4.pdf", [BUDGET_SENTENCE])
    assert Image.open(io.BytesIO(page_png(a4, 1, max_pixels=settings.page_max_pixels))).size == (893, 1263)


def test_a_page_too_large_to_show_is_refused(settings: Settings) -> None:
    """A 200,000-point box raised MemoryError; at a readable scale it cannot fit any sane budget."""
    huge = make_text_pdf(settings.corpus_dir / "huge.pdf", [BUDGET_SENTENCE], size=(200_000, 200_000))
    with pytest.raises(PageNotAvailable) as err:
        render_page(huge, 1, [BUDGET_SENTENCE])
    assert str(err.value) == (
        "huge.pdf: page 1 is too large to show: 200,000 × 200,000 points would not be readable in 4,000,000"
        " pixels (SCRUTINEER_PAGE_MAX_PIXELS)"
    )


def test_a_replaced_file_is_rendered_again(cabinet: Path) -> None:
    before = page_png(cabinet, 1)
    assert page_png(cabinet, 1) is before  # cached
    make_text_pdf(cabinet, [PLANNING_P1, CABINET_P2])
    os.utime(cabinet, ns=(1, 1))  # a different modification time, whatever the clock's resolution
    assert page_png(cabinet, 1) != before


# ---- catalogue ------------------------------------------------------------------------------------


def test_catalogue_lists_documents_newest_meeting_first(settings: Settings, index: Index, synced: Path) -> None:
    catalogue = Catalogue(index, settings)
    docs = catalogue.documents()
    assert [(d.title, d.doc_type, d.meeting_date, d.pages, d.source_file, d.origin) for d in docs] == [
        ("Minutes of the Planning Committee, 11 February 2025", "minutes", "2025-02-11", "1", "planning.pdf", "corpus"),
        ("Minutes of the Cabinet, 30 January 2025", "minutes", "2025-01-30", "1–2", "cabinet.pdf", "corpus"),
    ]
    assert all(d.status.startswith("indexed 20") for d in docs)
    choices = catalogue.filter_choices()
    assert choices.documents == [
        ("Minutes of the Planning Committee, 11 February 2025 (minutes, 11 February 2025)", docs[0].doc_id),
        ("Minutes of the Cabinet, 30 January 2025 (minutes, 30 January 2025)", docs[1].doc_id),
    ]
    assert choices.doc_types == ["minutes"]
    assert catalogue.folder_of("cabinet.pdf") == str(settings.corpus_dir.resolve())
    assert catalogue.source_file_of(docs[1].doc_id) == "cabinet.pdf"


def test_catalogue_decisions_grouped_by_meeting_and_searchable(settings: Settings, index: Index, synced: Path) -> None:
    catalogue = Catalogue(index, settings)
    decisions = catalogue.decisions()
    assert [(d.meeting, d.minute_item, d.page, d.text) for d in decisions] == [
        (
            "Planning Committee, 11 February 2025",
            "2",
            1,
            "RESOLVED that planning permission be granted subject to conditions.",
        ),
        ("Cabinet, 30 January 2025", "2", 1, "RESOLVED that the budget be approved."),
        ("Cabinet, 30 January 2025", "3", 2, "RESOLVED that the highways maintenance plan be noted."),
    ]
    groups = group_by_meeting(decisions)
    assert [(meeting, len(items)) for meeting, items in groups] == [
        ("Planning Committee, 11 February 2025", 1),
        ("Cabinet, 30 January 2025", 2),
    ]
    assert [d.text for d in catalogue.decisions("HIGHWAYS noted")] == [decisions[2].text]
    assert [d.text for d in catalogue.decisions("minute 2 cabinet")] == [decisions[1].text]
    assert [d.text for d in catalogue.decisions("minute 3")] == [decisions[2].text]  # not "30 January"
    assert catalogue.decisions("library") == []
    assert catalogue.decision(decisions[1].resolution_id) == decisions[1]


def test_catalogue_rereads_after_an_ingest_and_can_leave_out_proposals(
    settings: Settings, index: Index, ingestor: Ingestor, fake_embedder: HashEmbedder, synced: Path
) -> None:
    catalogue = Catalogue(index, settings)
    assert len(catalogue.decisions()) == 3
    proposal = Row(
        "res:proposal-1",
        "The Cabinet is asked to note the report.",
        {
            "record_type": "resolution",
            "kind": "proposal",
            "committee": "Cabinet",
            "meeting_date": "2025-03-01",
            "doc_id": "x/report",
            "page": 1,
            "locator": "Report — Recommendation(s)",
            "source_file": "report.pdf",
        },
        fake_embedder.vector("The Cabinet is asked to note the report."),
    )
    index.upsert("records", [proposal])
    index.bump_generation(fake_embedder.dimension)
    assert [d.kind_label for d in catalogue.decisions()] == [
        "Recommendation put to the meeting",
        "Decision",
        "Decision",
        "Decision",
    ]
    assert len(catalogue.decisions(include_proposals=False)) == 3


# ---- export ---------------------------------------------------------------------------------------


def answered_session() -> ChatSession:
    cited = passage(2, "2. Budget The Cabinet considered the *draft* budget. RESOLVED that the budget be approved.")
    first = Answer(
        question="What was resolved on the budget?",
        text="“RESOLVED that the budget be approved.” [1]",
        abstained=False,
        citations=[cited],
        retrieved=[cited],
        quotes=[("RESOLVED that the budget be approved.", 1)],
    )
    related = passage(4, "4. Any Other Business There was no other business.", page=2)
    second = Answer(
        question="Who is the mayor?",
        text="The papers do not answer this question. The closest passages are listed as related reading.",
        abstained=True,
        citations=[],
        retrieved=[related],
        related=[related],
    )
    return ChatSession(turns=[first, second], questions=[first.question, second.question])


def test_conversation_markdown_has_every_question_answer_and_citation() -> None:
    markdown = conversation_markdown(answered_session(), when="2025-03-01 10:00")
    assert markdown == (
        "# Scrutineer conversation\n"
        "\n"
        "Exported 2025-03-01 10:00. Quotations are verbatim from the papers cited.\n"
        "\n"
        "## 1. What was resolved on the budget?\n"
        "\n"
        "“RESOLVED that the budget be approved.” [1]\n"
        "\n"
        "### Sources\n"
        "\n"
        "**\\[1\\] Minutes, 30 January 2025 — item 2 (page 1)**  \n"
        "Minutes of the Cabinet, 30 January 2025\n"
        "\n"
        "> 2. Budget The Cabinet considered the \\*draft\\* budget. RESOLVED that the budget be approved.\n"
        "\n"
        "## 2. Who is the mayor?\n"
        "\n"
        "The papers do not answer this question. The closest passages are listed as related reading.\n"
        "\n"
        "### Related reading\n"
        "\n"
        "- Minutes, 30 January 2025 — item 4 (page 2)\n"
    )


def test_write_export_writes_a_markdown_file(tmp_path: Path) -> None:
    path = write_export(answered_session(), tmp_path / "out")
    assert path.parent == tmp_path / "out"
    assert path.name.startswith("scrutineer-conversation-") and path.suffix == ".md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Scrutineer conversation\n")
    assert "## 2. Who is the mayor?" in text


# ---- what the app renders -------------------------------------------------------------------------


def test_answer_markdown_makes_each_citation_a_link_to_its_source() -> None:
    first = answered_session().turns[0]
    assert app.answer_markdown(first, turn=3) == (
        "“RESOLVED that the budget be approved.” "
        '<a class="cite" href="#source-3-1" title="Show source 1: Minutes, 30 January 2025 — item 2 (page 1)">'
        "[1]</a>\n\n**Sources**\n\n"
        '- <a class="cite" href="#source-3-1" title="Show source 1: Minutes, 30 January 2025 — item 2 (page 1)">'
        "[1]</a> Minutes, 30 January 2025 — item 2 (page 1)"
    )


def test_answer_markdown_of_an_abstention_lists_related_reading() -> None:
    second = answered_session().turns[1]
    assert app.answer_markdown(second, turn=1) == (
        "The papers do not answer this question. The closest passages are listed as related reading."
        "\n\n**Related reading**\n\n"
        '- <a class="cite" href="#source-1-1" title="Show source 1: Minutes, 30 January 2025 — item 4 (page 2)">'
        "[1]</a> Minutes, 30 January 2025 — item 4 (page 2)"
    )


def test_answer_markdown_escapes_what_the_papers_say() -> None:
    cited = passage(1, "x")
    answer = Answer("q", "“<script>alert(1)</script> *not bold* [x]” [1]", False, [cited], [cited])
    assert app.answer_markdown(answer, 1).split(" <a ")[0] == (
        "“&lt;script&gt;alert(1)&lt;/script&gt; \\*not bold\\* \\[x\\]”"
    )


def test_render_sources_highlights_the_quote_and_frames_the_selected_source() -> None:
    first = answered_session().turns[0]
    html = app.render_sources(first, turn=1, selected=1)
    assert html == (
        '<p class="sources-status" role="status">Showing source 1 of 1: Minutes, 30 January 2025 — item 2 (page 1).'
        '</p><h3 class="visually-hidden">Cited passages</h3><ul class="source-list">'
        '<li class="source-card selected" id="source-card-1" aria-current="true">'
        '<a class="cite" href="#source-1-1" title="Show source 1: Minutes, 30 January 2025 — item 2 (page 1)">[1]</a>'
        " <strong>Minutes, 30 January 2025 — item 2 (page 1)</strong>"
        '<div class="doc-title">Minutes of the Cabinet, 30 January 2025</div>'
        "<p>2. Budget The Cabinet considered the *draft* budget. <mark>RESOLVED that the budget be approved.</mark></p>"
        "</li></ul>"
    )
    unselected = app.render_sources(first, turn=1)
    assert "aria-current" not in unselected and "1 source(s) cited. Select one to see its page." in unselected


def test_highlight_finds_quotes_whatever_the_spacing_and_shows_missing_ones() -> None:
    text = "The gap was £23.335m for 2024/ 25.\nMembers asked about  reserves."
    assert app.highlight(text, ["The gap was £23.335m for 2024/25."]) == (
        "<p><mark>The gap was £23.335m for 2024/ 25.</mark> Members asked about reserves.</p>"
    )
    assert app.highlight("A <b> B", ["Not here."]) == "<p>Quoted: <mark>Not here.</mark></p><p>A &lt;b&gt; B</p>"
    assert app.highlight("One. Two. Three.", ["Two.", "One. Two."]) == "<p><mark>One. Two.</mark> Three.</p>"


def test_render_decisions_groups_by_meeting_with_a_link_to_each_page() -> None:
    entry = DecisionEntry(
        resolution_id="res:pack/minutes#item-34/r1",
        kind="decision",
        text="1. A review be undertaken.",
        committee="Scrutiny Committee",
        organisation=None,
        meeting_date="2024-01-24",
        doc_id="pack/minutes",
        doc_title="Minutes",
        minute_item="34",
        page=5,
        locator="Minutes, 24 January 2024 — item 34 Budget",
        source_file="pack.pdf",
    )
    assert app.render_decisions([entry], "review", selected=entry.resolution_id) == (
        '<p role="status">1 resolution(s) from 1 meeting(s) matching “review”.</p>'
        '<section class="meeting" aria-labelledby="meeting-1">'
        '<h3 id="meeting-1">Scrutiny Committee, 24 January 2024</h3>'
        '<ul class="resolutions"><li class="resolution selected" aria-current="true"><div><strong>Minute 34</strong>'
        ' · Decision · <a class="open-page" href="#page-res%3Apack%2Fminutes%23item-34%2Fr1">Show page 5'
        '<span class="visually-hidden"> of Minutes, 24 January 2024 — item 34 Budget</span></a></div>'
        "<blockquote>1. A review be undertaken.</blockquote><div>Minutes, 24 January 2024 — item 34 Budget</div>"
        "</li></ul></section>"
    )
    assert app.render_decisions([], "zoning") == '<p role="status">No resolution matches “zoning”.</p>'


def test_filters_from_the_controls() -> None:
    assert app.build_filters([], [], [], "", "  ") is None
    assert app.build_filters(["d1"], ["minutes"], [], "2024-01-01", "2024-12-31") == {
        "doc_id": ["d1"],
        "doc_type": ["minutes"],
        "date_from": "2024-01-01",
        "date_to": "2024-12-31",
    }
    with pytest.raises(ValueError) as err:
        app.build_filters([], [], [], "13/03/2024", "")
    assert str(err.value) == "Meetings from: “13/03/2024” is not a date; write it as YYYY-MM-DD, e.g. 2024-03-13"
    with pytest.raises(ValueError) as err:
        app.build_filters([], [], [], "2024-05-01", "2024-01-01")
    assert str(err.value) == "Meetings from (2024-05-01) is after Meetings to (2024-01-01)"


def test_parse_bridge_drops_the_time_stamp() -> None:
    assert app.parse_bridge("2-3|1718000000000") == "2-3"
    assert app.parse_bridge("res%3Aa|1") == "res%3Aa"
    assert app.parse_bridge("") is None
    assert app.parse_bridge("no-stamp") is None


def test_page_view_shows_the_page_of_the_quoted_sentence(settings: Settings, index: Index, synced: Path) -> None:
    catalogue = Catalogue(index, settings)
    pages = app.PageView(index, settings, catalogue)
    doc_id = catalogue.documents()[1].doc_id  # the cabinet minutes, pages 1–2
    cited = passage(1, "RESOLVED that the highways maintenance plan be noted.", page=1, page_end=2)
    cited.doc_id = doc_id
    chunk = next(r for r in index.get("chunks") if "highways maintenance plan be noted" in r.text)
    cited.chunk_id = chunk.id
    figure = pages.for_passage(1, cited, ["RESOLVED that the highways maintenance plan be noted."])
    expected_png = render_page(
        settings.corpus_dir / "cabinet.pdf", 2, ["RESOLVED that the highways maintenance plan be noted."]
    ).png
    assert figure == (
        '<figure class="page-figure"><figcaption>Page 2 of cabinet.pdf: [1] Minutes, 30 January 2025 — item 1'
        " (pages 1–2). The quoted words are outlined on the page.</figcaption>"
        '<div class="page-tools" role="group" aria-label="Page 2 of 2">'
        '<a class="turn-page" href="#goto-ask/cabinet.pdf/1">Previous page<span class="visually-hidden"> (page 1)'
        '</span></a><span class="turn-page" aria-disabled="true">Next page</span>'
        '<button type="button" class="zoom-page" aria-pressed="false">Zoom in</button>'
        '<a class="open-pdf" href="pdf/cabinet.pdf#page=2" target="_blank" rel="noopener">Open the PDF at this page'
        '<span class="visually-hidden"> (new tab)</span></a></div>'
        '<div class="page-scroll" tabindex="0" role="region" aria-label="Page 2 of cabinet.pdf as printed">'
        f'<img src="data:image/png;base64,{base64.b64encode(expected_png).decode()}"'
        ' alt="Page 2 of cabinet.pdf as printed"></div></figure>'
    )
    (settings.corpus_dir / "cabinet.pdf").unlink()
    assert pages.for_passage(1, cited, []) == (
        '<p class="page-caption">The page cannot be shown: cabinet.pdf: not found in the corpus or upload folder.</p>'
    )


def test_page_view_of_a_decision(settings: Settings, index: Index, synced: Path) -> None:
    catalogue = Catalogue(index, settings)
    pages = app.PageView(index, settings, catalogue)
    highways = catalogue.decisions("highways")[0]
    figure = pages.for_decision(highways)
    assert figure.startswith(
        '<figure class="page-figure"><figcaption>Page 2 of cabinet.pdf: Cabinet, 30 January 2025, minute 3, decision.'
        " The quoted words are outlined on the page.</figcaption>"
    )
    png = base64.b64decode(figure.split("base64,")[1].split('"')[0])
    assert Image.open(io.BytesIO(png)).size == (893, 1263)


def test_render_documents_is_a_table_with_a_caption_and_column_headers(
    settings: Settings, index: Index, synced: Path
) -> None:
    html = app.render_documents(Catalogue(index, settings).documents())
    assert html.startswith(
        '<div class="table-scroll" tabindex="0" role="region" aria-label="Documents in the index">'
        '<table class="documents-table">'
        "<caption>Documents in the index: 2 document(s) from 2 file(s)</caption><thead><tr>"
        '<th scope="col">Title</th><th scope="col">Type</th><th scope="col">Meeting date</th>'
        '<th scope="col">Pages</th><th scope="col">Sections</th><th scope="col">File</th>'
        '<th scope="col">Status</th></tr></thead><tbody><tr>'
        "<td>Minutes of the Planning Committee, 11 February 2025</td><td>minutes</td><td>2025-02-11</td>"
        "<td>1</td><td>3</td><td>planning.pdf</td><td>indexed 20"
    )
    assert html.count("<tr>") == 3 and html.count("(corpus folder)</td>") == 2
    assert app.render_documents([]) == ('<p role="status">No documents in the index yet. Add PDF files above.</p>')


def test_describe_filters_says_what_was_searched() -> None:
    assert app.describe_filters(None) == ""
    assert (
        app.describe_filters(
            {
                "doc_id": ["a", "b"],
                "doc_type": ["minutes", "report"],
                "organisation": ["Kent County Council"],
                "date_to": "2024-12-31",
            }
        )
        == "Searched only: 2 document(s); types minutes, report; Kent County Council; meetings … to 2024-12-31."
    )


def test_the_documents_tab_says_what_start_up_repaired(settings: Settings, index: Index, synced: Path) -> None:
    from assistant.service import Assistant

    notices = [
        "agenda.pdf: its upload was interrupted; it has now been ingested, so the new version is in the index",
        "minutes <b>.pdf: was in the upload folder but not in the index; it has been ingested",
    ]
    assert app.startup_status(notices) == (
        '<div role="status"><p>When the app started:</p>'
        "<p>agenda.pdf: its upload was interrupted; it has now been ingested, so the new version is in the index.</p>"
        "<p>minutes &lt;b&gt;.pdf: was in the upload folder but not in the index; it has been ingested.</p></div>"
    )
    assert app.startup_status([]) == app.status_html("")
    demo = app.build_app(Assistant(settings, index=index, embedder=HashEmbedder()), notices)
    status = next(c for c in demo.config["components"] if c.get("props", {}).get("elem_id") == "upload-status")
    assert status["props"]["value"] == app.startup_status(notices)
