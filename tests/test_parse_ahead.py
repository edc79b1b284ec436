"""The next file of an ingest is parsed in the background while the current one is written: the index
and the progress are what one file at a time gives; an unchanged folder parses nothing; a file
rewritten after it was read ahead, or whose parse ahead failed, is parsed again at its turn."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import isolated_settings
from fakes import HashEmbedder
from minutes import CABINET, ENVIRONMENT, PLANNING
from pdf_factory import make_text_pdf

from ingest import pipeline
from ingest.errors import IngestError
from ingest.pipeline import Ingestor, ParseAhead
from ingest.store import Index


def _folder(folder: Path) -> Path:
    make_text_pdf(folder / "a-cabinet.pdf", [CABINET])
    make_text_pdf(folder / "b-planning.pdf", [PLANNING])
    make_text_pdf(folder / "c-environment.pdf", [ENVIRONMENT])
    return folder


def _ingest(tmp_path: Path, ahead: bool) -> tuple[list[tuple[str, str]], list[str]]:
    settings = dataclasses.replace(isolated_settings(tmp_path), ingest_parse_ahead=ahead)
    _folder(settings.corpus_dir)
    index = Index(settings)
    seen: list[str] = []
    ingestor = Ingestor(settings, index, HashEmbedder())
    report = ingestor.sync_folder(settings.corpus_dir, progress=lambda f, m: seen.append(m))
    assert report.failed == [] and len(report.ingested) == 3
    rows = sorted((r.id, r.text) for name in ("chunks", "sentences", "records") for r in index.get(name))
    return rows, seen


def test_reading_ahead_gives_the_index_and_the_progress_of_one_file_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[str] = []
    real_take = ParseAhead.take

    def take(self: ParseAhead, path: Path, *args: object) -> object:
        parsed = real_take(self, path, *args)  # type: ignore[arg-type]
        taken.append(f"{path.name}: {'read ahead' if parsed is not None else 'read now'}")
        return parsed

    monkeypatch.setattr(ParseAhead, "take", take)
    rows_ahead, progress_ahead = _ingest(tmp_path / "ahead", True)
    assert taken == ["a-cabinet.pdf: read now", "b-planning.pdf: read ahead", "c-environment.pdf: read ahead"]
    rows_one, progress_one = _ingest(tmp_path / "one", False)
    assert rows_ahead == rows_one
    assert progress_ahead == progress_one
    assert "b-planning.pdf (file 2 of 3): reading page 1 of 1" in progress_ahead


def test_unchanged_files_are_not_read_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = isolated_settings(tmp_path)
    _folder(settings.corpus_dir)
    index = Index(settings)
    Ingestor(settings, index, HashEmbedder()).sync_folder(settings.corpus_dir)
    parsed: list[str] = []
    real = pipeline.parse_pdf
    monkeypatch.setattr(pipeline, "parse_pdf", lambda path, *a, **k: parsed.append(path.name) or real(path, *a, **k))
    report = Ingestor(settings, index, HashEmbedder()).sync_folder(settings.corpus_dir)
    assert report.unchanged == ["a-cabinet.pdf", "b-planning.pdf", "c-environment.pdf"] and parsed == []
    # The first file changed: it is read, and the two unchanged after it are not read ahead.
    make_text_pdf(settings.corpus_dir / "a-cabinet.pdf", [CABINET + "\nRESOLVED that the park be kept."])
    report = Ingestor(settings, index, HashEmbedder()).sync_folder(settings.corpus_dir)
    assert report.ingested == ["a-cabinet.pdf"] and parsed == ["a-cabinet.pdf"]


def test_a_file_rewritten_after_it_was_read_ahead_is_read_again(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path)
    pdf = make_text_pdf(settings.corpus_dir / "cabinet.pdf", [CABINET])
    ingestor = Ingestor(settings, Index(settings), HashEmbedder())
    ahead = ParseAhead()
    try:
        ahead.start(pdf, ingestor._parse)
        pages: list[tuple[int, int]] = []
        assert ahead.take(pdf, "another sha", lambda n, c: pages.append((n, c))) is None and pages == []
        ahead.start(pdf, ingestor._parse)
        sha = pipeline.file_sha256(pdf)
        parsed = ahead.take(pdf, sha, lambda n, c: pages.append((n, c)))
        assert parsed is not None and parsed.sha256 == sha and pages == [(1, 1)]
        assert ahead.take(pdf, sha, None) is None  # taken once
    finally:
        ahead.close()


def test_a_failed_parse_ahead_is_not_trusted(tmp_path: Path) -> None:
    def broken(path: Path, on_page: object) -> pipeline.ParsedFile:
        raise IngestError(path, "changed while it was read")

    ahead = ParseAhead()
    try:
        ahead.start(tmp_path / "x.pdf", broken)
        assert ahead.take(tmp_path / "x.pdf", "sha", None) is None  # parsed again at its turn, its error told then
    finally:
        ahead.close()
