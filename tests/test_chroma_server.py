"""Chroma server mode (``SCRUTINEER_CHROMA_URL``) against a real ``chroma run`` server on loopback.

The server is the one ``.ci/run`` starts (its URL in ``SCRUTINEER_TEST_CHROMA_URL``) or, when that
is unset, one this module starts and stops. Each test writes collections under a prefix of its own
and deletes them afterwards, so a shared server stays clean.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import chromadb
import numpy as np
import pytest
from conftest import REALDOCS
from fakes import HashEmbedder
from pdf_factory import make_text_pdf

from assistant.service import Assistant
from ingest.lexical import REFRESH_INTERVAL_S, LexicalIndex, lexical_dir
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import COLLECTIONS, META_ID, Index, make_client

URL_VARIABLE = "SCRUTINEER_TEST_CHROMA_URL"
START_TIMEOUT_S = 60.0

CABINET = [
    """MINUTES OF THE CABINET
Thursday, 30 January 2025
Present: Councillor A Smith (Chair), Councillor B Jones and Councillor C Brown.
1. Apologies
Apologies for absence were received from Councillor D White and Councillor E Green.
2. Revenue Budget 2025/26
The Cabinet considered the draft revenue budget for 2025/26 and the capital programme.
The Director of Finance presented the report and said the budget gap was £7.4m.
Members discussed the pressures on adult social care and the savings proposed.
RESOLVED that the revenue budget for 2025/26 be recommended to Council.""",
    """3. Highways Maintenance
The Cabinet Member for Transport presented a report on the condition of local roads and footways.
Officers explained that pothole repairs had increased by 18% over the winter months.
RESOLVED that the highways maintenance plan be noted.
4. Any Other Business
There was no other business and the meeting closed at 7.45 pm.""",
]
PLANNING = [
    """MINUTES OF THE PLANNING COMMITTEE
Tuesday, 11 February 2025
Present: Councillor F Patel (Chair), Councillor G Okafor and Councillor H Evans.
1. Apologies
Apologies for absence were received from Councillor J Murphy.
2. Planning Fees
The Head of Planning presented the planning service budget and the fees for pre-application advice.
RESOLVED that the planning fees schedule be approved.""",
    """3. Former Depot Site
The committee considered an application for twelve homes on the former depot site.
The case officer summarised the objections about parking and drainage.
RESOLVED that planning permission be granted subject to conditions.""",
]
LIBRARIES = [
    """MINUTES OF THE COMMUNITIES SCRUTINY PANEL
Monday, 3 March 2025
Present: Councillor K Adeyemi (Chair) and Councillor L Novak.
1. Library Opening Hours
The Head of Libraries presented a proposal for longer opening hours at branch libraries.
Visits to branch libraries rose by 12% in the year to December 2024.
RESOLVED that the new library opening hours be adopted from April 2025."""
]
QUESTIONS = [
    "What was the budget gap for 2025/26?",
    "Who presented the highways maintenance report?",
    "What did the Cabinet resolve about the revenue budget?",
    "How much had pothole repairs increased?",
    "What did the planning committee decide about the former depot site?",
    "Who chaired the planning committee?",
    "What is the council's policy on parking permits?",
]


# ---- the server ------------------------------------------------------------------------------


def _heartbeat(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a running Chroma server: CI's, or one started here for this module."""
    given = os.environ.get(URL_VARIABLE)
    if given:
        url = given.rstrip("/")
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _heartbeat(url):
            if time.monotonic() > deadline:
                pytest.fail(f"{URL_VARIABLE}={given} is set but no Chroma server answers there")
            time.sleep(0.5)
        yield url
        return
    with running_chroma(tmp_path_factory.mktemp("chroma-server")) as (url, _server):
        yield url


@contextlib.contextmanager
def running_chroma(folder: Path, port: int | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """A ``chroma run`` server on loopback storing in ``folder``/data, up until the block ends (a test
    may kill it sooner, or start it again on the same port and folder)."""
    from evals.load import free_port

    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    chroma = Path(sys.executable).parent / "chroma"
    log_path = folder / "server.log"
    with open(log_path, "ab") as log_file:
        server = subprocess.Popen(
            [str(chroma), "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _heartbeat(url):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Chroma server did not start: {log_path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.3)
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _drop(settings: Settings) -> None:
    client = make_client(settings)
    for name in COLLECTIONS:
        with contextlib.suppress(Exception):  # never created is fine: the point is that it is gone
            client.delete_collection(f"{settings.collection_prefix}_{name}")


@pytest.fixture
def on_server(settings: Settings, chroma_url: str) -> Iterator[Settings]:
    """``settings`` pointed at the server, under a prefix no other test uses; its collections are
    deleted afterwards."""
    s = dataclasses.replace(settings, chroma_url=chroma_url, collection_prefix=f"t{uuid.uuid4().hex[:12]}")
    yield s
    _drop(s)


# ---- helpers ---------------------------------------------------------------------------------


def write_pdfs(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        make_text_pdf(folder / "cabinet-2025-01-30.pdf", CABINET),
        make_text_pdf(folder / "planning-2025-02-11.pdf", PLANNING),
    ]


def content(index: Index) -> dict[str, dict[str, tuple[str, dict, np.ndarray | None]]]:
    """Every row of every collection (less the generation stamp and ingest times), by id."""
    out = {}
    for name in COLLECTIONS:
        rows = {}
        for row in index.get(name, include_vectors=True):
            if row.id == META_ID:
                continue
            meta = {k: v for k, v in row.metadata.items() if k != "ingested_at"}
            rows[row.id] = (row.text, meta, row.vector)
        out[name] = rows
    return out


def assert_same_content(a: Index, b: Index) -> None:
    ca, cb = content(a), content(b)
    for name in COLLECTIONS:
        assert ca[name].keys() == cb[name].keys(), name
        for id_, (text, meta, vector) in ca[name].items():
            assert cb[name][id_][:2] == (text, meta), (name, id_)
            # Chroma normalises cosine vectors on write: the same vector may come back an ulp apart.
            np.testing.assert_allclose(cb[name][id_][2], vector, atol=1e-6, err_msg=f"{name} {id_}")


def shown(result: dict) -> dict:
    """An answer as the contract gives it, less its latency."""
    return {k: v for k, v in result.items() if k != "latency_ms"}


# ---- tests -----------------------------------------------------------------------------------


def test_chroma_url_makes_a_server_client_and_stores_nothing_locally(on_server: Settings) -> None:
    index = Index(on_server)
    assert isinstance(index.client, chromadb.api.client.Client)
    assert index.client.get_settings().chroma_api_impl == "chromadb.api.fastapi.FastAPI"
    assert index.client.heartbeat() > 0
    names = {c.name for c in index.client.list_collections()}
    assert {f"{on_server.collection_prefix}_{n}" for n in COLLECTIONS} <= names
    assert not (on_server.index_dir / "chroma").exists()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("localhost:8000", "is not an http(s)://host:port URL"),
        ("ftp://127.0.0.1:8000", "is not an http(s)://host:port URL"),
        ("http://127.0.0.1:port", "the port is not a number"),
        ("http://127.0.0.1:8000/chroma", "is not an http(s)://host:port URL"),
        ("http://user:secret@127.0.0.1:8000", "is not an http(s)://host:port URL"),
    ],
)
def test_malformed_chroma_url_is_refused_by_name(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match="SCRUTINEER_CHROMA_URL=") as caught:
        make_client(Settings.from_env(env={"SCRUTINEER_CHROMA_URL": url}))
    assert problem in str(caught.value)
    assert repr(url) in str(caught.value)


def test_unreachable_server_names_the_url() -> None:
    from evals.load import free_port

    url = f"http://127.0.0.1:{free_port()}"  # a port nothing listens on
    with pytest.raises(ValueError, match=f"no Chroma server answers at SCRUTINEER_CHROMA_URL='{url}'"):
        make_client(Settings.from_env(env={}, chroma_url=url))


def test_server_holds_what_embedded_holds_and_answers_the_same(settings: Settings, on_server: Settings) -> None:
    embedder = HashEmbedder()
    pdfs = write_pdfs(settings.corpus_dir)
    embedded, server = Index(settings), Index(on_server)
    for s, index in ((settings, embedded), (on_server, server)):
        report = Ingestor(s, index, embedder).sync_folder(s.corpus_dir)
        assert sorted(report.ingested) == sorted(p.name for p in pdfs) and not report.failed
    assert_same_content(embedded, server)
    assert server.digest() != Index(dataclasses.replace(on_server, collection_prefix="empty")).digest()
    local, remote = Assistant(settings, embedded, embedder), Assistant(on_server, server, embedder)
    for question in QUESTIONS:
        assert shown(remote.ask(question).contract()) == shown(local.ask(question).contract()), question
    budget = remote.ask("What was the budget gap for 2025/26?")
    assert "£7.4m" in budget.text and budget.citations[0].locator.startswith("Minutes, 30 January 2025 — item 2")
    # Re-ingest of unchanged files writes nothing; removing a file removes it from the server.
    again = Ingestor(on_server, server, embedder).sync_folder(on_server.corpus_dir)
    assert again.ingested == [] and sorted(again.unchanged) == sorted(p.name for p in pdfs)
    pdfs[1].unlink()
    gone = Ingestor(on_server, server, embedder).sync_folder(on_server.corpus_dir)
    assert gone.removed == ["planning-2025-02-11.pdf"]
    assert list(server.file_records()) == ["cabinet-2025-01-30.pdf"]
    assert server.get("chunks", where={"source_file": "planning-2025-02-11.pdf"}) == []


def test_two_instances_on_one_server_answer_alike_and_follow_each_others_ingests(
    settings: Settings, on_server: Settings, tmp_path: Path
) -> None:
    embedder = HashEmbedder()
    write_pdfs(on_server.corpus_dir)
    Ingestor(on_server, Index(on_server), embedder).sync_folder(on_server.corpus_dir)
    # Two app instances: one server, each with its own index folder (lock, lexical copy).
    first = Assistant(on_server, embedder=embedder)
    second_settings = dataclasses.replace(on_server, index_dir=tmp_path / "second-instance")
    second = Assistant(second_settings, embedder=embedder)
    for question in QUESTIONS:
        assert shown(second.ask(question).contract()) == shown(first.ask(question).contract()), question
    generation = first.index.generation()
    assert generation is not None
    for s in (on_server, second_settings):  # each instance derived and saved its own lexical index
        assert LexicalIndex.load(lexical_dir(s)).generation == generation
    question = "Who presented the proposal for longer library opening hours?"
    before = second.ask(question)
    assert "Head of Libraries" not in before.text

    # The first instance ingests a new file; the second notices the new generation within seconds.
    pdf = make_text_pdf(tmp_path / "communities-2025-03-03.pdf", LIBRARIES)
    report = Ingestor(on_server, first.index, embedder).ingest_paths([pdf])
    assert report.ingested == ["communities-2025-03-03.pdf"]
    new_generation = first.index.generation()
    assert new_generation not in (None, generation)
    time.sleep(REFRESH_INTERVAL_S + 0.2)
    after = second.ask(question)
    assert "Head of Libraries" in after.text, after.text
    assert after.citations[0].locator.startswith("Minutes, 3 March 2025")
    assert shown(after.contract()) == shown(first.ask(question).contract())
    assert second.lexical.current().generation == new_generation
    assert LexicalIndex.load(lexical_dir(second_settings)).generation == new_generation
    assert any(cid.startswith("communities-2025-03-03") for cid in second.lexical.current().ids)


def test_collection_prefixes_keep_indexes_apart_on_one_server(settings: Settings, on_server: Settings) -> None:
    embedder = HashEmbedder()
    cabinet, planning = write_pdfs(settings.corpus_dir)
    other = dataclasses.replace(on_server, collection_prefix=f"{on_server.collection_prefix}x")
    try:
        one, two = Index(on_server), Index(other)
        Ingestor(on_server, one, embedder).ingest_paths([cabinet])
        Ingestor(other, two, embedder).ingest_paths([planning])
        assert list(one.file_records()) == [cabinet.name]
        assert list(two.file_records()) == [planning.name]
        assert {r.metadata["source_file"] for r in one.get("chunks")} == {cabinet.name}
        two_digest = two.digest()
        one.clear()  # --rebuild of one index leaves the other as it was
        assert one.count("chunks") == 0 and one.file_records() == {}
        assert Index(other).digest() == two_digest
    finally:
        _drop(other)


@pytest.mark.slow
def test_real_model_answers_the_same_from_the_server(demo_assistant: Assistant, on_server: Settings) -> None:
    """The bundled pack's index (real MiniLM vectors) copied onto the server answers as embedded."""
    from evals.load import copy_index

    server_index = Index(on_server)
    rows = copy_index(demo_assistant.index, server_index)
    assert rows == sum(demo_assistant.index.collection(n).count() for n in COLLECTIONS)
    remote = Assistant(on_server, server_index, demo_assistant.embedder)
    for question in [
        "What budget gap was the Council facing for 2024/25?",
        "What did the committee resolve about BDMS?",
        "Who is the accountable lead for Area 4 action 1.8?",
        "What does TCLPM stand for?",
        "How many people did the peer team speak to?",
        "What was the budget gap for 2019/20?",
    ]:
        assert shown(remote.ask(question).contract()) == shown(demo_assistant.ask(question).contract()), question


def test_realdocs_ingest_into_server_matches_embedded(settings: Settings, on_server: Settings) -> None:
    """A real council PDF, not a generated one, ingested both ways (fake embedder, for speed)."""
    embedder = HashEmbedder()
    pdf = REALDOCS / "uk_kent-cc_cabinet_minutes_2025-01-30.pdf"
    embedded, server = Index(settings), Index(on_server)
    for s, index in ((settings, embedded), (on_server, server)):
        assert Ingestor(s, index, embedder).ingest_paths([pdf]).ingested == [pdf.name]
    assert_same_content(embedded, server)
    local, remote = Assistant(settings, embedded, embedder), Assistant(on_server, server, embedder)
    for question in [
        "What did the Cabinet resolve about the budget?",
        "Who chaired the meeting?",
        "What was said about the capital programme?",
    ]:
        assert shown(remote.ask(question).contract()) == shown(local.ask(question).contract()), question
