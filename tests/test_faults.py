"""Faults as messages: a read-only or full index folder, a Chroma server gone (at start, mid-ask,
mid-ingest) and an empty question each come out as one line naming the folder, URL or input and what
to do, in the library, the CLI and the app alike; what was stored before is still there."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import chromadb.api.models.Collection as chroma_collection
import pytest
from chromadb.errors import InternalError
from fakes import HashEmbedder
from pdf_factory import make_text_pdf
from test_chroma_server import CABINET, LIBRARIES, PLANNING, running_chroma

from assistant import cli
from assistant.service import Assistant, ChatSession
from ingest import store
from ingest.errors import IndexUnavailable
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import Index

QUESTION = "What was the budget gap for 2025/26?"


def read_only_message(settings: Settings) -> str:
    return (
        f"The index folder {settings.index_dir} is read-only: make it writable for this user, or set"
        " SCRUTINEER_INDEX_DIR to a writable folder, then try again."
    )


def full_message(settings: Settings) -> str:
    return f"The disk holding the index folder {settings.index_dir} is full: free some space there, then try again."


def server_message(url: str) -> str:
    return (
        f"The Chroma server at SCRUTINEER_CHROMA_URL={url!r} does not answer ([Errno 111] Connection refused):"
        " start it again or correct the URL, then try again."
    )


@pytest.fixture
def stored(settings: Settings, index: Index, fake_embedder: HashEmbedder) -> str:
    """The cabinet minutes ingested; returns the index digest, to show nothing stored is lost."""
    make_text_pdf(settings.corpus_dir / "cabinet-2025-01-30.pdf", CABINET)
    assert Ingestor(settings, index, fake_embedder).sync_folder(settings.corpus_dir).ingested == [
        "cabinet-2025-01-30.pdf"
    ]
    return index.digest()


def fail_writes(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    """Every Chroma write raises ``error``, as the database would when its folder or disk refuses."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise error

    for name in ("upsert", "add", "delete"):
        monkeypatch.setattr(chroma_collection.Collection, name, refuse)


def cli_ingest(monkeypatch: pytest.MonkeyPatch, settings: Settings, *args: str) -> int:
    """``scrutineer ingest`` in this process, on ``settings`` and with the fake embedder."""
    monkeypatch.setattr(Settings, "from_env", classmethod(lambda cls, *a, **k: settings))
    monkeypatch.setattr("ingest.embeddings.MiniLMEmbedder", lambda *a, **k: HashEmbedder())
    return cli.main(["ingest", *args])


def last_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The one line the CLI ends with (above it, only the progress bar); it must be the only error line."""
    err = capsys.readouterr().err
    assert err.count("error:") == 1, err
    return err.rstrip("\n").rsplit("\n", 1)[-1]


def add_planning(settings: Settings) -> Path:
    return make_text_pdf(settings.corpus_dir / "planning-2025-02-11.pdf", PLANNING)


# ---- a read-only index folder, a full disk ----------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            InternalError("error returned from database: (code: 8) attempt to write a readonly database"),
            read_only_message,
        ),
        (OSError(errno.ENOSPC, "No space left on device"), full_message),
    ],
    ids=["read-only", "full"],
)
def test_a_folder_refusing_writes_is_one_line_and_loses_nothing(
    settings: Settings,
    index: Index,
    stored: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
    message,
) -> None:
    add_planning(settings)
    with monkeypatch.context() as patched:
        fail_writes(patched, error)
        with pytest.raises(IndexUnavailable) as caught:
            Ingestor(settings, index, HashEmbedder()).sync_folder(settings.corpus_dir)
        assert str(caught.value) == message(settings)
        assert cli_ingest(patched, settings) == 2
        assert last_line(capsys) == f"error: {message(settings)}"
        # Reading still works: questions are answered from what was stored.
        assert "£7.4m" in Assistant(settings, index, HashEmbedder()).ask(QUESTION).text
    assert index.digest() == stored
    # Writable again (space freed): the next ingest adds the file.
    assert Ingestor(settings, index, HashEmbedder()).sync_folder(settings.corpus_dir).ingested == [
        "planning-2025-02-11.pdf"
    ]


@contextlib.contextmanager
def immutable(folder: Path) -> Iterator[None]:
    """``folder`` really read-only, even for root (chattr +i; chmod when not root), or the test skipped."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"running as root and chattr +i is not available here ({done.stderr.decode().strip()})")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_really_read_only_index_folder_says_so(settings: Settings, index: Index, stored: str) -> None:
    add_planning(settings)
    with immutable(settings.index_dir / "chroma"), pytest.raises(IndexUnavailable) as caught:
        Ingestor(settings, Index(settings), HashEmbedder()).sync_folder(settings.corpus_dir)
    assert str(caught.value) == read_only_message(settings)
    assert Index(settings).digest() == stored


# ---- Chroma's own words for a full disk --------------------------------------------------------


def test_chromas_compaction_error_on_a_full_disk_names_the_disk(
    settings: Settings, index: Index, stored: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Embedded Chroma says only "Error in compaction" when the disk fills (seen on a 3 MB tmpfs), and
    reading fails too; the free space tells the two apart from any other internal error."""
    compaction = InternalError("Error in compaction: Failed to apply logs to the metadata segment")
    monkeypatch.setattr(chroma_collection.Collection, "count", lambda *_a, **_k: (_ for _ in ()).throw(compaction))
    assistant = Assistant(settings, index, HashEmbedder())
    monkeypatch.setattr(store, "_free_bytes", lambda _folder: 4096)
    with pytest.raises(IndexUnavailable) as caught:
        assistant.ask(QUESTION)
    assert str(caught.value) == full_message(settings)
    monkeypatch.setattr(store, "_free_bytes", lambda _folder: 2**30)
    with pytest.raises(InternalError):  # not a full disk: the error is Chroma's, as it was
        assistant.ask(QUESTION)


# ---- the Chroma server gone -------------------------------------------------------------------------


@pytest.fixture
def own_server(settings: Settings, tmp_path: Path) -> Iterator[tuple[Settings, subprocess.Popen]]:
    """A Chroma server of this test's own (it is killed part-way), and settings pointing at it."""
    with running_chroma(tmp_path) as (url, server):
        yield dataclasses.replace(settings, chroma_url=url, collection_prefix="gone"), server


def test_server_gone_at_start(settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    from evals.load import free_port

    url = f"http://127.0.0.1:{free_port()}"
    gone = dataclasses.replace(settings, chroma_url=url)
    monkeypatch.setattr(Settings, "from_env", classmethod(lambda cls, *a, **k: gone))
    assert cli.main(["ask", QUESTION]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: no Chroma server answers at SCRUTINEER_CHROMA_URL='{url}' (")
    assert err.count("\n") == 1


def test_server_gone_mid_ask_and_mid_ingest(
    own_server: tuple[Settings, subprocess.Popen], monkeypatch: pytest.MonkeyPatch
) -> None:
    on_server, server = own_server
    index = Index(on_server)
    make_text_pdf(on_server.corpus_dir / "cabinet-2025-01-30.pdf", CABINET)
    Ingestor(on_server, index, HashEmbedder()).sync_folder(on_server.corpus_dir)
    assistant = Assistant(on_server, index, HashEmbedder())
    assert "£7.4m" in assistant.ask(QUESTION).text
    stored = index.digest()

    # Mid-ingest: the server dies once the second file's text is embedded, before any of it is written.
    add_planning(on_server)
    make_text_pdf(on_server.corpus_dir / "libraries-2025-03-03.pdf", LIBRARIES)

    class DiesMidIngest(HashEmbedder):
        def embed(self, texts: list[str]):
            if self.calls == 1:
                server.kill()
                server.wait()
            return super().embed(texts)

    with pytest.raises(IndexUnavailable) as caught:
        Ingestor(on_server, index, DiesMidIngest()).sync_folder(on_server.corpus_dir)
    assert str(caught.value) == server_message(on_server.chroma_url)

    # Mid-ask, and in the app: the same line, in the status under the question, which stays in its box.
    with pytest.raises(IndexUnavailable) as caught:
        assistant.ask(QUESTION, session=ChatSession())
    assert str(caught.value) == server_message(on_server.chroma_url)
    import app

    monkeypatch.setattr(app, "Catalogue", _NoCatalogue)
    demo = app.build_app(assistant)
    respond = next(f.fn for f in demo.fns.values() if f.name == "respond")
    outputs = respond(QUESTION, [], None, [], [], [], "", "")
    assert outputs[0] == QUESTION and outputs[1] == []
    assert outputs[-1] == app.status_html(server_message(on_server.chroma_url), error=True)

    # Back again: what was stored is there; the next ingest finishes what the last one began.
    port = int(on_server.chroma_url.rsplit(":", 1)[1])
    with running_chroma(Path(on_server.index_dir).parent, port=port):
        again = Index(on_server)
        report = Ingestor(on_server, again, HashEmbedder()).sync_folder(on_server.corpus_dir)
        assert sorted(report.ingested) == ["libraries-2025-03-03.pdf", "planning-2025-02-11.pdf"]
        assert sorted(again.file_records()) == [
            "cabinet-2025-01-30.pdf",
            "libraries-2025-03-03.pdf",
            "planning-2025-02-11.pdf",
        ]
        assert stored != again.digest()
        assert "£7.4m" in Assistant(on_server, again, HashEmbedder()).ask(QUESTION).text


class _NoCatalogue:
    """Stands in for the app's catalogue when the server is gone before the app is built."""

    def __init__(self, *_args: object) -> None:
        pass

    def filter_choices(self):
        from assistant.catalogue import FilterChoices

        return FilterChoices([], [], [])

    def decisions(self, *_args: object) -> list:
        return []

    def documents(self) -> list:
        return []


# ---- an empty question ------------------------------------------------------------------------------

EMPTY = "The question is empty: type a question about the papers."


def test_a_whitespace_question_is_one_line_everywhere(
    settings: Settings, index: Index, stored: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from assistant.errors import QuestionRefused

    assistant = Assistant(settings, index, HashEmbedder())
    for blank in ["", "   ", "\t\n \u00a0\u2003"]:
        with pytest.raises(QuestionRefused) as caught:
            assistant.ask(blank)
        assert str(caught.value) == EMPTY
    import app

    demo = app.build_app(assistant)
    respond = next(f.fn for f in demo.fns.values() if f.name == "respond")
    outputs = respond("  \n ", [], None, [], [], [], "", "")
    assert outputs[-1] == app.status_html(EMPTY, error=True)
    monkeypatch.setattr("assistant.service.Assistant", lambda *_a, **_k: assistant)
    monkeypatch.setattr(Settings, "from_env", classmethod(lambda cls, *a, **k: settings))
    assert cli.main(["ask", " \t "]) == 2
    assert capsys.readouterr().err == f"error: {EMPTY}\n"
