"""Crash safety: a real ingest process is killed with SIGKILL at each named fault point
(``ingest/faults.py``, armed by ``SCRUTINEER_FAULT_POINT``), then the index is opened again.

Right after the kill, before any repair, every file is either complete (exactly as a clean ingest
writes it, old or new version) or absent, or it has a pending marker saying it is half-written;
and a saved lexical index that claims the current Chroma generation matches Chroma's chunks.
After the writer's recovery no file is half present (its chunks, sentences, records, file record
and lexical entries appear together or not at all), and a re-run completes and gives the same
digest as a clean ingest, embedding nothing the second time.

The killed processes use the fake ``HashEmbedder`` so each run takes seconds; one case runs the
real ``python -m assistant.cli ingest`` with the real model.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import HashEmbedder
from minutes import CABINET, ENVIRONMENT, PLANNING
from pdf_factory import make_text_pdf

from ingest import faults
from ingest.bootstrap import ensure_index, start_up
from ingest.lexical import CURRENT_FILE, LexicalIndex, lexical_dir
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import (
    COLLECTIONS,
    FINISHED_NEW,
    FINISHED_REMOVAL,
    KEPT_PREVIOUS,
    META_TYPE,
    REMOVED_PARTIAL,
    UNSETTLED,
    Index,
    Recovery,
)

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent

CABINET_2_OLD = """3. Highways Maintenance
The Cabinet received a report on the condition of local roads and footways.
Officers explained that pothole repairs had increased over the winter months.
RESOLVED that the highways maintenance plan be noted."""
CABINET_2_NEW = """3. Library Opening Hours
The Cabinet received a report proposing longer opening hours at branch libraries.
Members welcomed the extra evening sessions for students and families.
RESOLVED that the new library opening hours be adopted from April."""
COMMUNITIES = """MINUTES OF THE COMMUNITIES COMMITTEE
Wednesday, 5 March 2025
Present: Councillor H Evans (Chair) and Councillor J Murphy.
1. Youth Services
The committee reviewed the youth service budget and the new outreach programme.
RESOLVED that the outreach programme be extended to the east of the borough."""

# Sorted as sync_folder takes them: A is replaced, B removed, C and D added by the second sync.
A, B, C, D = "a-cabinet.pdf", "b-planning.pdf", "c-communities.pdf", "d-environment.pdf"
FILES = (A, B, C, D)
VOLATILE = ("ingested_at",)
"""File-record metadata that records when, not what: left out when comparing two ingests."""

#: A killed ingest: syncs the corpus folder into the index with the fake embedder.
CHILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from fakes import HashEmbedder
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import Index
settings = Settings.from_env(env={}, index_dir=Path(sys.argv[1]), corpus_dir=Path(sys.argv[2]), collection_prefix="t")
report = Ingestor(settings, Index(settings), HashEmbedder()).sync_folder(settings.corpus_dir)
print(json.dumps(report.as_dict()))
"""

#: Straight after the kill: point → pending markers (file → state) and the files half present.
#: A replacement stages its new rows where no reader looks, so until its switch A is whole v1.
LEFT_BY_KILL: dict[str, tuple[dict[str, str], set[str]]] = {
    "mid_remove": ({B: "removing"}, {B}),
    "after_parse": ({}, set()),
    "mid_embedding": ({}, set()),
    "after_pending_marker": ({A: "staging"}, set()),
    "mid_staging": ({A: "staging"}, set()),
    "before_switch": ({A: "switching"}, set()),
    "mid_chroma_write": ({A: "switching"}, {A}),
    "before_file_record": ({A: "switching"}, {A}),
    "before_marker_clear": ({A: "committed"}, set()),
    "mid_chroma_write@2": ({C: "writing"}, {C}),
    "after_chroma_write": ({}, set()),
}

#: After recovery: point → (state of each file, (file, what recovery did) per file it settled).
#: A replacement interrupted before its switch keeps v1; one interrupted in its switch is finished
#: as v2; a new file interrupted part-way is removed (the next ingest writes it again).
EXPECTED: dict[str, tuple[dict[str, str], list[tuple[str, str]]]] = {
    "mid_remove": ({A: "v1", B: "absent", C: "absent", D: "absent"}, [(B, FINISHED_REMOVAL)]),
    "after_parse": ({A: "v1", B: "absent", C: "absent", D: "absent"}, []),
    "mid_embedding": ({A: "v1", B: "absent", C: "absent", D: "absent"}, []),
    "after_pending_marker": ({A: "v1", B: "absent", C: "absent", D: "absent"}, [(A, KEPT_PREVIOUS)]),
    "mid_staging": ({A: "v1", B: "absent", C: "absent", D: "absent"}, [(A, KEPT_PREVIOUS)]),
    "before_switch": ({A: "v2", B: "absent", C: "absent", D: "absent"}, [(A, FINISHED_NEW)]),
    "mid_chroma_write": ({A: "v2", B: "absent", C: "absent", D: "absent"}, [(A, FINISHED_NEW)]),
    "before_file_record": ({A: "v2", B: "absent", C: "absent", D: "absent"}, [(A, FINISHED_NEW)]),
    "before_marker_clear": ({A: "v2", B: "absent", C: "absent", D: "absent"}, []),
    "mid_chroma_write@2": ({A: "v2", B: "absent", C: "absent", D: "absent"}, [(C, REMOVED_PARTIAL)]),
    "after_chroma_write": ({A: "v2", B: "absent", C: "v2", D: "v2"}, []),
}


def settings_for(index_dir: Path, corpus: Path) -> Settings:
    return Settings.from_env(env={}, index_dir=index_dir, corpus_dir=corpus, collection_prefix="t", lock_timeout_s=5)


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRUTINEER_")}
    return {**env, "PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False", **extra}


def run_child(index_dir: Path, corpus: Path, fault: str | None) -> subprocess.CompletedProcess[str]:
    env = child_env(**({faults.ENV_VAR: fault} if fault else {}))
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(index_dir), str(corpus), str(TESTS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def file_digest(index: Index, source_file: str) -> str | None:
    """sha256 over one file's rows in every collection (less volatile metadata); None when it has none."""
    h = hashlib.sha256()
    found = False
    for name in COLLECTIONS:
        for row in sorted(index.get(name, where={"source_file": source_file}), key=lambda r: r.id):
            found = True
            meta = {k: v for k, v in row.metadata.items() if k not in VOLATILE}
            h.update(f"{name}\0{row.id}\0{row.text}\0{json.dumps(meta, sort_keys=True)}\n".encode())
    return h.hexdigest() if found else None


def staged_rows(index: Index) -> int:
    return index._staging().count()


def chunk_ids(index: Index) -> list[str]:
    return sorted(row.id for row in index.get("chunks"))


class World:
    """The corpus folder (now at version 2), the index of version 1 to start each kill from, and
    what a clean ingest of each version writes."""

    def __init__(self, root: Path) -> None:
        self.corpus = root / "corpus"
        self.corpus.mkdir(parents=True)
        make_text_pdf(self.corpus / A, [CABINET, CABINET_2_OLD])
        make_text_pdf(self.corpus / B, [PLANNING])
        # Version 1 written by a separate process, as a real earlier ingest would, and left closed.
        self.template = root / "template"
        done = run_child(self.template, self.corpus, None)
        assert done.returncode == 0, done.stderr
        self.v1 = self._clean(root / "clean-v1")
        (self.corpus / B).unlink()
        make_text_pdf(self.corpus / A, [CABINET, CABINET_2_NEW])
        make_text_pdf(self.corpus / C, [COMMUNITIES])
        make_text_pdf(self.corpus / D, [ENVIRONMENT])
        self.v2 = self._clean(root / "clean-v2")
        self.v2_digest = Index(settings_for(root / "clean-v2", self.corpus)).digest(ignore=VOLATILE)

    def _clean(self, index_dir: Path) -> dict[str, str | None]:
        """Per-file digests of a clean, uninterrupted ingest of the corpus as it is now."""
        settings = settings_for(index_dir, self.corpus)
        index = Index(settings)
        report = Ingestor(settings, index, HashEmbedder()).sync_folder(self.corpus)
        assert report.failed == []
        return {name: file_digest(index, name) for name in FILES}

    def state(self, index: Index, name: str) -> str:
        digest = file_digest(index, name)
        if digest is None:
            return "absent"
        if digest == self.v1[name]:
            return "v1"
        if digest == self.v2[name]:
            return "v2"
        return "partial"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("crash"))


def killed_copy(world: World, tmp_path: Path, *faults_in_turn: str) -> Path:
    """A copy of the version-1 index that a sync to version 2 was killed in, once per fault point given."""
    index_dir = tmp_path / "index"
    shutil.copytree(world.template, index_dir)
    for fault in faults_in_turn:
        result = run_child(index_dir, world.corpus, fault)
        assert result.returncode == -signal.SIGKILL, (fault, result.returncode, result.stdout, result.stderr[-2000:])
        assert f"fault point {fault.split('@')[0]} reached" in result.stderr
    return index_dir


def assert_no_half_file_unmarked(world: World, index: Index) -> None:
    """Straight after a kill: a file whose rows are neither absent nor a complete version has a marker."""
    pending = index.pending()
    for name in FILES:
        state = world.state(index, name)
        if state == "partial":
            assert pending.get(name) in UNSETTLED, (name, pending)
        # A file record is only ever written together with complete rows.
        record = index.file_records().get(name)
        if record is not None and pending.get(name) not in UNSETTLED:
            assert state in ("v1", "v2"), (name, state)


def assert_lexical_matches_chroma(lexical: LexicalIndex, index: Index) -> None:
    """The lexical index holds exactly Chroma's chunks, text included: ids alone would not do, as
    a changed chunk can keep its id. Each chunk's own text, searched, scores as in a fresh build."""
    assert sorted(lexical.ids) == chunk_ids(index)
    fresh = LexicalIndex.build(index)
    for row in index.get("chunks"):
        got = {i: round(score, 5) for i, score in lexical.search(row.text, 10)}
        assert got == {i: round(score, 5) for i, score in fresh.search(row.text, 10)}, row.id


def assert_saved_lexical_not_stale_and_trusted(settings: Settings, index: Index) -> None:
    """A saved lexical index stamped with Chroma's current generation must hold Chroma's chunks;
    one with another stamp is rebuilt by the next reader, so it may differ."""
    directory = lexical_dir(settings)
    if not (directory / CURRENT_FILE).exists():
        return
    saved = LexicalIndex.load(directory)
    if saved.generation == index.generation():
        assert_lexical_matches_chroma(saved, index)


def assert_whole(world: World, index: Index, settings: Settings, expected: dict[str, str]) -> None:
    """After recovery: no markers, nothing staged; each file absent or a complete version; lexical entries = chunks."""
    assert index.pending() == {}
    assert staged_rows(index) == 0
    assert [r.id for r in index.get("records", where={"record_type": META_TYPE}) if r.id != "meta:generation"] == []
    assert {name: world.state(index, name) for name in FILES} == expected
    assert set(index.file_records()) == {name for name, state in expected.items() if state != "absent"}
    lexical = LexicalIndex.load_or_build(index, settings)
    assert lexical.generation == index.generation()
    assert_lexical_matches_chroma(lexical, index)


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_kill_at_each_fault_point_then_recover_and_rerun(world: World, tmp_path: Path, fault: str) -> None:
    index_dir = killed_copy(world, tmp_path, fault)
    settings = settings_for(index_dir, world.corpus)
    index = Index(settings)
    pending, half = LEFT_BY_KILL[fault]
    assert index.pending() == pending
    assert {name for name in FILES if world.state(index, name) == "partial"} == half
    assert_no_half_file_unmarked(world, index)
    assert_saved_lexical_not_stale_and_trusted(settings, index)

    expected_states, expected_recovered = EXPECTED[fault]
    embedder = HashEmbedder()
    ingestor = Ingestor(settings, index, embedder)
    assert [(r.source_file, r.outcome) for r in ingestor.recover()] == expected_recovered
    assert_whole(world, index, settings, expected_states)

    report = ingestor.sync_folder(world.corpus)
    assert report.failed == [] and report.recovered == []
    assert index.digest(ignore=VOLATILE) == world.v2_digest
    assert_whole(world, index, settings, {A: "v2", B: "absent", C: "v2", D: "v2"})

    texts, digest = embedder.texts_embedded, index.digest()
    again = ingestor.sync_folder(world.corpus)
    assert sorted(again.unchanged) == [A, C, D] and again.ingested == [] and again.embedded == 0
    assert embedder.texts_embedded == texts
    assert index.digest() == digest


def test_kill_during_recovery_is_recovered_next_time(world: World, tmp_path: Path) -> None:
    index_dir = killed_copy(world, tmp_path, "mid_chroma_write", "mid_recovery")
    settings = settings_for(index_dir, world.corpus)
    index = Index(settings)
    assert index.pending() == {A: "switching"}
    assert world.state(index, A) == "partial"  # recovery had switched A's chunks again, not its other rows
    assert_saved_lexical_not_stale_and_trusted(settings, index)
    report = Ingestor(settings, index, HashEmbedder()).sync_folder(world.corpus)
    assert report.recovered == [Recovery(A, FINISHED_NEW)]
    assert sorted(report.ingested) == [C, D]  # A's switch to v2 was finished from its staged rows
    assert index.digest(ignore=VOLATILE) == world.v2_digest
    assert_whole(world, index, settings, {A: "v2", B: "absent", C: "v2", D: "v2"})


def test_kill_mid_write_leaves_the_saved_lexical_index_marked_stale(tmp_path: Path) -> None:
    """Only one file changes, so the saved lexical index is current when its write starts: the
    pending marker's generation stamp must make it stale before the first row changes, or the
    next reader would trust a BM25 index of the old text."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_text_pdf(corpus / A, [CABINET, CABINET_2_OLD])
    index_dir = tmp_path / "index"
    assert run_child(index_dir, corpus, None).returncode == 0
    make_text_pdf(corpus / A, [CABINET, CABINET_2_NEW])
    result = run_child(index_dir, corpus, "mid_chroma_write")
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    settings = settings_for(index_dir, corpus)
    index = Index(settings)
    saved = LexicalIndex.load(lexical_dir(settings))
    assert saved.generation != index.generation()
    assert any("Library Opening Hours" in row.text for row in index.get("chunks"))  # new rows went in
    Ingestor(settings, index, HashEmbedder()).sync_folder(corpus)
    assert_lexical_matches_chroma(LexicalIndex.load(lexical_dir(settings)), index)


def test_unknown_fault_point_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match=r"SCRUTINEER_FAULT_POINT='mid_lunch' names no fault point; known points: "):
        faults.arm("mid_lunch")
    with pytest.raises(ValueError, match=r"must be 1 or more"):
        faults.arm("after_parse@0")
    faults.arm(None)
    faults.reached("after_parse")  # unarmed: nothing happens


# --- the real command line, the real model --------------------------------------------


class MiniLMStandIn(HashEmbedder):
    """Rows with the real model's id and dimension: the index digest covers ids, texts and
    metadata (not vectors), so a clean ingest with this equals one with the real model."""

    model_id = "all-MiniLM-L6-v2"

    def __init__(self) -> None:
        super().__init__(dimension=384)


@pytest.mark.slow
def test_real_cli_killed_mid_write_recovers_on_the_next_run(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_text_pdf(corpus / A, [CABINET, CABINET_2_NEW])
    make_text_pdf(corpus / C, [COMMUNITIES])
    env = {
        "SCRUTINEER_INDEX_DIR": str(tmp_path / "index"),
        "SCRUTINEER_CORPUS_DIR": str(corpus),
        "SCRUTINEER_COLLECTION_PREFIX": "cli",
        "SCRUTINEER_UPLOAD_DIR": str(tmp_path / "uploads"),  # never the project's own upload folder
    }
    command = [sys.executable, "-m", "assistant.cli", "ingest"]
    killed = subprocess.run(
        command,
        cwd=ROOT,
        env=child_env(**env, **{faults.ENV_VAR: "mid_chroma_write@2"}),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]

    rerun = subprocess.run(
        command, cwd=ROOT, env=child_env(**env), capture_output=True, text=True, timeout=600, check=False
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"recovered from an interrupted ingest: {C}: an ingest was interrupted while writing it; removed its " in (
        rerun.stdout
    )
    assert "1 file(s) ingested, 1 unchanged, 0 removed, 0 failed" in rerun.stdout

    settings = Settings.from_env(env={}, index_dir=tmp_path / "index", corpus_dir=corpus, collection_prefix="cli")
    index = Index(settings)
    clean_settings = Settings.from_env(env={}, index_dir=tmp_path / "clean", corpus_dir=corpus, collection_prefix="cli")
    clean = Index(clean_settings)
    assert Ingestor(clean_settings, clean, MiniLMStandIn()).sync_folder(corpus).failed == []
    assert index.digest(ignore=VOLATILE) == clean.digest(ignore=VOLATILE)
    assert index.pending() == {}
    saved = LexicalIndex.load(lexical_dir(settings))
    assert saved.generation == index.generation()
    assert_lexical_matches_chroma(saved, index)


def test_app_start_repairs_what_a_killed_ingest_left(world: World, tmp_path: Path) -> None:
    """The app does not ingest when the index has content, but it must not answer from a
    half-written file either: starting it removes the partial rows."""
    from assistant.service import Assistant

    index_dir = killed_copy(world, tmp_path, "mid_chroma_write")
    settings = settings_for(index_dir, world.corpus)
    index = Index(settings)
    assert index.pending() == {A: "switching"} and world.state(index, A) == "partial"
    assistant = Assistant(settings, index=index, embedder=HashEmbedder())
    assert ensure_index(settings, assistant.index, assistant.embedder) is None
    assert_whole(world, index, settings, EXPECTED["mid_chroma_write"][0])


# --- uploads: a crash never loses the last good version, and nothing stays unindexed ------------

AGENDA = "agenda.pdf"
V1_ONLY, V2_ONLY = "Highways Maintenance", "Library Opening Hours"
V1_QUESTION = "condition of local roads and footways, pothole repairs, highways maintenance plan"
V2_QUESTION = "longer opening hours at branch libraries, evening sessions for students and families"

#: A killed upload, or a start: ``upload <pdf> <name>`` stores and ingests it under that name through
#: add_uploads, as the app does; ``start`` does what the app does before it serves; ``seed`` both.
UPLOAD_CHILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from fakes import HashEmbedder
from ingest.bootstrap import start_up
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import Index
from ingest.uploads import add_uploads
root = Path(sys.argv[1])
settings = Settings.from_env(
    env={}, index_dir=root / "index", corpus_dir=root / "corpus", upload_dir=root / "uploads", collection_prefix="t"
)
index = Index(settings)
if sys.argv[2] in ("start", "seed"):
    notices = start_up(settings, index, HashEmbedder()).notices
if sys.argv[2] == "start":
    print(json.dumps(notices))
else:
    result = add_uploads([(Path(sys.argv[4]), sys.argv[5])], settings, Ingestor(settings, index, HashEmbedder()))
    print(json.dumps(result.added))
"""


def run_upload_child(
    root: Path, what: str, pdf: Path | None = None, fault: str | None = None, name: str = AGENDA
) -> subprocess.CompletedProcess[str]:
    env = child_env(**({faults.ENV_VAR: fault} if fault else {}))
    command = [sys.executable, "-c", UPLOAD_CHILD, str(root), what, str(TESTS)] + ([str(pdf), name] if pdf else [])
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def upload_settings(root: Path) -> Settings:
    return Settings.from_env(
        env={}, index_dir=root / "index", corpus_dir=root / "corpus", upload_dir=root / "uploads", collection_prefix="t"
    )


class UploadWorld:
    """agenda.pdf v1 uploaded into an index that also holds one corpus file; v2 ready to upload.
    Built by a separate process, as the app would (not copied: file records name their folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "corpus").mkdir(parents=True)
        make_text_pdf(root / "corpus" / B, [PLANNING])
        self.v1 = make_text_pdf(root / "v1.pdf", [CABINET, CABINET_2_OLD])
        self.v2 = make_text_pdf(root / "v2.pdf", [CABINET, CABINET_2_NEW])
        done = run_upload_child(root, "seed", self.v1)  # the first start builds the corpus in, then v1 is uploaded
        assert done.returncode == 0 and json.loads(done.stdout) == [AGENDA], done.stderr[-2000:]

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    def kill_upload(self, pdf: Path, fault: str) -> None:
        result = run_upload_child(self.root, "upload", pdf, fault)
        assert result.returncode == -signal.SIGKILL, (fault, result.stdout, result.stderr[-2000:])

    def start(self, fault: str | None = None) -> list[str]:
        result = run_upload_child(self.root, "start", fault=fault)
        if fault:
            assert result.returncode == -signal.SIGKILL, (fault, result.stdout, result.stderr[-2000:])
            return []
        assert result.returncode == 0, result.stderr[-2000:]
        return json.loads(result.stdout)


@pytest.fixture
def upload_world(tmp_path: Path) -> UploadWorld:
    return UploadWorld(tmp_path / "world")


@contextlib.contextmanager
def reading(settings: Settings) -> Iterator[Index]:
    """The index opened in this process, then closed, so what a later process writes is not hidden
    behind this process's cached client."""
    index = Index(settings)
    try:
        yield index
    finally:
        index.client.close()


def searched(index: Index, text: str) -> list[str]:
    """Texts of agenda.pdf's chunks nearest ``text``, best first, as a dense search finds them."""
    hits = index.query("chunks", HashEmbedder().vector(text), 3, where={"source_file": AGENDA})
    return [row.text for row, _ in hits]


def version_in_index(world: UploadWorld, index: Index) -> str:
    """Which whole version of agenda.pdf the index holds (its record's hash and every chunk agree)."""
    sha = (index.file_records().get(AGENDA) or {}).get("sha256")
    texts = " ".join(row.text for row in index.get("chunks", where={"source_file": AGENDA}))
    for name, pdf, only, other in (("v1", world.v1, V1_ONLY, V2_ONLY), ("v2", world.v2, V2_ONLY, V1_ONLY)):
        if sha == hashlib.sha256(pdf.read_bytes()).hexdigest() and only in texts and other not in texts:
            return name
    return "absent" if sha is None and not texts else "partial"


AGAIN = f"{AGENDA}: its upload was interrupted; it has now been ingested, so the new version is in the index"
WRITTEN = f"{AGENDA}: its upload was interrupted after its new version was written; the new version is in the index"
#: Upload of v2 killed at a point → what a reader finds before any writer runs, and the start's notice.
REPLACEMENT_KILLS: dict[str, tuple[str, str]] = {
    "after_parse": ("v1", AGAIN),
    "mid_embedding": ("v1", AGAIN),
    "after_pending_marker": ("v1", AGAIN),
    "mid_staging": ("v1", AGAIN),  # the staged rows are where no reader looks
    "before_switch": ("v1", WRITTEN),
    "mid_chroma_write": ("partial", WRITTEN),  # the switch itself: recovery finishes it from the staged rows
    "before_file_record": ("partial", WRITTEN),
    "before_marker_clear": ("v2", WRITTEN),
    "after_chroma_write": ("v2", WRITTEN),
}


@pytest.mark.parametrize("fault", list(REPLACEMENT_KILLS))
def test_a_replacement_upload_killed_anywhere_keeps_a_whole_version_and_start_brings_in_the_new_one(
    upload_world: UploadWorld, fault: str
) -> None:
    world = upload_world
    world.kill_upload(world.v2, fault)
    settings = upload_settings(world.root)
    before, notice = REPLACEMENT_KILLS[fault]
    with reading(settings) as index:  # what a reader finds before any writer has run
        assert version_in_index(world, index) == before
        if before == "v1":
            assert V1_ONLY in searched(index, V1_QUESTION)[0]  # the last good version is still found

    assert world.start() == [notice]

    index = Index(settings)
    assert version_in_index(world, index) == "v2"
    assert V2_ONLY in searched(index, V2_QUESTION)[0]
    assert index.pending() == {} and staged_rows(index) == 0
    assert sorted(p.name for p in world.uploads.iterdir()) == [AGENDA]  # no backup, no intent left
    assert (world.uploads / AGENDA).read_bytes() == world.v2.read_bytes()
    assert start_up(settings, index, HashEmbedder()).notices == []  # settled: the next start has nothing to say


def test_a_writer_that_only_recovers_keeps_the_previous_version_and_says_so(upload_world: UploadWorld) -> None:
    """Any writer settles the index first (here `ask`'s repair, which ingests nothing): a
    replacement killed while staging leaves v1, whole, and the message says so."""
    world = upload_world
    world.kill_upload(world.v2, "mid_staging")
    settings = upload_settings(world.root)
    index = Index(settings)
    recovered = Ingestor(settings, index, HashEmbedder()).recover()
    assert [r.message for r in recovered] == [
        f"{AGENDA}: an ingest of its new version was interrupted before the new version was complete;"
        " the previous version is still in the index"
    ]
    assert version_in_index(world, index) == "v1"
    assert V1_ONLY in searched(index, V1_QUESTION)[0]


def test_an_upload_that_kills_every_start_is_set_aside_and_the_previous_version_kept(
    upload_world: UploadWorld,
) -> None:
    world = upload_world
    world.kill_upload(world.v2, "mid_staging")  # the upload: attempt 1
    world.start(fault="mid_staging")  # the start's retry dies the same way: attempt 2
    assert world.start() == [
        f"{AGENDA}: ingesting it was interrupted 2 times, so it was set aside as .{AGENDA}.failed;"
        " the previous version is still in the index"
    ]
    settings = upload_settings(world.root)
    index = Index(settings)
    assert version_in_index(world, index) == "v1"
    assert V1_ONLY in searched(index, V1_QUESTION)[0]
    assert sorted(p.name for p in world.uploads.iterdir()) == [f".{AGENDA}.failed", AGENDA]
    assert (world.uploads / AGENDA).read_bytes() == world.v1.read_bytes()
    assert (world.uploads / f".{AGENDA}.failed").read_bytes() == world.v2.read_bytes()  # kept, not lost
    assert start_up(settings, index, HashEmbedder()).notices == []


@pytest.mark.parametrize("fault", ["after_parse", "mid_chroma_write"])  # before any marker; mid-write
def test_a_new_upload_killed_mid_way_is_ingested_at_the_next_start(upload_world: UploadWorld, fault: str) -> None:
    """A kill -9 during an upload of a file the index never held: stored, not (wholly) indexed."""
    world = upload_world
    new = make_text_pdf(world.root / "new.pdf", [COMMUNITIES])
    result = run_upload_child(world.root, "upload", new, fault, name="communities.pdf")
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    settings = upload_settings(world.root)
    with reading(settings) as index:
        assert "communities.pdf" not in index.file_records()
    assert (world.uploads / "communities.pdf").read_bytes() == new.read_bytes()

    assert world.start() == [
        "communities.pdf: its upload was interrupted; it has now been ingested, so it is in the index"
    ]

    index = Index(settings)
    assert index.file_records()["communities.pdf"]["sha256"] == hashlib.sha256(new.read_bytes()).hexdigest()
    hits = index.query("chunks", HashEmbedder().vector("youth outreach programme"), 1)
    assert hits[0][0].metadata["source_file"] == "communities.pdf"
    assert version_in_index(world, index) == "v1"  # nothing else changed
    assert sorted(p.name for p in world.uploads.iterdir()) == [AGENDA, "communities.pdf"]
    assert start_up(settings, index, HashEmbedder()).notices == []


def test_an_upload_on_disk_but_not_in_the_index_is_ingested_at_start(upload_world: UploadWorld) -> None:
    """However it got there (a kill before the intent file existed, an index rebuilt elsewhere):
    a PDF in the upload folder whose bytes the index lacks is ingested at start, and said so."""
    world = upload_world
    make_text_pdf(world.uploads / "communities.pdf", [COMMUNITIES])
    settings = upload_settings(world.root)
    index = Index(settings)
    startup = start_up(settings, index, HashEmbedder())
    assert startup.notices == ["communities.pdf: was in the upload folder but not in the index; it has been ingested"]
    assert set(index.file_records()) == {AGENDA, B, "communities.pdf"}
    assert index.file_records()["communities.pdf"]["folder"] == str(world.uploads.resolve())
    assert start_up(settings, index, HashEmbedder()).notices == []
