"""Concurrency: 20 chat sessions at once through the app's API while the app ingests another PDF
(``evals/load.py``, about 20 s here; ``python -m evals.load`` runs it for 60 s), and the
``ask_session`` endpoint that keeps each conversation's context apart."""

from __future__ import annotations

import uuid

import pytest

from assistant.service import Assistant, ChatSession
from evals import load
from evals.load import SCRIPTS, Script, problems_with

pytestmark = pytest.mark.slow
SESSIONS = 20
SECONDS = 20.0


def script(name: str) -> Script:
    return next(s for s in SCRIPTS if s.name == name)


def test_scripts_are_twenty_different_subjects() -> None:
    assert len(SCRIPTS) == SESSIONS
    assert len({s.name for s in SCRIPTS}) == SESSIONS
    assert len({s.first.question for s in SCRIPTS}) == SESSIONS
    # Follow-ups that read the same on their own ("By when?") only make sense with their subject.
    assert sum(1 for s in SCRIPTS if s.follow.question == "By when?") == 10


def test_a_follow_up_read_in_another_sessions_context_is_caught(demo_assistant: Assistant) -> None:
    """The check the load test applies is not vacuous: the same follow-up after another subject
    fails its own subject's expectations, and passes in its own session."""
    own, other = script("void turnaround"), script("repair cost per unit")
    session = ChatSession()
    demo_assistant.ask(other.first.question, session=session)
    leaked = demo_assistant.ask(own.follow.question, session=session).contract()
    assert "does not quote '61.5 days'" in problems_with(leaked, own.follow)
    session = ChatSession()
    demo_assistant.ask(own.first.question, session=session)
    assert problems_with(demo_assistant.ask(own.follow.question, session=session).contract(), own.follow) == []


def test_ask_session_keeps_conversations_apart_and_forgets_the_oldest(
    demo_app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradio_client import Client

    import app

    monkeypatch.setattr(app, "MAX_API_SESSIONS", 2)
    client = Client(demo_app_url, verbose=False)
    one, two = script("repair cost per unit"), script("void turnaround")
    a, b, c = (uuid.uuid4().hex for _ in range(3))
    client.predict(one.first.question, a, api_name="/ask_session")
    client.predict(two.first.question, b, api_name="/ask_session")
    # Interleaved follow-ups: each is read with its own session's subject.
    assert problems_with(client.predict(two.follow.question, b, api_name="/ask_session"), two.follow) == []
    assert problems_with(client.predict(one.follow.question, a, api_name="/ask_session"), one.follow) == []
    # A third session pushes out the least recently used one (b); a follows on as before.
    client.predict(one.first.question, c, api_name="/ask_session")
    assert problems_with(client.predict(one.follow.question, a, api_name="/ask_session"), one.follow) == []
    forgotten = client.predict(two.follow.question, b, api_name="/ask_session")
    assert problems_with(forgotten, two.follow) != []  # b's subject is gone: "And in 2023?" alone is no answer
    with pytest.raises(Exception, match="session_id must be 1 to 128 characters"):
        client.predict("By when?", "", api_name="/ask_session")


def test_twenty_sessions_with_an_ingest_running(demo_assistant: Assistant) -> None:
    report = load.run(SESSIONS, SECONDS, source=demo_assistant.index, embedder=demo_assistant.embedder)
    figures = report.figures()
    print("\n" + report.text())
    assert report.failures() == []
    assert (figures["errors"], figures["wrong"], figures["leaks"], figures["changed"]) == (0, 0, 0, 0)
    assert report.ingest is not None and report.ingest.error is None
    assert "1 file(s) ingested" in report.ingest.summary
    for phase in ("before", "during", "after"):
        assert figures["by_phase"][phase]["calls"] > 0, phase
    # Every session asked both its questions, and at least once after the ingest had finished.
    assert len(report.scripts_used) >= load.MIN_USABLE_SCRIPTS
    for s in (s for s in SCRIPTS if s.name in report.scripts_used):
        calls = [c for c in report.calls if c.script == s.name]
        assert {c.turn for c in calls} == {"first", "follow"}, s.name
        assert any(report.phase(c) == "after" for c in calls), s.name
    assert figures["p95_ms"] >= figures["p50_ms"] > 0
    # The configured index was not written: the load ran on a copy.
    assert list(demo_assistant.index.file_records()) == ["overview-and-scrutiny-committee-2024-04-17-agenda-pack.pdf"]
