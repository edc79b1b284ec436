"""Conversations that last: each browser's chats kept server-side in one small SQLite file.

A browser is known only by a random id it keeps in its own storage (the app's ``gr.BrowserState``);
every read and write names that id, so knowing a conversation's id is not enough to open another
browser's conversation. A conversation is stored whole (its turns and the questions as read) after
every answer, so a reload, or a restart of the server, shows it again with its sources.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from assistant.answer import Answer
from assistant.question import Question
from assistant.retrieval import Passage
from assistant.search_results import SearchResults
from assistant.service import ChatSession

log = logging.getLogger(__name__)

FILE_NAME = "conversations.sqlite3"
"""The file in the index folder; deleting it forgets every conversation and nothing else."""
MAX_TITLE_CHARS = 80
SCHEMA_VERSION = 1
_PASSAGE_LISTS = ("citations", "retrieved", "related", "searched")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    browser TEXT NOT NULL,
    title TEXT NOT NULL,
    started REAL NOT NULL,
    updated REAL NOT NULL,
    turns INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_browser ON conversations (browser, updated);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class ConversationError(ValueError):
    """A conversation cannot be stored or read; the message says which and why."""


@dataclass(frozen=True)
class ConversationSummary:
    """One line of a browser's list of conversations."""

    id: str
    title: str
    started: float
    updated: float
    turns: int

    @property
    def label(self) -> str:
        """How the list names it: its title, when it was last added to, and its length."""
        when = time.strftime("%d %b %Y %H:%M", time.localtime(self.updated))
        return f"{self.title} ({when}, {self.turns} question{'s' if self.turns != 1 else ''})"


def new_browser_id() -> str:
    """A browser's id: random, so one browser's conversations cannot be found from another."""
    return secrets.token_hex(16)


def default_title(session: ChatSession) -> str:
    """A conversation is called by its first question until renamed."""
    first = session.turns[0].question if session.turns else "New conversation"
    first = " ".join(first.split())
    return first if len(first) <= MAX_TITLE_CHARS else first[: MAX_TITLE_CHARS - 1].rstrip() + "…"


# ---- a session as JSON and back -------------------------------------------------------------------


def session_to_json(session: ChatSession) -> str:
    turns = [asdict(answer) for answer in session.turns]
    questions = [{**asdict(q), "asks": sorted(q.asks)} for q in session.questions]
    return json.dumps({"version": SCHEMA_VERSION, "turns": turns, "questions": questions}, ensure_ascii=False)


def _answer(d: dict[str, Any]) -> Answer:
    known = {f.name for f in fields(Answer)}
    values = {k: v for k, v in d.items() if k in known}
    for name in _PASSAGE_LISTS:
        values[name] = [Passage(**p) for p in values.get(name, [])]
    values["quotes"] = [(str(q), int(n)) for q, n in values.get("quotes", [])]
    values["search"] = SearchResults.from_dict(values["search"]) if values.get("search") else None
    return Answer(**values)


def _question(d: dict[str, Any]) -> Question:
    known = {f.name for f in fields(Question)}
    values = {k: v for k, v in d.items() if k in known}
    values["asks"] = frozenset(values.get("asks", []))
    return Question(**values)


def session_from_json(body: str, conversation_id: str, started: float) -> ChatSession:
    data = json.loads(body)
    return ChatSession(
        turns=[_answer(t) for t in data.get("turns", [])],
        questions=[_question(q) for q in data.get("questions", [])],
        id=conversation_id,
        started=started,
    )


# ---- the store ------------------------------------------------------------------------------------


class ConversationStore:
    """The conversations of every browser, in ``folder`` / :data:`FILE_NAME`. Safe to share between
    threads: each call opens its own connection (SQLite serialises the writes)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE_NAME
        folder.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)
        # Conversations may quote papers not everyone on the machine should read.
        self.path.chmod(0o600)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.path, timeout=10)
        except sqlite3.Error as exc:
            raise ConversationError(f"{self.path}: cannot open the conversations file ({exc})") from exc
        try:
            with db:  # one transaction: committed on success, rolled back on an error
                yield db
        except sqlite3.DatabaseError as exc:
            raise ConversationError(f"{self.path}: cannot use the conversations file ({exc})") from exc
        finally:
            db.close()

    def save(self, browser: str, session: ChatSession) -> None:
        """Store ``session`` as ``browser``'s, keeping a title it was given."""
        now = time.time()
        with self._connect() as db:
            owner = db.execute("SELECT browser FROM conversations WHERE id = ?", (session.id,)).fetchone()
            if owner is not None and owner[0] != browser:
                raise ConversationError(f"conversation {session.id} belongs to another browser")
            db.execute(
                "INSERT INTO conversations (id, browser, title, started, updated, turns, body)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE"
                " SET updated = excluded.updated, turns = excluded.turns, body = excluded.body",
                (
                    session.id,
                    browser,
                    default_title(session),
                    session.started,
                    now,
                    len(session.turns),
                    session_to_json(session),
                ),
            )

    def load(self, browser: str, conversation_id: str) -> ChatSession | None:
        """``browser``'s conversation ``conversation_id``, or None (unknown, deleted, or another browser's)."""
        with self._connect() as db:
            row = db.execute(
                "SELECT body, started FROM conversations WHERE id = ? AND browser = ?", (conversation_id, browser)
            ).fetchone()
        if row is None:
            return None
        try:
            return session_from_json(row[0], conversation_id, row[1])
        except (ValueError, TypeError, KeyError) as exc:  # written by another version, or damaged
            log.warning("%s: conversation %s cannot be read (%s); it is left out", self.path, conversation_id, exc)
            return None

    def summaries(self, browser: str) -> list[ConversationSummary]:
        """``browser``'s conversations, the one added to last first."""
        with self._connect() as db:
            rows = db.execute(
                # rowid: of two saved within one clock tick, the later is still first.
                "SELECT id, title, started, updated, turns FROM conversations WHERE browser = ?"
                " ORDER BY updated DESC, rowid DESC",
                (browser,),
            ).fetchall()
        return [ConversationSummary(*row) for row in rows]

    def rename(self, browser: str, conversation_id: str, title: str) -> bool:
        """Give a conversation a title of the person's own; False when it is not ``browser``'s."""
        title = " ".join((title or "").split())
        if not title:
            raise ConversationError("a conversation's name cannot be empty")
        if len(title) > MAX_TITLE_CHARS:
            raise ConversationError(f"a conversation's name can be {MAX_TITLE_CHARS} characters at most")
        with self._connect() as db:
            changed = db.execute(
                "UPDATE conversations SET title = ? WHERE id = ? AND browser = ?", (title, conversation_id, browser)
            ).rowcount
        return changed > 0

    def delete(self, browser: str, conversation_id: str) -> bool:
        """Forget a conversation; False when it is not ``browser``'s."""
        with self._connect() as db:
            return (
                db.execute(
                    "DELETE FROM conversations WHERE id = ? AND browser = ?", (conversation_id, browser)
                ).rowcount
                > 0
            )

    def secret(self) -> str:
        """The key the browser's stored id is encrypted with: kept here, so it outlives a restart
        (a new key per start would make every browser's stored id unreadable)."""
        with self._connect() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'browser_state_secret'").fetchone()
            if row is not None:
                return str(row[0])
            value = secrets.token_urlsafe(24)
            db.execute("INSERT INTO meta (key, value) VALUES ('browser_state_secret', ?)", (value,))
            return value
