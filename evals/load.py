"""Load test: concurrent chat sessions through the app's API, with an ingest running meanwhile.

    python -m evals.load --sessions 20 --seconds 60            # starts the app itself on a free loopback port
    python -m evals.load --sessions 20 --seconds 60 --url URL  # a running app (no ingest: not our process)

Each session is a thread with its own ``gradio_client.Client`` that asks, round after round, its
own subject and then a follow-up whose right answer depends on that subject ("By when?" after
"Who is the accountable lead for Area 4 action 1.8?"), through the ``ask_session`` endpoint with
a fresh session id per round. Every answer is checked against its own subject: the figures or
names it must quote and the passage it must cite. A follow-up answered from another session's
context, or from none, counts as a leak.

Started by this script, the app runs on a private copy of the index (the configured one is
never written): a temporary folder for embedded Chroma, temporary collections on a Chroma
server. A little into the run, the app's process ingests another PDF through an ``Ingestor``
on the same index and model the app uses (so the writer lock in ``ingest/pipeline.py`` keeps it
the one writer), and the answers given before, during and after that ingest must equal the
answers given before the load started.

The run is bounded: it stops at ``--seconds`` (later only to let a slow ingest finish and every
session ask once more after it, never beyond ``GRACE_S`` more), and at ``--max-rounds`` rounds a
session. Prints latency p50/p95, errors, wrong answers, leaks and changed answers; exits 1 when
any of these is not zero.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import math
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# No analytics, no phoning home: set before gradio and chromadb are imported.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from ingest.bootstrap import ensure_index
from ingest.embeddings import Embedder, MiniLMEmbedder
from ingest.settings import PROJECT_ROOT, Settings
from ingest.store import COLLECTIONS, Index

log = logging.getLogger(__name__)

DEFAULT_INGEST_PDF = (
    PROJECT_ROOT
    / "tests"
    / "fixtures"
    / "realdocs"
    / "uk-wales_manordeilo-salem-community-council_minutes_2019-03-13_en.pdf"
)
"""Another council's minutes: new content that none of the sessions' questions is about."""
INGEST_AT = 0.15
"""Share of the run after which the ingest starts at the earliest; it also waits until every session
has finished a round (at most until half the run), so there are answers before it."""
GRACE_S = 300.0
"""Longest the run goes on after ``--seconds`` waiting for the ingest and the rounds after it."""
API_NAME = "/ask_session"
CALL_TIMEOUT_S = 60.0
"""Longest wait for one answer; a call that takes longer counts as an error."""
PLAN = "Improvement Plan — "
ITEM_39 = "Minutes, 13 March 2024 — item 39"


@dataclass(frozen=True)
class Turn:
    """One question and what its answer must hold: every string of ``must`` in the answer, and a
    citation whose locator contains ``cites``."""

    question: str
    must: tuple[str, ...]
    cites: str


@dataclass(frozen=True)
class Script:
    """What one session asks each round: a subject, then a follow-up that depends on it."""

    name: str
    first: Turn
    follow: Turn


def _action(area: int, action: str, lead: str, due: str) -> Script:
    locator = f"{PLAN}Area {area}, action {action}"
    return Script(
        f"area {area} action {action}",
        Turn(f"Who is the accountable lead for Area {area} action {action}?", (f"Accountable lead: {lead}",), locator),
        Turn("By when?", (f"By when: {due}",), locator),
    )


SCRIPTS: tuple[Script, ...] = (
    Script(
        "open repair jobs",
        Turn("How many open repair jobs did BDMS have as of 7 March 2024?", ("2838",), ITEM_39),
        Turn("And how many were there at the start of the year?", ("6474",), ITEM_39),
    ),
    Script(
        "void properties",
        Turn(
            "How many void properties were reported at the time of the March 2024 meeting?", ("reduced to 39",), ITEM_39
        ),
        Turn("What was the figure at the beginning of 2024?", ("163",), ITEM_39),
    ),
    Script(
        "strategy meeting workshops",
        Turn(
            "Who is accountable for setting up multiagency practice workshops on strategy meetings?",
            ("Accountable lead: Director of Operations",),
            f"{PLAN}Area 1, action 1.1",
        ),
        Turn("By when was that supposed to happen?", ("By when: December 2023",), f"{PLAN}Area 1, action 1.1"),
    ),
    Script(
        "void turnaround",
        Turn("What was the average void turnaround time in 2024?", ("32.8 days",), ITEM_39),
        Turn("And in 2023?", ("61.5 days",), ITEM_39),
    ),
    Script(
        "inspection report",
        Turn("When was the Ofsted inspection report published?", ("4 September 2023",), "Summary"),
        Turn("By what date did the council have to publish its improvement plan?", ("11 December 2023",), "Summary"),
    ),
    Script(
        "peer team",
        Turn(
            "Who was the lead chief executive peer on the public health peer review?",
            ("Paul Najsarek",),
            "The peer review team consisted of",
        ),
        Turn("And who was the NHS peer?", ("Marcus Warnes",), "Peer Review"),
    ),
    Script(
        "repair cost per unit",
        Turn("What is the council's repair and maintenance cost per housing unit?", ("£4235",), ITEM_39),
        Turn("What is it forecast to rise to in 23/24?", ("£4903",), ITEM_39),
    ),
    Script(
        "DARAC",
        Turn("What is DARAC?", ("Domestic Abuse Risk Assessment for Children",), "Glossary of Terms"),
        Turn("How many training places have been provided on it?", ("200 training spaces",), "neglect"),
    ),
    Script(
        "budget gap",
        Turn(
            "What budget gap is the council expecting for 2024/25?", ("£23.335m",), "Minutes, 24 January 2024 — item 34"
        ),
        Turn(
            "How much would it grow to if Be First doesn't pay its dividend?",
            ("£33m",),
            "Minutes, 24 January 2024 — item 34",
        ),
    ),
    Script(
        "compliance report",
        Turn(
            "Who presented the Compliance Progress & Update Report?",
            ("The Strategic Director of My Place",),
            "Minutes, 13 March 2024 — item 38",
        ),
        Turn(
            "Which firm inspects the property blocks for fire risk?", ("Savills",), "Minutes, 13 March 2024 — item 38"
        ),
    ),
    _action(1, "1.4", "Head of Service Development and Transformation", "September 2023"),
    _action(1, "1.5", "Head of Performance and Intelligence", "October 2023"),
    _action(2, "1.2", "Director of Operations", "April 2024"),
    _action(3, "1.3", "Director of Operations", "January 2024"),
    _action(3, "1.5", "Head of MASH", "April 2024"),
    _action(4, "1.3", "Court Progression Manager", "October 2023"),
    _action(4, "1.8", "Head of Specialist Intervention Service", "April 2024"),
    _action(6, "1.2", "Director of Commissioning", "July 2023"),
    _action(8, "1.4", "Senior Curator Culture Programmes", "March 2024"),
    _action(7, "1.3", "Head of MASH Head of Early Help", "January 2024"),
)
"""Twenty subjects of the bundled pack, each with a follow-up whose answer depends on it."""


# ---- checking answers ------------------------------------------------------------------------


def answer_key(result: dict[str, Any]) -> tuple[str, tuple[tuple[str, int], ...]]:
    """What a user sees of an answer: its text and its citations (locator, page)."""
    return result["answer"], tuple((c["locator"], int(c["page"])) for c in result["citations"])


def problems_with(result: dict[str, Any], turn: Turn) -> list[str]:
    """Why ``result`` is not an answer to ``turn`` (empty when it is)."""
    out = [f"does not quote {text!r}" for text in turn.must if text not in result["answer"]]
    if result.get("abstained"):
        out.append("declined to answer")
    if not any(turn.cites in c["locator"] for c in result["citations"]):
        out.append(f"cites no passage of {turn.cites!r}")
    return out


# ---- the report ------------------------------------------------------------------------------


@dataclass
class Call:
    """One API call as the client saw it."""

    script: str
    turn: str
    """'first' or 'follow'."""
    started: float
    ended: float
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    changed: bool = False

    @property
    def latency_ms(self) -> float:
        return (self.ended - self.started) * 1000


@dataclass
class IngestRun:
    pdf: str
    started: float | None = None
    ended: float | None = None
    summary: str = ""
    error: str | None = None


@dataclass
class LoadReport:
    url: str
    sessions: int
    seconds: float
    calls: list[Call] = field(default_factory=list)
    ingest: IngestRun | None = None
    elapsed_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    baseline_problems: list[str] = field(default_factory=list)
    """Wrong answers when each session's questions were asked once before the load."""
    scripts_used: list[str] = field(default_factory=list)
    """Names of the scripts the sessions asked (those answered right when asked alone)."""

    def phase(self, call: Call) -> str:
        """'before', 'during' or 'after' the ingest, by when the call ran."""
        if self.ingest is None or self.ingest.started is None or call.ended < self.ingest.started:
            return "before"
        if self.ingest.ended is not None and call.started > self.ingest.ended:
            return "after"
        return "during"

    def figures(self) -> dict[str, Any]:
        done = [c for c in self.calls if c.error is None]
        latencies = sorted(c.latency_ms for c in done)
        phases = {p: [c for c in self.calls if self.phase(c) == p] for p in ("before", "during", "after")}
        return {
            "url": self.url,
            "sessions": self.sessions,
            "seconds": self.seconds,
            "elapsed_s": round(self.elapsed_s, 1),
            "calls": len(self.calls),
            "answers_per_s": round(len(done) / self.elapsed_s, 1) if self.elapsed_s else 0.0,
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "max_ms": round(latencies[-1], 1) if latencies else 0.0,
            "errors": sum(1 for c in self.calls if c.error),
            "wrong": sum(1 for c in done if c.turn == "first" and c.problems),
            "leaks": sum(1 for c in done if c.turn == "follow" and c.problems),
            "changed": sum(1 for c in done if c.changed and self.phase(c) == "before"),
            "changed_after_ingest": sum(1 for c in done if c.changed and self.phase(c) != "before"),
            "by_phase": {
                p: {
                    "calls": len(cs),
                    "changed": sum(1 for c in cs if c.changed),
                    "errors": sum(1 for c in cs if c.error),
                }
                for p, cs in phases.items()
            },
            "ingest": dataclasses.asdict(self.ingest) if self.ingest else None,
            "ingest_s": round(self.ingest.ended - self.ingest.started, 1)
            if self.ingest and self.ingest.started and self.ingest.ended
            else None,
            "examples": [
                f"{c.script} ({c.turn}): {c.error or '; '.join(c.problems) or 'changed'}"
                for c in self.calls
                if c.error or c.problems or c.changed
            ][:10],
            "notes": self.notes,
        }

    def failures(self) -> list[str]:
        """What makes the run fail (empty: it passed)."""
        f = self.figures()
        # An answer changed once the ingest has begun is not a fault: the papers changed, and with
        # them the word statistics the scorer reads. Before it, any change is one the load made.
        out = [f"{f[k]} {k}" for k in ("errors", "wrong", "leaks", "changed") if f[k]]
        out += self.baseline_problems
        if not self.calls:
            out.append("no calls were made")
        if self.ingest is not None:
            if self.ingest.error:
                out.append(f"the ingest failed: {self.ingest.error}")
            elif self.ingest.ended is None:
                out.append("the ingest did not finish within the run")
            for p in ("before", "during", "after"):
                if not f["by_phase"][p]["calls"]:
                    out.append(f"no answers {p} the ingest")
        return out

    def text(self) -> str:
        f = self.figures()
        lines = [
            f"load: {f['sessions']} sessions for {f['seconds']:g} s against {f['url']} ({f['elapsed_s']} s in all)",
            f"answers: {f['calls']} ({f['answers_per_s']}/s); latency p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms,"
            f" max {f['max_ms']} ms",
            f"errors {f['errors']}, wrong answers {f['wrong']}, leaks between sessions {f['leaks']},"
            f" answers changed from before the load {f['changed']}",
        ]
        if self.ingest is not None:
            phases = ", ".join(f"{p} {v['calls']} ({v['changed']} changed)" for p, v in f["by_phase"].items())
            state = self.ingest.error or self.ingest.summary.replace("\n", "; ") or "did not finish"
            lines.append(f"ingest of {Path(self.ingest.pdf).name} during the load: {state}")
            lines.append(f"answers by phase of the ingest: {phases}")
        lines += [f"  {e}" for e in f["examples"]]
        lines += [f"note: {n}" for n in self.notes]
        failures = self.failures()
        lines.append("result: " + ("PASS" if not failures else "FAIL: " + "; ".join(failures)))
        return "\n".join(lines)


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return float(sorted_values[rank - 1])


# ---- the app under test ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def copy_index(source: Index, target: Index) -> int:
    """Copy every row (ids, texts, metadata, vectors, the generation stamp) of ``source`` into the
    empty ``target``; returns the rows copied."""
    n = 0
    for name in COLLECTIONS:
        rows = source.get(name, include_vectors=True)
        target.upsert(name, rows)
        n += len(rows)
    return n


@dataclass
class PrivateApp:
    """The app serving a private copy of an index, and what is needed to write to that copy."""

    url: str
    settings: Settings
    assistant: Any
    """The :class:`assistant.service.Assistant` behind the app."""


@contextlib.contextmanager
def private_app(source: Index, embedder: Embedder) -> Iterator[PrivateApp]:
    """Serve a copy of ``source`` on a free loopback port; remove the copy afterwards."""
    import app
    from assistant.service import Assistant

    tmp = Path(tempfile.mkdtemp(prefix="scrutineer-load-"))
    settings = dataclasses.replace(
        source.settings,
        index_dir=tmp / "index",
        upload_dir=tmp / "uploads",
        # Own collections, so a Chroma server's real index is never touched.
        collection_prefix=f"{source.settings.collection_prefix}-load-{uuid.uuid4().hex[:8]}",
    )
    index = Index(settings)
    demo = None
    try:
        started = time.perf_counter()
        rows = copy_index(source, index)
        log.info("copied %d rows into %s in %.1f s", rows, settings.collection_prefix, time.perf_counter() - started)
        assistant = Assistant(settings, index=index, embedder=embedder)
        assistant.warm_up()
        demo = app.build_app(assistant)
        port = free_port()
        demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
        yield PrivateApp(f"http://127.0.0.1:{port}/", settings, assistant)
    finally:
        if demo is not None:
            demo.close()
        if settings.chroma_url:
            for name in COLLECTIONS:
                with contextlib.suppress(Exception):  # already gone is fine: it is being removed anyway
                    index.client.delete_collection(f"{settings.collection_prefix}_{name}")
        shutil.rmtree(tmp, ignore_errors=True)


# ---- the load --------------------------------------------------------------------------------


def _client(url: str, auth: tuple[str, str] | None) -> Any:
    from gradio_client import Client

    return Client(url, auth=auth, verbose=False)


def _ask(client: Any, script: Script, turn_name: str, session_id: str, baseline: dict[str, Any] | None) -> Call:
    turn = script.first if turn_name == "first" else script.follow
    started = time.monotonic()
    try:
        result = client.submit(turn.question, session_id, api_name=API_NAME).result(timeout=CALL_TIMEOUT_S)
    except Exception as exc:  # any failure of a call (a timeout too) is counted and reported; the session goes on
        return Call(script.name, turn_name, started, time.monotonic(), error=f"{type(exc).__name__}: {exc}"[:300])
    call = Call(script.name, turn_name, started, time.monotonic(), problems=problems_with(result, turn))
    if baseline is not None:
        call.changed = answer_key(result) != baseline[turn_name]
    return call


MIN_USABLE_SCRIPTS = 4
"""Scripts answered right when asked alone that a load run needs (else the run fails)."""


def baseline_answers(
    url: str, scripts: Sequence[Script], auth: tuple[str, str] | None
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Each script asked once, one after another, before the load: the answers the load must
    repeat, and what is wrong with any of them."""
    client = _client(url, auth)
    answers: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for script in scripts:
        session_id = uuid.uuid4().hex
        answers[script.name] = {}
        for name, turn in (("first", script.first), ("follow", script.follow)):
            result = client.submit(turn.question, session_id, api_name=API_NAME).result(timeout=CALL_TIMEOUT_S)
            answers[script.name][name] = answer_key(result)
            problems += [f"{script.name} ({name}), asked alone: {p}" for p in problems_with(result, turn)]
    return answers, problems


def run_load(
    url: str,
    sessions: int,
    seconds: float,
    ingest: tuple[Settings, Any, Embedder, Path] | None = None,
    max_rounds: int = 100_000,
    auth: tuple[str, str] | None = None,
    scripts: Sequence[Script] = SCRIPTS,
) -> LoadReport:
    """``sessions`` concurrent sessions against ``url`` for ``seconds``. ``ingest`` = (settings,
    index, embedder, pdf) of the app's own process: that PDF is ingested during the load."""
    from ingest.pipeline import Ingestor

    report = LoadReport(url, sessions, seconds)
    baseline, alone = baseline_answers(url, scripts, auth)
    # The load measures concurrency (leaks, changed answers), not the scorer's accuracy, which
    # evals.loco measures: a script the assistant gets wrong even alone is left out of the load.
    usable = [s for s in scripts if not any(p.startswith(f"{s.name} (") for p in alone)]
    report.notes += [f"left out of the load: {p}" for p in alone]
    if len(usable) < MIN_USABLE_SCRIPTS:
        report.baseline_problems = alone
    scripts = usable or scripts
    report.scripts_used = [s.name for s in scripts]
    lock = threading.Lock()
    begun = time.monotonic()
    deadline = begun + seconds
    hard_stop = deadline + GRACE_S
    ingest_done = threading.Event()
    first_rounds = threading.Event()
    sessions_with_a_round: set[int] = set()
    if ingest is None:
        ingest_done.set()
    else:
        report.ingest = IngestRun(str(ingest[3]))

    def run_ingest() -> None:
        settings, index, embedder, pdf = ingest  # type: ignore[misc]
        time.sleep(seconds * INGEST_AT)
        first_rounds.wait(timeout=max(0.0, begun + seconds / 2 - time.monotonic()))
        assert report.ingest is not None
        report.ingest.started = time.monotonic()
        try:
            result = Ingestor(settings, index, embedder).ingest_paths([pdf])
            report.ingest.summary = result.summary()
            if result.failed:
                report.ingest.error = "; ".join(f"{name}: {why}" for name, why in result.failed)
            elif not result.ingested:
                report.ingest.error = f"{pdf.name} was already in the index, so nothing was written"
        except Exception as exc:  # reported as a failure of the run, never raised from a thread
            report.ingest.error = f"{type(exc).__name__}: {exc}"
        finally:
            report.ingest.ended = time.monotonic()
            ingest_done.set()

    def session(n: int) -> None:
        script = scripts[n % len(scripts)]
        try:
            client = _client(url, auth)
        except Exception as exc:  # a session that cannot connect is an error of the run
            with lock:
                now = time.monotonic()
                report.calls.append(Call(script.name, "first", now, now, error=f"connect: {exc}"[:300]))
            return
        rounds_after_ingest = 0
        for _ in range(max_rounds):
            now = time.monotonic()
            if now >= hard_stop or (now >= deadline and ingest_done.is_set() and rounds_after_ingest > 0):
                return
            after_ingest = ingest_done.is_set()
            session_id = uuid.uuid4().hex
            for turn in ("first", "follow"):
                call = _ask(client, script, turn, session_id, baseline.get(script.name))
                with lock:
                    report.calls.append(call)
            with lock:
                sessions_with_a_round.add(n)
                if len(sessions_with_a_round) == sessions:
                    first_rounds.set()
            if after_ingest:
                rounds_after_ingest += 1

    # Daemon threads: a call stuck past the hard stop cannot keep the process from exiting.
    threads = [threading.Thread(target=session, args=(n,), name=f"session-{n}", daemon=True) for n in range(sessions)]
    if ingest is not None:
        threads.append(threading.Thread(target=run_ingest, name="ingest", daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, hard_stop + 60 - time.monotonic()))
    report.elapsed_s = time.monotonic() - begun
    if any(t.is_alive() for t in threads):
        report.notes.append("some threads were still running at the hard stop")
    return report


def run(
    sessions: int,
    seconds: float,
    url: str | None = None,
    source: Index | None = None,
    embedder: Embedder | None = None,
    ingest_pdf: Path | None = DEFAULT_INGEST_PDF,
    max_rounds: int = 100_000,
) -> LoadReport:
    """The load test. Without ``url``: start the app on a private copy of ``source`` (default: the
    configured index, built first if empty) and ingest ``ingest_pdf`` in its process meanwhile."""
    settings = source.settings if source is not None else Settings.from_env()
    auth = None
    if url is not None:
        if settings.auth_file:
            from assistant.logins import read_logins

            auth = read_logins(settings.auth_file)[0]
        report = run_load(url, sessions, seconds, None, max_rounds, auth)
        report.notes.append("no ingest during the load: the app at this URL runs in another process")
        return report
    embedder = embedder or MiniLMEmbedder(
        settings.embedding_model_path, settings.embedding_model_id, settings.embed_batch_size
    )
    if source is None:
        from assistant.service import Assistant

        source_assistant = Assistant(settings, embedder=embedder)
        built = ensure_index(settings, source_assistant.index, embedder)
        if built is not None:
            log.warning("built the index: %s", built.summary().replace("\n", "; "))
        source = source_assistant.index
    with private_app(source, embedder) as served:
        ingest = (served.settings, served.assistant.index, embedder, ingest_pdf) if ingest_pdf else None
        return run_load(served.url, sessions, seconds, ingest, max_rounds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent chat sessions (default 20)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load (default 60)")
    parser.add_argument("--url", help="a running app; default: start one on a copy of the configured index")
    parser.add_argument(
        "--ingest", type=Path, default=DEFAULT_INGEST_PDF, help="PDF the app ingests during the load (no URL only)"
    )
    parser.add_argument("--no-ingest", action="store_true", help="no ingest during the load")
    parser.add_argument("--max-rounds", type=int, default=100_000, help="most rounds a session asks (default 100000)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.seconds <= 0 or args.max_rounds < 1:
        parser.error("--sessions, --seconds and --max-rounds must be positive")
    logging.basicConfig(level=logging.WARNING)
    report = run(
        args.sessions,
        args.seconds,
        args.url,
        ingest_pdf=None if args.no_ingest else args.ingest,
        max_rounds=args.max_rounds,
    )
    print(report.text())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.figures(), indent=2) + "\n", encoding="utf-8")
    return 1 if report.failures() else 0


if __name__ == "__main__":
    raise SystemExit(main())
