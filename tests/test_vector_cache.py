"""Vectors kept outside the index: a second index over the same papers, or the same index rebuilt,
embeds none of the texts it has seen; another model's vectors are never used; a damaged cache is set
aside and the texts embedded again."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from conftest import isolated_settings
from fakes import HashEmbedder
from minutes import CABINET, PLANNING
from pdf_factory import make_text_pdf

from ingest.pipeline import Ingestor
from ingest.store import Index
from ingest.vector_cache import CACHE_FILE, VectorCache


def _papers(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    make_text_pdf(folder / "cabinet.pdf", [CABINET])
    make_text_pdf(folder / "planning.pdf", [PLANNING])
    return folder


def _vectors(index: Index) -> dict[str, list[float]]:
    return {r.text: [round(float(x), 6) for x in r.vector] for r in index.get("sentences", include_vectors=True)}


def test_a_second_index_over_the_same_papers_embeds_nothing(tmp_path: Path) -> None:
    papers = _papers(tmp_path / "papers")
    shared = tmp_path / "vectors"
    first_settings = isolated_settings(tmp_path / "a", vector_cache_dir=shared)
    first, embedder = Index(first_settings), HashEmbedder()
    report = Ingestor(first_settings, first, embedder).sync_folder(papers)
    assert report.embedded > 0 and embedder.texts_embedded == report.embedded
    second_settings = isolated_settings(tmp_path / "b", vector_cache_dir=shared)
    second, again = Index(second_settings), HashEmbedder()
    report2 = Ingestor(second_settings, second, again).sync_folder(papers)
    assert (report2.embedded, again.texts_embedded) == (0, 0)
    assert report2.reused == report.embedded + report.reused
    assert _vectors(second) == _vectors(first)


def test_a_rebuilt_index_keeps_its_vectors_in_its_own_folder(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path)
    papers = _papers(settings.corpus_dir)
    index = Index(settings)
    Ingestor(settings, index, HashEmbedder()).sync_folder(papers)
    assert (settings.index_dir / "vector-cache" / CACHE_FILE).exists()
    index.clear()  # as `scrutineer ingest --rebuild` does
    embedder = HashEmbedder()
    report = Ingestor(settings, index, embedder).sync_folder(papers)
    assert report.embedded == 0 and embedder.texts_embedded == 0 and report.ingested == ["cabinet.pdf", "planning.pdf"]


def test_vectors_of_another_model_or_size_are_not_used(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path, "model-a", 4)
    cache.put({"the budget": np.array([1, 0, 0, 0], dtype=np.float32), "too short": np.array([1.0])})
    assert {k: v.tolist() for k, v in cache.get(["the budget", "too short", "unseen"]).items()} == {
        "the budget": [1.0, 0.0, 0.0, 0.0]
    }
    assert VectorCache(tmp_path, "model-b", 4).get(["the budget"]) == {}
    assert VectorCache(tmp_path, "model-a", 8).get(["the budget"]) == {}


def test_a_damaged_cache_is_set_aside_and_the_texts_embedded_again(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path)
    cache_file = settings.index_dir / "vector-cache" / CACHE_FILE
    cache_file.parent.mkdir(parents=True)
    cache_file.write_bytes(b"this is not a database" * 100)
    embedder = HashEmbedder()
    report = Ingestor(settings, Index(settings), embedder).sync_folder(_papers(settings.corpus_dir))
    assert report.failed == [] and report.embedded > 0 and embedder.texts_embedded == report.embedded
    assert cache_file.with_name(CACHE_FILE + ".damaged").exists()


def test_settings_name_the_cache_folder(tmp_path: Path) -> None:
    settings = dataclasses.replace(isolated_settings(tmp_path), vector_cache_dir=tmp_path / "elsewhere")
    assert Ingestor(settings, Index(settings), HashEmbedder()).vector_cache.path == tmp_path / "elsewhere" / CACHE_FILE
