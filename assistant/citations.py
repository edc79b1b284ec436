"""Answer → text a person reads: the answer, then its numbered sources."""

from __future__ import annotations

from assistant.answer import Answer
from assistant.retrieval import Passage

PREVIEW_CHARS = 300


def source_line(n: int, p: Passage) -> str:
    pages = f"page {p.page}" if p.page_end == p.page else f"pages {p.page}–{p.page_end}"
    also = f"; {p.also_in_note}" if p.also_in else ""
    return f"[{n}] {p.locator} ({pages}{also})"


def format_answer(answer: Answer, with_text: bool = True) -> str:
    """Plain text for the terminal: answer, then "Sources:" (or "Related reading:")."""
    lines = [answer.text, ""]
    if answer.citations:
        lines.append("Sources:")
        for n, p in enumerate(answer.citations, start=1):
            lines.append(source_line(n, p))
            if with_text:
                lines.append(f"    {_preview(p.text)}")
    elif answer.related:
        lines.append("Related reading:")
        for p in answer.related:
            pages = f"page {p.page}"
            lines.append(f"- {p.locator} ({pages})")
    return "\n".join(lines).rstrip()


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[:PREVIEW_CHARS].rsplit(" ", 1)[0] + " …"
