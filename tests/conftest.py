"""Shared fixtures: isolated settings in a temporary folder and a fake embedder."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Before anything imports chromadb: no telemetry, no network.
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import HashEmbedder

from ingest.bootstrap import ensure_index
from ingest.pipeline import Ingestor, ParsedFile, parse_pdf
from ingest.settings import Settings
from ingest.store import Index


def _one_folder_for_the_run(variable: str, prefix: str) -> None:
    """Set ``variable`` to a temporary folder removed when the run ends, unless it names one already.
    Set here, before pytest-xdist starts its workers, so that every worker inherits the same folder."""
    if not os.environ.get(variable):
        os.environ[variable] = tempfile.mkdtemp(prefix=prefix)
        atexit.register(shutil.rmtree, os.environ[variable], ignore_errors=True)


# One OCR cache for the run: the question-set check and the evaluation's index read the same scans.
# Tests whose settings ignore the environment (isolated_settings) keep theirs in their own index folder.
_one_folder_for_the_run("SCRUTINEER_OCR_CACHE_DIR", "scrutineer-test-ocr-")
# One vector cache, likewise: the demo index of each worker and the evaluation's index of every body
# embed the bundled pack's texts once between them.
_one_folder_for_the_run("SCRUTINEER_VECTOR_CACHE_DIR", "scrutineer-test-vectors-")

CORPUS_PDF = Path(__file__).parent.parent / "corpus" / "overview-and-scrutiny-committee-2024-04-17-agenda-pack.pdf"
REALDOCS = Path(__file__).parent / "fixtures" / "realdocs"
REALDOCS_MORE = Path(__file__).parent / "fixtures" / "realdocs_more"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Test files marked ``longest`` first (stable otherwise): with workers in parallel, the longest
    file starting last would leave the others idle while it finishes."""
    items.sort(key=lambda item: item.get_closest_marker("longest") is None)


def norm(text: str) -> str:
    """White space folded, for comparing extracted text."""
    return " ".join(text.split())


class ParsedFixtures:
    """Fixture PDFs (realdocs, then realdocs_more) parsed once each on first use, with no model."""

    def __init__(self) -> None:
        self.settings = Settings.from_env(env={})
        self._done: dict[str, ParsedFile] = {}

    def __call__(self, name: str) -> ParsedFile:
        if name not in self._done:
            path = REALDOCS / name if (REALDOCS / name).exists() else REALDOCS_MORE / name
            self._done[name] = parse_pdf(path, "test", self.settings)
        return self._done[name]


def isolated_settings(folder: Path, **overrides: object) -> Settings:
    """Settings whose index, corpus and uploads live in ``folder``; ignores the environment."""
    values: dict[str, object] = {
        "index_dir": folder / "index",
        "corpus_dir": folder / "corpus",
        "upload_dir": folder / "uploads",
        "collection_prefix": "t",
        "lock_timeout_s": 0.5,
    }
    s = Settings.from_env(env={}, **{**values, **overrides})
    s.corpus_dir.mkdir(parents=True, exist_ok=True)
    return s


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose index, corpus and uploads live in ``tmp_path``; ignores the environment."""
    return isolated_settings(tmp_path)


@pytest.fixture
def fake_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def index(settings: Settings) -> Index:
    """The Chroma collections of ``settings``' temporary index."""
    return Index(settings)


@pytest.fixture
def ingestor(settings: Settings, index: Index, fake_embedder: HashEmbedder) -> Ingestor:
    """An ingestor over ``index`` with the fake embedder (test files needing another one override it)."""
    return Ingestor(settings, index, fake_embedder)


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for one index of the bundled corpus, built once per test run with the real model."""
    return Settings.from_env(
        env={},
        corpus_dir=CORPUS_PDF.parent,
        index_dir=tmp_path_factory.mktemp("demo") / "index",
        upload_dir=tmp_path_factory.mktemp("demo-uploads"),
        collection_prefix="demo",
        vector_cache_dir=Path(os.environ["SCRUTINEER_VECTOR_CACHE_DIR"]),
    )


@pytest.fixture(scope="session")
def demo_assistant(demo_settings: Settings):
    """The real assistant over the bundled corpus; the index is built on first use, once."""
    import time

    from assistant.service import Assistant

    started = time.perf_counter()
    assistant = Assistant(demo_settings)
    report = ensure_index(demo_settings, assistant.index, assistant.embedder)
    assistant.refresh()
    assert report is not None and not report.failed, report
    assistant.warm_up()
    print(f"\n[demo index built in {time.perf_counter() - started:.1f} s: {report.summary()}]")
    return assistant


@pytest.fixture(scope="session")
def demo_app_url(demo_assistant) -> Iterator[str]:
    """The Gradio app over the demo assistant, on a free loopback port, for the whole run."""
    import app
    from evals.load import free_port

    port = free_port()
    demo = app.launch(app.build_app(demo_assistant), demo_assistant.settings, "127.0.0.1", port, True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
