"""A conversation as a Markdown file a person can keep or forward: each question, the answer
with its [n] citations, and for each citation the document, locator, page and passage."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

from assistant.answer import Answer
from assistant.citations import source_line
from assistant.service import ChatSession

TITLE = "Scrutineer conversation"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _escape(text: str) -> str:
    """Text from the papers shown as written, not read as Markdown (a ``*`` or ``#`` in a passage)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _answer_text(answer: Answer) -> str:
    # Escape everything, then let the [n] markers stand as they are: they are the citations. Line by
    # line, so a list in the answer stays one item a line.
    escaped = "\n".join(_escape(line) for line in answer.text.split("\n"))
    return re.sub(r"\\\[(\d+)\\\]", r"[\1]", escaped)


def _quote(text: str) -> str:
    return "> " + _escape(text)


def turn_markdown(number: int, question: str, answer: Answer) -> str:
    lines = [f"## {number}. {_escape(question)}", "", _answer_text(answer), ""]
    if answer.citations:
        lines += ["### Sources", ""]
        for n, passage in enumerate(answer.citations, start=1):
            lines += [
                f"**{_escape(source_line(n, passage))}**  ",
                f"{_escape(passage.doc_title)}",
                "",
                _quote(passage.text),
                "",
            ]
    elif answer.related:
        lines += ["### Related reading", ""]
        lines += [f"- {_escape(p.locator)} (page {p.page})" for p in answer.related]
        lines.append("")
    return "\n".join(lines)


def conversation_markdown(session: ChatSession, when: str | None = None) -> str:
    """The whole conversation; ``when`` (default: now) is printed under the title."""
    stamp = when or time.strftime("%Y-%m-%d %H:%M")
    parts = [f"# {TITLE}", "", f"Exported {stamp}. Quotations are verbatim from the papers cited.", ""]
    for number, answer in enumerate(session.turns, start=1):
        # Answer.question is the question as asked (a follow-up stays short, as the person wrote it).
        parts.append(turn_markdown(number, answer.question, answer))
    return "\n".join(parts).rstrip() + "\n"


def export_name(session: ChatSession) -> str:
    """The file name of a conversation's export: the same for every export of it, so a new export replaces
    the last one instead of adding a file."""
    return f"scrutineer-conversation-{time.strftime('%Y%m%d-%H%M%S', time.localtime(session.started))}.md"


def write_export(session: ChatSession, folder: Path) -> Path:
    """Write the conversation to ``folder`` / :func:`export_name`, replacing its earlier export whole
    (written aside, then renamed over it), readable by this user only; return the path."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / export_name(session)
    partial = folder / f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial"
    # 0600 from the start: a conversation may quote papers not everyone on the machine should read.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(conversation_markdown(session))
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path
