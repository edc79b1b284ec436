"""Answer → text a person reads: the answer, then its numbered sources."""

from __future__ import annotations

from assistant.answer import Answer
from assistant.retrieval import Passage

PREVIEW_CHARS = 300


def page_span(first: int, last: int) -> str:
    """``page 5``, or ``pages 5–7`` when ``last`` is another page."""
    return f"page {first}" if last == first else f"pages {first}–{last}"


def pages_cited(p: Passage) -> str:
    """The pages a citation names: the passage's own, or, when the section it belongs to (a minute
    item) runs over more pages, the section's pages and then where the cited text is."""
    own = page_span(p.page, p.page_end)
    if p.section_page and (p.section_page, p.section_page_end) != (p.page, p.page_end):
        return f"{page_span(p.section_page, p.section_page_end)}; cited text on {own}"
    return own


def source_line(n: int, p: Passage) -> str:
    also = f"; {p.also_in_note}" if p.also_in else ""
    return f"[{n}] {p.locator} ({pages_cited(p)}{also})"


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
