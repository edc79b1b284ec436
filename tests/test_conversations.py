"""Conversations that last: the SQLite store, and the app's handlers that keep, reopen, rename and
delete them (the browser test reloads a real page)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from fakes import HashEmbedder
from minutes import CABINET
from pdf_factory import make_text_pdf

import app
from assistant.answer import Answer
from assistant.conversations import (
    FILE_NAME,
    MAX_TITLE_CHARS,
    ConversationError,
    ConversationStore,
    default_title,
    session_from_json,
    session_to_json,
)
from assistant.question import read_question
from assistant.retrieval import Passage
from assistant.service import Assistant, ChatSession
from ingest.pipeline import Ingestor
from ingest.settings import Settings

BROWSER, OTHER = "a" * 32, "b" * 32


def cited(n: int = 1) -> Passage:
    return Passage(
        chunk_id=f"c{n}",
        doc_id="pack/minutes-2025-01-30",
        doc_title="Minutes of the Cabinet, 30 January 2025",
        doc_type="minutes",
        page=2,
        page_end=3,
        locator=f"Minutes, 30 January 2025 — item {n}",
        text="RESOLVED that the budget be approved.",
        score=0.5,
        meeting_date="2025-01-30",
        section_id=f"s{n}",
        ordinal=n,
        organisation="Kent County Council",
    )


def session_of(*questions: str) -> ChatSession:
    session = ChatSession(started=1_700_000_000.0)
    previous = None
    for q in questions:
        answer = Answer(
            question=q,
            text="“RESOLVED that the budget be approved.” [1]",
            abstained=False,
            citations=[cited()],
            retrieved=[cited(), cited(2)],
            quotes=[("RESOLVED that the budget be approved.", 1)],
            quoted_ids=["c1:s0"],
            confidence=0.8,
        )
        previous = read_question(q, previous)
        session.turns.append(answer)
        session.questions.append(previous)
    return session


def test_a_session_survives_json_whole() -> None:
    session = session_of("What was resolved on the budget?", "And in January?")
    back = session_from_json(session_to_json(session), session.id, session.started)
    assert back == session
    assert back.questions[1].context_terms == session.questions[1].context_terms != []


def test_the_store_keeps_each_browsers_conversations_apart(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    mine = session_of("What was resolved on the budget?")
    store.save(BROWSER, mine)
    assert stat.S_IMODE((tmp_path / FILE_NAME).stat().st_mode) == 0o600
    assert store.load(BROWSER, mine.id) == mine
    assert store.load(OTHER, mine.id) is None  # knowing the id is not enough
    assert store.summaries(OTHER) == []
    with pytest.raises(ConversationError, match=f"conversation {mine.id} belongs to another browser"):
        store.save(OTHER, mine)
    (summary,) = store.summaries(BROWSER)
    assert (summary.id, summary.title, summary.turns) == (mine.id, "What was resolved on the budget?", 1)


def test_rename_keeps_the_name_and_delete_forgets(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    session = session_of("What was resolved on the budget?")
    store.save(BROWSER, session)
    assert store.rename(OTHER, session.id, "Mine now") is False
    assert store.rename(BROWSER, session.id, "  Budget   questions ") is True
    session.turns.append(session.turns[0])
    store.save(BROWSER, session)  # a later answer keeps the name given
    assert [(s.title, s.turns) for s in store.summaries(BROWSER)] == [("Budget questions", 2)]
    with pytest.raises(ConversationError, match="a conversation's name cannot be empty"):
        store.rename(BROWSER, session.id, "  ")
    with pytest.raises(ConversationError, match=f"can be {MAX_TITLE_CHARS} characters at most"):
        store.rename(BROWSER, session.id, "x" * (MAX_TITLE_CHARS + 1))
    assert store.delete(OTHER, session.id) is False
    assert store.delete(BROWSER, session.id) is True
    assert store.load(BROWSER, session.id) is None and store.summaries(BROWSER) == []


def test_the_newest_conversation_is_listed_first_and_long_questions_are_cut(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    first, second = session_of("First?"), session_of("Q" * 100 + "?")
    store.save(BROWSER, first)
    store.save(BROWSER, second)
    titles = [s.title for s in store.summaries(BROWSER)]
    assert titles == ["Q" * (MAX_TITLE_CHARS - 1) + "…", "First?"]
    assert default_title(ChatSession()) == "New conversation"


def test_the_secret_outlives_a_restart(tmp_path: Path) -> None:
    assert ConversationStore(tmp_path).secret() == ConversationStore(tmp_path).secret()


def test_a_damaged_conversation_is_left_out_not_fatal(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    session = session_of("What was resolved?")
    store.save(BROWSER, session)
    import sqlite3

    with sqlite3.connect(tmp_path / FILE_NAME) as db:
        db.execute('UPDATE conversations SET body = \'{"turns": [{"nonsense": 1}]}\'')
    assert store.load(BROWSER, session.id) is None


# ---- the app's handlers ---------------------------------------------------------------------------


def handler(demo: Any, name: str) -> Any:
    """The function behind one of the app's events, by its name."""
    return next(f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == name)


@pytest.fixture
def demo(settings: Settings, ingestor: Ingestor) -> Any:
    make_text_pdf(settings.corpus_dir / "cabinet.pdf", [CABINET])
    assert ingestor.sync_folder(settings.corpus_dir).failed == []
    return app.build_app(Assistant(settings, embedder=HashEmbedder()))


def test_an_answer_is_kept_and_shown_again_on_reload(demo: Any, settings: Settings) -> None:
    respond = handler(demo, "respond")
    question = "What was resolved on the budget?"
    out = respond(question, [], None, [], [], [], "", "", None)
    box, history, session, sources, _page, _download, browser, choices, _status = out
    assert box == "" and len(session.turns) == 1
    assert browser["current"] == session.id and len(browser["browser"]) == 32
    (listed,) = ConversationStore(settings.index_dir).summaries(browser["browser"])
    assert choices["choices"] == [(listed.label, session.id)] and listed.title == question
    # A reload: a new page with only the browser's stored state.
    again = handler(demo, "restore_conversation")(browser)
    assert again[0] == history
    assert again[1] == session
    assert again[2] == sources
    assert again[4]["interactive"] is True  # the export is there again


def test_clear_and_new_conversation_reset_sources_and_context(demo: Any) -> None:
    respond = handler(demo, "respond")
    out = respond("What was resolved on the budget?", [], None, [], [], [], "", "", None)
    browser = out[6]
    history, session, sources, page, download, state, _choices, _status = handler(demo, "new_conversation")(browser)
    assert (history, session) == ([], None)
    assert (sources, page) == (app.render_sources(None), app.render_page_view(None, app.NO_PAGE))
    assert download["interactive"] is False
    assert state == {**browser, "current": None}
    # Kept in the list, and reopened from it with its context.
    opened = handler(demo, "open_conversation")(out[2].id, state)
    assert opened[1] == out[2] and opened[5]["current"] == out[2].id


def test_rename_and_delete_from_the_app(demo: Any) -> None:
    out = handler(demo, "respond")("What was resolved on the budget?", [], None, [], [], [], "", "", None)
    session, browser = out[2], out[6]
    box, choices, status = handler(demo, "rename_conversation")("Budget", session, browser)
    assert box == "" and [label.split(" (")[0] for label, _ in choices["choices"]] == ["Budget"]
    assert "Renamed to “Budget”." in status
    deleted = handler(demo, "delete_conversation")(session, browser)
    assert deleted[1] is None and deleted[6]["choices"] == [] and "The conversation was deleted." in deleted[7]
    # Another browser's state cannot open it either way: it is gone.
    assert "That conversation is no longer kept." in handler(demo, "open_conversation")(session.id, browser)[7]
