"""The Gradio app: ask with filters, read answers whose [n] citations open the cited passage
and its PDF page, browse the decisions register, add documents, export the conversation.

``python app.py`` or ``scrutineer serve``. Binds 127.0.0.1:7860 by default; builds the index
from the corpus folder on first start. The API endpoint ``ask`` returns the same object as
``scrutineer ask --json``.

Clicking an inline [n] (a link in the chat bubble) runs a small script in the page head that
writes "turn-n" into a hidden textbox; that textbox's change event re-renders the Sources
panel with source n selected and shows its page. The Decisions register opens pages the same
way through a second hidden textbox.
"""

from __future__ import annotations

import base64
import functools
import html
import logging
import os
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

# No analytics, no phoning home: set before gradio and chromadb are imported.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import gradio as gr
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from assistant.answer import Answer
from assistant.building import BuildState, IndexBuild
from assistant.catalogue import (
    DOCUMENT_COLUMNS,
    KIND_LABELS,
    Catalogue,
    DecisionEntry,
    DocumentEntry,
    document_rows,
    group_by_meeting,
)
from assistant.citations import source_line
from assistant.conversations import ConversationError, ConversationStore, new_browser_id
from assistant.export import write_export
from assistant.logins import LoginGate, read_logins
from assistant.page_images import PageNotAvailable, page_count, render_page, resolve_pdf
from assistant.question import QuestionRefused
from assistant.retrieval import Passage, build_filters
from assistant.search_results import listed_passages, results_markdown
from assistant.service import AnswerOverBudget, Assistant, ChatSession
from ingest.errors import IndexUnavailable, IngestBusyError, IngestError
from ingest.manage import FileView, reingest_file, remove_file, show_file
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import Index, describe_fault
from ingest.uploads import add_uploads

log = logging.getLogger(__name__)

MAX_API_SESSIONS = 1000
"""Chat sessions the `ask_session` API keeps; the least recently used is forgotten first."""
MAX_SESSION_ID_CHARS = 128
TEMP_MAX_AGE_S = 24 * 3600
"""Files in the app's temporary and export folders older than this are deleted (at start, then daily)."""
REFUSED = (QuestionRefused, AnswerOverBudget, IndexUnavailable)
"""Errors whose message is for the person asking: shown as it is, never as Gradio's bare "Error"."""
EXPORT_FILE = "export-file"
BROWSER_STORAGE_KEY = "scrutineer-browser"
"""Where the browser keeps its id and current conversation (its local storage, encrypted by Gradio)."""

TITLE = "Scrutineer"
INTRO = (
    "Ask about the council papers in the index. Every answer quotes the papers and cites the minute item, "
    "report section or plan action with its page; when the papers do not answer, it says so. "
    "Select a citation such as [1] in an answer to see the passage and the page it comes from."
)
EXAMPLES = [
    "What budget gap was the Council facing for 2024/25?",
    "What did the committee resolve at its March meeting?",
    "Who presented the Compliance Progress & Update Report?",
    "What does TCLPM stand for?",
]
CITE_BRIDGE = "cite-bridge"
PAGE_BRIDGE = "page-bridge"
GOTO_BRIDGE = "goto-bridge"
TWO_COLUMNS = "two-columns"
"""The Ask and Decisions tabs' rows: two columns on a wide screen, one below 900 px."""
BUILD_POLL_S = 1.0
"""Seconds between the page's looks at the background build while it runs."""
PDF_ROUTE = "/pdf/"
"""Where "Open the PDF at this page" fetches a file: only PDFs of the corpus and upload folders, behind the login."""
NO_SOURCES = "Sources of the latest answer appear here. Select a citation such as [1] to see its page."
NO_PAGE = "Select a citation or a decision to see the page it comes from."
PAGE_VIEW_JS = (
    "watch('value', () => { const f = element.querySelector('.page-figure'); if (!f) return;"
    # In one column the Ask tab's Sources panel brings the selected source into view instead.
    " const oneColumn = innerWidth < 900 && !!(element.closest('#page-view') || element.querySelector('#page-view'));"
    " if (window.scrutineerZoomed) { f.classList.add('zoomed'); const b = f.querySelector('button.zoom-page');"
    " b.setAttribute('aria-pressed', 'true'); b.textContent = 'Fit to panel'; }"
    # The page just chosen is brought into view whole when any of it is off-screen, once the image has its size.
    " const show = () => { const r = element.getBoundingClientRect();"
    " if (r.top < 0 || r.bottom > innerHeight) element.scrollIntoView({block: 'start'}); };"
    " const img = f.querySelector('img');"
    " if (oneColumn) return;"
    " if (img.complete) show(); else img.addEventListener('load', show, {once: true}); });"
)
"""Page views: keep the zoom chosen, and bring a newly shown page into view."""

HEAD = f"""
<script>
// A citation or "Show page" link carries what it points at in its href (the chat sanitizer keeps
// href and class, not data- attributes); clicking it, by mouse or Enter, hands that to Python
// through a hidden textbox. The time stamp makes a second click on the same link a change too.
(() => {{
  const bridges = [
    ["a.cite", "#source-", "{CITE_BRIDGE}"], ["a.open-page", "#page-", "{PAGE_BRIDGE}"],
    ["a.turn-page", "#goto-", "{GOTO_BRIDGE}"],
  ];
  // Arrow keys move between tabs (and Home / End to the first and last), as the ARIA tabs pattern has it.
  document.addEventListener("keydown", (event) => {{
    const tab = event.target.closest('[role="tab"]');
    const moves = {{ ArrowRight: 1, ArrowLeft: -1, Home: "first", End: "last" }};
    if (!tab || !(event.key in moves)) return;
    const tabs = [...tab.closest('[role="tablist"]').querySelectorAll('[role="tab"]')];
    const at = tabs.indexOf(tab), move = moves[event.key];
    const next = move === "first" ? 0 : move === "last" ? tabs.length - 1 : (at + move + tabs.length) % tabs.length;
    event.preventDefault();
    tabs[next].focus();
    tabs[next].click();
  }});
  document.addEventListener("click", (event) => {{
    // Zoom: the page at its rendered size, scrolled inside the panel; again: fitted to the panel.
    const zoom = event.target.closest("button.zoom-page");
    if (zoom) {{
      const zoomed = zoom.closest(".page-figure").classList.toggle("zoomed");
      zoom.setAttribute("aria-pressed", String(zoomed));
      zoom.textContent = zoomed ? "Fit to panel" : "Zoom in";
      window.scrutineerZoomed = zoomed;  // kept when the page is turned
      return;
    }}
    for (const [selector, prefix, bridge] of bridges) {{
      const link = event.target.closest(selector);
      const href = link ? link.getAttribute("href") || "" : "";
      if (!href.startsWith(prefix)) continue;
      const box = document.querySelector(`#${{bridge}} textarea`);
      if (!box) return;
      event.preventDefault();
      box.value = href.slice(prefix.length) + "|" + Date.now();
      box.dispatchEvent(new Event("input", {{ bubbles: true }}));
      return;
    }}
  }});
}})();
</script>
"""

CSS = """
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible,
summary:focus-visible, [tabindex]:focus-visible, [role="tab"]:focus-visible {
  outline: 3px solid #1d4ed8 !important; outline-offset: 2px !important;
}
/* One selector per .dark rule: Gradio's CSS scoping mangles the second selector of a .dark list. */
.dark :focus-visible { outline-color: #93c5fd !important; }
a.cite { color: #1d4ed8 !important; font-weight: 600; text-decoration: underline; padding: 0 0.1em;
  border-radius: 3px; }
a.cite:hover { background: #dbeafe; }
/* Gradio's selected tab is blue-500 text (3.7:1 on white); blue-700 is 6.7:1. */
button[role="tab"][aria-selected="true"] { color: #1d4ed8 !important; }
.dark button[role="tab"][aria-selected="true"] { color: #93c5fd !important; }
/* Gradio dims chat text to 80 % opacity, which takes links below 4.5:1 contrast. */
#conversation .prose.chatbot.md { opacity: 1 !important; }
.dark a.cite { color: #93c5fd !important; }
.dark a.cite:hover { background: #1e3a8a; }
.source-list, .resolutions { list-style: none; padding: 0; margin: 0; }
.source-card, .resolution { border: 1px solid #6b7280; border-radius: 6px; padding: 0.6em 0.8em; margin: 0 0 0.6em; }
.source-card.selected, .resolution.selected { border: 3px solid #1d4ed8; background: #eff6ff; color: #111827; }
.dark .source-card.selected { background: #172554; color: #f9fafb; border-color: #93c5fd; }
.dark .resolution.selected { background: #172554; color: #f9fafb; border-color: #93c5fd; }
.dark .resolution.selected a.open-page { color: #bfdbfe !important; }
.source-card a.cite { display: inline-block; }
.source-card .doc-title { font-style: italic; }
.source-card p, .resolution blockquote { margin: 0.4em 0 0; }
mark { background: #fde68a; color: #111827; padding: 0 0.1em; }
.resolution blockquote { border-left: 4px solid #6b7280; padding-left: 0.6em; margin-left: 0; }
.meeting h3 { margin: 1em 0 0.4em; }
.status-error { color: #991b1b; font-weight: 600; }
.dark .status-error { color: #fca5a5; }
.table-scroll { overflow-x: auto; }
.documents-table { border-collapse: collapse; width: 100%; }
.documents-table caption { text-align: left; font-weight: 600; padding: 0.4em 0; }
.documents-table th, .documents-table td { border: 1px solid #9ca3af; padding: 0.3em 0.5em; text-align: left;
  vertical-align: top; }
.documents-table th { background: #f1f5f9; color: #111827; }
.dark .documents-table th { background: #1e293b; color: #f9fafb; }
/* The decision's page stays in view while the register beside it scrolls. */
#decision-page-column { position: sticky; top: 0.5em; align-self: flex-start; }
.page-figure { margin: 0; }
.page-figure figcaption { margin-bottom: 0.5em; }
/* Fitted to the panel and to the window's height, so the whole page is in view once selected; zoomed,
   it is shown at its rendered size (legible) and scrolls inside the panel. */
.page-scroll { overflow: auto; max-height: calc(100vh - 10rem); }
.page-figure img { display: block; max-width: 100%; max-height: calc(100vh - 11rem); width: auto; height: auto;
  margin: 0 auto; border: 1px solid #6b7280; }
.page-figure.zoomed img { max-width: none; max-height: none; }
.page-tools { display: flex; flex-wrap: wrap; gap: 0.4em 1em; align-items: center; margin: 0 0 0.5em; }
.page-tools span.turn-page { color: #4b5563; }
.dark .page-tools span.turn-page { color: #d1d5db; }
.page-tools button.zoom-page { border: 1px solid #6b7280; border-radius: 4px; padding: 0.1em 0.6em;
  background: transparent; color: inherit; font: inherit; cursor: pointer; }
/* Below 900 px the two columns stand one above the other, each the full width. */
@media (max-width: 899.98px) {
  .two-columns { flex-direction: column !important; }
  .two-columns > .column { width: 100% !important; min-width: 0 !important; flex: 1 1 auto !important; }
  #decision-page-column { position: static; }
}
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
"""

# Gradio's default orange primary button has white text at under 3:1 contrast; these shades
# keep every text colour at 4.5:1 or more on its background (WCAG 2.2 AA).
THEME = gr.themes.Default(primary_hue="blue", neutral_hue="slate").set(
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
    button_primary_text_color="white",
    # The "stop" buttons (remove, delete): Gradio's red-500 under white text is 3.8:1; red-700 is 6.5:1.
    button_cancel_background_fill="#b91c1c",
    button_cancel_background_fill_hover="#991b1b",
    button_cancel_text_color="white",
    button_cancel_text_color_hover="white",
    button_cancel_background_fill_dark="#b91c1c",
    button_cancel_background_fill_hover_dark="#991b1b",
    body_text_color_subdued="*neutral_600",
    block_info_text_color="*neutral_600",
    input_placeholder_color="*neutral_600",
    link_text_color="*primary_700",
    link_text_color_hover="*primary_800",
    link_text_color_visited="*primary_800",
)


# ---- rendering: pure functions of the answer, tested without a browser --------------------------


def _md_escape(text: str) -> str:
    """Text from the papers as Markdown that shows it as written: HTML escaped, Markdown marks
    backslashed (a ``*`` or ``#`` in a quotation stays a character)."""
    return re.sub(r"([\\`*_\[\]#|~])", r"\\\1", html.escape(text, quote=False))


def cite_link(turn: int, n: int, passage: Passage | None = None) -> str:
    """The [n] of answer ``turn`` as a link that selects source n in the Sources panel."""
    title = f"Show source {n}" + (f": {source_line(n, passage)[len(f'[{n}] ') :]}" if passage else "")
    return f'<a class="cite" href="#source-{turn}-{n}" title="{html.escape(title)}">[{n}]</a>'


def answer_markdown(answer: Answer, turn: int) -> str:
    """The chat bubble of answer ``turn`` (1-based): the answer with each [n] a link to its
    source, then the list of sources (or the related reading when the papers do not answer)."""
    cited = answer.citations
    found = answer.search
    listed = results_markdown(found, lambda h: cite_link(turn, h.number, h.passage), _md_escape) if found else ""
    if found is not None and found.reply:
        return listed  # the search results are the reply: its citations are the passages listed

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return cite_link(turn, n, cited[n - 1] if 0 < n <= len(cited) else None)

    text = re.sub(r"\\\[(\d+)\\\]", link, _md_escape(answer.text))
    if cited:
        lines = [f"- {cite_link(turn, n, p)} {_md_escape(_without_number(n, p))}" for n, p in enumerate(cited, 1)]
        text += "\n\n**Sources**\n\n" + "\n".join(lines)
    elif answer.related:
        lines = [
            f"- {cite_link(turn, n, p)} {_md_escape(f'{p.locator} (page {p.page})')}"
            for n, p in enumerate(answer.related, 1)
        ]
        text += "\n\n**Related reading**\n\n" + "\n".join(lines)
    return f"{text}\n\n{listed}" if listed else text


def history_of(session: ChatSession | None) -> list[dict[str, Any]]:
    """The chat bubbles of a conversation, drawn from its turns (after an answer, and when it is reopened)."""
    history: list[dict[str, Any]] = []
    for turn, answer in enumerate(session.turns if session else [], start=1):
        history.append({"role": "user", "content": _md_escape(answer.question)})
        history.append({"role": "assistant", "content": answer_markdown(answer, turn)})
    return history


def _without_number(n: int, passage: Passage) -> str:
    return source_line(n, passage)[len(f"[{n}] ") :]


def _loose(text: str) -> tuple[str, list[int]]:
    """Lower-case letters and digits of ``text`` with the position each came from, so a quotation
    is found in its passage whatever the spacing, hyphenation or quote marks."""
    kept = [(c.lower(), i) for i, c in enumerate(text) if c.isalnum()]
    return "".join(c for c, _ in kept), [i for _, i in kept]


def find_quote(passage: str, quote_text: str) -> tuple[int, int] | None:
    """(start, end) of ``quote_text`` in ``passage`` (both whitespace-normalised), or None."""
    at = passage.find(quote_text)
    if at >= 0:
        return at, at + len(quote_text)
    loose_passage, positions = _loose(passage)
    loose_quote, _ = _loose(quote_text)
    if not loose_quote:
        return None
    at = loose_passage.find(loose_quote)
    if at < 0:
        return None
    start, end = positions[at], positions[at + len(loose_quote) - 1] + 1
    # Take in the closing punctuation the quotation ends with (its full stop, a closing bracket).
    trailing = len(quote_text) - len(quote_text.rstrip(".,;:!?)]”’\"'"))
    while trailing and end < len(passage) and not passage[end].isalnum() and not passage[end].isspace():
        end, trailing = end + 1, trailing - 1
    return start, end


def highlight(passage: str, quotes: list[str]) -> str:
    """The passage as HTML with each quotation in ``<mark>``; a quotation not found in the passage
    is shown marked above it, so the supporting sentence is always visible."""
    flat = " ".join(passage.split())
    spans: list[tuple[int, int]] = []
    missing: list[str] = []
    for q in quotes:
        span = find_quote(flat, " ".join(q.split()))
        if span is None:
            missing.append(q)
        else:
            spans.append(span)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out.append(html.escape(flat[pos:start]))
        out.append(f"<mark>{html.escape(flat[start:end])}</mark>")
        pos = end
    out.append(html.escape(flat[pos:]))
    before = "".join(f"<p>Quoted: <mark>{html.escape(' '.join(q.split()))}</mark></p>" for q in missing)
    return before + f"<p>{''.join(out)}</p>"


def passages_of(answer: Answer) -> list[Passage]:
    """What the Sources panel lists: the citations, or the related reading of an answer that has none; then
    the search results listed beside the answer."""
    return listed_passages(answer)


def render_sources(answer: Answer | None, turn: int = 0, selected: int | None = None) -> str:
    """The Sources panel: each cited passage with document title, locator and page, the quoted
    sentences highlighted; source ``selected`` (1-based) framed and announced."""
    if answer is None:
        return f'<p class="sources-status" role="status">{html.escape(NO_SOURCES)}</p>'
    listed = passages_of(answer)
    if selected is not None and 0 < selected <= len(listed):
        status = f"Showing source {selected} of {len(listed)}: {_without_number(selected, listed[selected - 1])}."
    elif answer.abstained:
        status = "The papers do not answer this question. The closest passages are listed as related reading."
    else:
        status = f"{len(listed)} source(s) cited. Select one to see its page."
    cards = []
    for n, passage in enumerate(listed, start=1):
        quotes = [q for q, qn in answer.quotes if qn == n] if answer.citations else []
        is_selected = n == selected
        cards.append(
            f'<li class="source-card{" selected" if is_selected else ""}" id="source-card-{n}"'
            f"{' aria-current=' + chr(34) + 'true' + chr(34) if is_selected else ''}>"
            f"{cite_link(turn, n, passage)} <strong>{html.escape(_without_number(n, passage))}</strong>"
            f'<div class="doc-title">{html.escape(passage.doc_title)}</div>'
            f"{highlight(passage.text, quotes)}</li>"
        )
    heading = "Related reading" if not answer.citations else "Cited passages"
    return (
        f'<p class="sources-status" role="status">{html.escape(status)}</p>'
        f'<h3 class="visually-hidden">{heading}</h3><ul class="source-list">{"".join(cards)}</ul>'
    )


def render_decisions(entries: list[DecisionEntry], query: str = "", selected: str | None = None) -> str:
    """The decisions register: resolutions grouped by meeting, each with minute item, page, its
    verbatim words and a link that opens its page."""
    query = query or ""
    groups = group_by_meeting(entries)
    if not entries:
        message = f"No resolution matches “{query.strip()}”." if query.strip() else "No resolutions in the index yet."
        return f'<p role="status">{html.escape(message)}</p>'
    count = f"{len(entries)} resolution(s) from {len(groups)} meeting(s)"
    count += f" matching “{query.strip()}”." if query.strip() else "."
    parts = [f'<p role="status">{html.escape(count)}</p>']
    for g, (meeting, items) in enumerate(groups, start=1):
        rows = []
        for entry in items:
            if entry.minute_item:
                minute = f"Minute {entry.minute_item}"
            else:
                minute = "Report to the meeting" if entry.kind == "proposal" else "Unnumbered minute"
            href = "#page-" + quote(entry.resolution_id, safe="")
            is_selected = entry.resolution_id == selected
            rows.append(
                f'<li class="resolution{" selected" if is_selected else ""}"'
                f"{' aria-current=' + chr(34) + 'true' + chr(34) if is_selected else ''}>"
                f"<div><strong>{html.escape(minute)}</strong> · {html.escape(entry.kind_label)} · "
                f'<a class="open-page" href="{href}">Show page {entry.page}'
                f'<span class="visually-hidden"> of {html.escape(entry.locator)}</span></a></div>'
                f"<blockquote>{html.escape(entry.text)}</blockquote>"
                f"<div>{html.escape(entry.locator)}</div></li>"
            )
        parts.append(
            f'<section class="meeting" aria-labelledby="meeting-{g}"><h3 id="meeting-{g}">{html.escape(meeting)}</h3>'
            f'<ul class="resolutions">{"".join(rows)}</ul></section>'
        )
    return "".join(parts)


def render_documents(entries: list[DocumentEntry]) -> str:
    """The documents in the index as a table with a caption and column headers."""
    if not entries:
        return '<p role="status">No documents in the index yet. Add PDF files above.</p>'
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in DOCUMENT_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in document_rows(entries)
    )
    files = len({e.source_file for e in entries})
    caption = f"Documents in the index: {len(entries)} document(s) from {files} file(s)"
    return (
        # Focusable and named, so the table can be scrolled sideways from the keyboard on a narrow screen.
        f'<div class="table-scroll" tabindex="0" role="region" aria-label="Documents in the index">'
        f'<table class="documents-table"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def render_file_view(view: FileView) -> str:
    """How a file was read, as the index holds it: per document its sections with locator and pages,
    then its resolutions and glossary entries, so a mis-cut item shows before an answer is trusted."""
    esc = html.escape
    s = view.summary
    parts = [
        f'<h3 id="reading-title">How {esc(s.source_file)} was read</h3>'
        f"<p>{s.pages} page(s), {len(view.documents)} document(s), indexed {esc(s.ingested_at)}.</p>"
    ]
    for d in view.documents:
        rows = "".join(
            f"<tr><td>{esc(sec.locator)}</td><td>{esc(sec.kind)}</td><td>{esc(sec.pages)}</td>"
            f"<td>{sec.passages}</td></tr>"
            for sec in d.sections
        )
        parts.append(
            f'<div class="table-scroll" tabindex="0" role="region" aria-label="Sections of {esc(d.title)}">'
            f'<table class="documents-table"><caption>{esc(d.title)} ({esc(d.doc_type)}, pages {esc(d.pages)}):'
            f' {len(d.sections)} section(s)</caption><thead><tr><th scope="col">Section (as cited)</th>'
            f'<th scope="col">Kind</th><th scope="col">Pages</th><th scope="col">Passages</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div>"
        )
    resolutions = "".join(
        f'<li class="resolution"><div><strong>{esc(r.locator)}</strong> · {esc(KIND_LABELS.get(r.kind, r.kind))}'
        f" · page {r.page}</div><blockquote>{esc(r.text)}</blockquote></li>"
        for r in view.resolutions
    )
    parts.append(f"<h4>Resolutions: {len(view.resolutions)}</h4>")
    if resolutions:
        parts.append(f'<ul class="resolutions">{resolutions}</ul>')
    glossary = "".join(
        f"<li><strong>{esc(g.term)}</strong>: {esc(g.expansion)} (page {g.page})</li>" for g in view.glossary
    )
    parts.append(f"<h4>Glossary entries: {len(view.glossary)}</h4>")
    if glossary:
        parts.append(f"<ul>{glossary}</ul>")
    return f'<section aria-labelledby="reading-title">{"".join(parts)}</section>'


def describe_filters(filters: dict[str, Any] | None) -> str:
    if not filters:
        return ""
    parts = []
    if filters.get("doc_id"):
        parts.append(f"{len(filters['doc_id'])} document(s)")
    if filters.get("doc_type"):
        parts.append("types " + ", ".join(filters["doc_type"]))
    if filters.get("organisation"):
        parts.append(", ".join(filters["organisation"]))
    if filters.get("date_from") or filters.get("date_to"):
        parts.append(f"meetings {filters.get('date_from') or '…'} to {filters.get('date_to') or '…'}")
    return "Searched only: " + "; ".join(parts) + "."


def parse_bridge(value: str | None) -> str | None:
    """What a clicked link handed over ("turn-n" or a quoted record id), without the time stamp."""
    if not value or "|" not in value:
        return None
    return value.rsplit("|", 1)[0] or None


@dataclass(frozen=True)
class PageNav:
    """Where a shown page stands, for its controls: previous and next page, the PDF at this page."""

    panel: str
    """Which page view it is in (``ask`` or ``decisions``), so turning the page updates that one."""
    source_file: str
    page: int
    pages: int


def pdf_href(source_file: str, page: int) -> str:
    """The PDF at ``page`` (PDF viewers read ``#page=n``); relative, so it works under a proxy's path too."""
    return f"{PDF_ROUTE.strip('/')}/{quote(source_file, safe='')}#page={page}"


def _page_tools(nav: PageNav) -> str:
    def turn(to: int, label: str) -> str:
        if not 1 <= to <= nav.pages:
            return f'<span class="turn-page" aria-disabled="true">{label}</span>'
        href = f"#goto-{nav.panel}/{quote(nav.source_file, safe='')}/{to}"
        return f'<a class="turn-page" href="{href}">{label}<span class="visually-hidden"> (page {to})</span></a>'

    return (
        f'<div class="page-tools" role="group" aria-label="Page {nav.page} of {nav.pages}">'
        f"{turn(nav.page - 1, 'Previous page')}{turn(nav.page + 1, 'Next page')}"
        '<button type="button" class="zoom-page" aria-pressed="false">Zoom in</button>'
        f'<a class="open-pdf" href="{html.escape(pdf_href(nav.source_file, nav.page))}" target="_blank"'
        ' rel="noopener">Open the PDF at this page<span class="visually-hidden"> (new tab)</span></a></div>'
    )


def render_page_view(png: bytes | None, caption: str, alt: str = "", nav: PageNav | None = None) -> str:
    """The page as a figure: the caption saying which page of which file and why, its controls, then the
    image (embedded, so nothing outside the app's own responses is served), fitted to the panel until
    zoomed. Without an image, the caption."""
    if png is None:
        return f'<p class="page-caption">{html.escape(caption)}</p>'
    data = base64.b64encode(png).decode("ascii")
    tools = _page_tools(nav) if nav else ""
    return (
        f'<figure class="page-figure"><figcaption>{html.escape(caption)}</figcaption>{tools}'
        f'<div class="page-scroll" tabindex="0" role="region" aria-label="{html.escape(alt)}">'
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}"></div></figure>'
    )


def render_build(state: BuildState) -> str:
    """The page's line about the background build: what is being built and how far it has got, then
    that the index is ready (or why it could not be built)."""
    if state.error:
        return status_html(state.line, error=True)
    if not state.running:
        return status_html("The index is ready: questions are answered from all the papers.")
    percent = round(state.fraction * 100)
    return (
        f'<div role="status" class="build-status"><p>{html.escape(state.line)}</p>'
        f'<progress max="100" value="{percent}" aria-label="Index built so far">{percent}%</progress></div>'
    )


def status_html(message: str, error: bool = False) -> str:
    css = ' class="status-error"' if error else ""
    return f'<div role="status"><p{css}>{html.escape(message)}</p></div>' if message else '<div role="status"></div>'


def startup_status(notices: Sequence[str]) -> str:
    """The Documents tab's status at start: what start-up repaired or ingested, one line per file."""
    if not notices:
        return status_html("")
    body = "".join(f"<p>{html.escape(line)}.</p>" for line in notices)
    return f'<div role="status"><p>When the app started:</p>{body}</div>'


def as_messages(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler`` with the errors meant for the person (refused question, index unavailable, bad filter)
    raised as gr.Error, whose message Gradio shows in the page and sends to API clients."""

    @functools.wraps(handler)
    def shown(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except (*REFUSED, ValueError) as exc:
            raise gr.Error(str(exc), print_exception=False) from exc

    return shown


def prepare_temp_folders(settings: Settings, now: float | None = None) -> int:
    """Point Gradio's temporary folder at the app's own (``settings.app_temp_dir``, 0700) and delete
    files there older than a day, left by earlier runs; returns how many were deleted. Must run before
    the Blocks are made: Gradio reads GRADIO_TEMP_DIR when it creates them."""
    folder = settings.app_temp_dir
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    cutoff = (time.time() if now is None else now) - TEMP_MAX_AGE_S
    removed = 0
    emptied: set[Path] = set()
    for path in sorted(folder.rglob("*"), reverse=True):  # deepest first, so emptied folders go too
        try:
            if path.is_dir() and not path.is_symlink():
                old = path in emptied or path.stat().st_mtime < cutoff
                if path != settings.export_dir and old and not any(path.iterdir()):
                    path.rmdir()
                    emptied.add(path.parent)
            elif path.lstat().st_mtime < cutoff:
                path.unlink()
                removed += 1
                emptied.add(path.parent)
        except OSError as exc:  # another run using the folder; cleaning up is never worth failing over
            log.debug("could not clean %s: %s", path, exc)
    if removed:
        log.info("deleted %d temporary file(s) older than a day from %s", removed, folder)
    return removed


# ---- pages: which PDF page a citation or a decision shows ---------------------------------------


class PageView:
    """Finds and renders the page a passage or resolution stands on, only from the corpus and
    upload folders."""

    def __init__(self, index: Index, settings: Settings, catalogue: Catalogue) -> None:
        self.index = index
        self.settings = settings
        self.catalogue = catalogue

    def _render(
        self, source_file: str | None, page: int, what: str | None, highlights: list[str], panel: str = "ask"
    ) -> str:
        if not source_file:
            return render_page_view(None, f"The file of {what} is not in the index.")
        try:
            path = resolve_pdf(source_file, self.settings, self.catalogue.folder_of(source_file))
            rendered = render_page(path, page, highlights, max_pixels=self.settings.page_max_pixels)
            pages = page_count(path)
        except PageNotAvailable as exc:
            return render_page_view(None, f"The page cannot be shown: {exc}.")
        caption = f"Page {page} of {source_file}: {what}." if what else f"Page {page} of {source_file}."
        if rendered.marked:
            caption += " The quoted words are outlined on the page."
        nav = PageNav(panel, source_file, page, pages)
        return render_page_view(rendered.png, caption, f"Page {page} of {source_file} as printed", nav)

    def for_page(self, panel: str, source_file: str, page: int) -> str:
        """Another page of a file already shown (previous or next)."""
        return self._render(source_file, page, None, [], panel)

    def quote_page(self, passage: Passage, quotes: list[str]) -> int:
        """The page of the passage's first quoted sentence (a passage may run over two pages)."""
        if not quotes or passage.page_end == passage.page:
            return passage.page
        for row in self.index.get("sentences", where={"chunk_id": passage.chunk_id}):
            text = " ".join(row.text.split())
            if any(find_quote(text, " ".join(q.split())) or find_quote(" ".join(q.split()), text) for q in quotes):
                return int(row.metadata.get("page", passage.page))
        return passage.page

    def for_passage(self, n: int, passage: Passage, quotes: list[str]) -> str:
        page = self.quote_page(passage, quotes)
        return self._render(self.catalogue.source_file_of(passage.doc_id), page, source_line(n, passage), quotes)

    def for_decision(self, entry: DecisionEntry) -> str:
        minute = f"minute {entry.minute_item}, " if entry.minute_item else ""
        what = f"{entry.meeting}, {minute}{entry.kind_label.lower()}"
        return self._render(entry.source_file, entry.page, what, [entry.text], "decisions")


# ---- the app ------------------------------------------------------------------------------------


def build_app(assistant: Assistant, notices: Sequence[str] = (), build: IndexBuild | None = None) -> gr.Blocks:
    """The app over ``assistant``; ``notices`` (what start-up repaired, :class:`ingest.bootstrap.Startup`)
    are shown in the Documents tab. With ``build`` (start-up running in the background), the page says
    how far it has got until it is over, and questions wait for it or say they were answered from part."""
    settings = assistant.settings
    catalogue = Catalogue(assistant.index, settings)
    pages = PageView(assistant.index, settings, catalogue)
    ingestor = Ingestor(settings, assistant.index, assistant.embedder)
    conversations = ConversationStore(settings.index_dir)
    prepare_temp_folders(settings)

    def choices_updates() -> tuple[Any, Any, Any]:
        c = catalogue.filter_choices()
        return gr.update(choices=c.documents), gr.update(choices=c.doc_types), gr.update(choices=c.organisations)

    def respond(
        message: str,
        history: list[dict[str, Any]],
        session: ChatSession | None,
        doc_ids: list[str],
        doc_types: list[str],
        organisations: list[str],
        date_from: str,
        date_to: str,
        browser: dict[str, Any] | None = None,
    ):
        session = session or ChatSession()
        unchanged = [gr.update()] * 5  # sources, page view, download, browser state, conversation list
        partly = False
        if build is not None and build.running:
            # Nothing indexed yet: wait for the build (as long as an answer may take); something: answer from it.
            if assistant.index.count("chunks") == 0 and not build.wait(settings.answer_budget_s):
                waiting = f"Not answered yet: {build.state().line} Ask again when the index is ready."
                return message, history, session, *unchanged, status_html(waiting, error=True)
            partly = build.running
        try:
            filters = build_filters(doc_ids, doc_types, organisations, date_from, date_to)
            answer = assistant.ask(message or "", session=session, filters=filters)
        except (*REFUSED, ValueError) as exc:  # ValueError: a bad date filter; the question stays in its box
            return message, history, session, *unchanged, status_html(str(exc), error=True)
        browser = known_browser(browser)
        notice = describe_filters(filters)
        if partly:
            notice = f"{notice} Answered from what is indexed so far: the index is still being built.".strip()
        try:
            conversations.save(browser["browser"], session)
        except ConversationError as exc:  # the answer stands; only keeping it failed
            log.warning("%s", exc)
            notice = f"{notice} This conversation could not be kept for later: {exc}.".strip()
        browser = {**browser, "current": session.id}
        return (
            "",
            history_of(session),
            session,
            render_sources(answer, len(session.turns)),
            render_page_view(None, NO_PAGE),
            gr.update(interactive=True),
            browser,
            conversation_choices(browser),
            status_html(notice),
        )

    def export_conversation(session: ChatSession | None):
        """The conversation's one export file, written now (on request, not after every answer)."""
        if session is None or not session.turns:
            return gr.update(), status_html("Ask a question first: there is nothing to download yet.", error=True)
        try:
            path = write_export(session, settings.export_dir / session.id)
        except OSError as exc:
            message = describe_fault(exc, settings) or f"The conversation could not be saved for download ({exc})."
            return gr.update(), status_html(message, error=True)
        return gr.update(value=str(path)), gr.update()

    @as_messages
    def show_source(value: str, session: ChatSession | None):
        ref = parse_bridge(value)
        match = re.fullmatch(r"(\d+)-(\d+)", ref or "")
        if not match or session is None:
            return gr.update(), gr.update()
        turn, n = int(match.group(1)), int(match.group(2))
        if not 0 < turn <= len(session.turns):
            return gr.update(), gr.update()
        answer = session.turns[turn - 1]
        listed = passages_of(answer)
        if not 0 < n <= len(listed):
            return gr.update(), gr.update()
        quotes = [q for q, qn in answer.quotes if qn == n] if answer.citations else []
        return render_sources(answer, turn, selected=n), pages.for_passage(n, listed[n - 1], quotes)

    def known_browser(browser: dict[str, Any] | None) -> dict[str, Any]:
        """The browser's stored state, with a browser id made for it on its first visit."""
        browser = dict(browser or {})
        if not isinstance(browser.get("browser"), str) or not browser["browser"]:
            browser["browser"] = new_browser_id()
        return browser

    def conversation_choices(browser: dict[str, Any], current: str | None = None) -> Any:
        listed = conversations.summaries(browser["browser"])
        chosen = current if current is not None else browser.get("current")
        value = chosen if any(c.id == chosen for c in listed) else None
        return gr.update(choices=[(c.label, c.id) for c in listed], value=value)

    def shown_conversation(session: ChatSession | None, browser: dict[str, Any], notice: str = ""):
        """Everything the Ask tab shows of a conversation: its bubbles, its latest sources, the export."""
        turn = len(session.turns) if session else 0
        latest = session.turns[-1] if session and session.turns else None
        return (
            history_of(session),
            session,
            render_sources(latest, turn),
            render_page_view(None, NO_PAGE),
            gr.update(interactive=latest is not None),
            browser,
            conversation_choices(browser, session.id if session else ""),
            status_html(notice),
        )

    def new_conversation(browser: dict[str, Any] | None):
        """The same for the chat's clear control and "New conversation": nothing shown, no context kept."""
        browser = {**known_browser(browser), "current": None}
        return shown_conversation(None, browser)

    def restore_conversation(browser: dict[str, Any] | None):
        """On page load: the browser's current conversation again, as it was left."""
        browser = known_browser(browser)
        current = browser.get("current")
        session = conversations.load(browser["browser"], current) if isinstance(current, str) else None
        if session is None:
            browser["current"] = None
        return shown_conversation(session, browser)

    @as_messages
    def open_conversation(conversation_id: str | None, browser: dict[str, Any] | None):
        browser = known_browser(browser)
        session = conversations.load(browser["browser"], conversation_id) if conversation_id else None
        if session is None:
            return shown_conversation(None, {**browser, "current": None}, "That conversation is no longer kept.")
        return shown_conversation(session, {**browser, "current": session.id})

    @as_messages
    def rename_conversation(title: str, session: ChatSession | None, browser: dict[str, Any] | None):
        browser = known_browser(browser)
        if session is None or not session.turns:
            return gr.update(), gr.update(), status_html("Ask a question first: there is nothing to name yet.", True)
        try:
            conversations.rename(browser["browser"], session.id, title)
        except ConversationError as exc:
            return gr.update(), gr.update(), status_html(f"Not renamed: {exc}.", error=True)
        return "", conversation_choices(browser, session.id), status_html(f"Renamed to “{' '.join(title.split())}”.")

    @as_messages
    def delete_conversation(session: ChatSession | None, browser: dict[str, Any] | None):
        browser = known_browser(browser)
        if session is None or not session.turns:
            return shown_conversation(session, browser, "There is no conversation to delete.")
        conversations.delete(browser["browser"], session.id)
        return shown_conversation(None, {**browser, "current": None}, "The conversation was deleted.")

    @as_messages
    def turn_page(value: str):
        """Previous or next page in one of the page views: "panel/quoted file/page"."""
        match = re.fullmatch(r"(ask|decisions)/([^/]+)/(\d+)", parse_bridge(value) or "")
        if not match:
            return gr.update(), gr.update()
        panel, source_file, number = match.group(1), unquote(match.group(2)), int(match.group(3))
        shown = pages.for_page(panel, source_file, number)
        return (shown, gr.update()) if panel == "ask" else (gr.update(), shown)

    def register_html(query: str | None, include_proposals: bool | None, selected: str | None = None) -> str:
        # On page load Gradio may hand over None for a box never typed in: treat it as empty / ticked.
        query = query or ""
        entries = catalogue.decisions(query, include_proposals is not False)
        return render_decisions(entries, query, selected)

    @as_messages
    def filter_decisions(query: str, include_proposals: bool):
        return register_html(query, include_proposals)

    @as_messages
    def open_decision(value: str, query: str, include_proposals: bool):
        ref = parse_bridge(value)
        entry = catalogue.decision(unquote(ref)) if ref else None
        if entry is None:
            return gr.update(), gr.update()
        return register_html(query, include_proposals, entry.resolution_id), pages.for_decision(entry)

    def documents_table() -> str:
        return render_documents(catalogue.documents())

    # Gradio finds the progress bar by this default value, so the call in the default is needed.
    def add_documents(files: list[str] | None, query: str, include_proposals: bool, progress=gr.Progress()):  # noqa: B008
        if not files:
            return (status_html("Choose one or more PDF files first.", error=True), *[gr.update()] * 7)
        progress(0, desc="Storing the files")
        pairs = [(Path(f), Path(f).name) for f in files]
        # add_uploads reports a busy or unavailable index (another ingest running, the server gone) as each
        # file's error, and takes the files out again.
        result = add_uploads(pairs, settings, ingestor, progress=lambda frac, desc: progress(frac, desc=desc))
        try:
            if result.added:
                assistant.refresh()  # glossary, meeting dates and vocabulary now include the new papers
            listings = (
                documents_table(),
                register_html(query, include_proposals),
                *choices_updates(),
                file_choices(),
            )
        except IndexUnavailable as exc:
            listings = (status_html(str(exc), error=True), *[gr.update()] * 5)
        lines = []
        if result.added:
            lines.append("Added and searchable now: " + ", ".join(result.added) + ".")
        if result.unchanged:
            lines.append("Already in the index, unchanged: " + ", ".join(result.unchanged) + ".")
        lines += [message + "." for _, message in result.duplicates]
        errors = [message for _, message in result.failed]
        body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
        body += "".join(f'<p class="status-error">Not added. {html.escape(m)}</p>' for m in errors)
        return (f'<div role="status">{body}</div>', None, *listings)

    def file_names() -> list[str]:
        return sorted({d.source_file for d in catalogue.documents()})

    def file_choices(value: str | None = None) -> Any:
        names = file_names()
        return gr.update(choices=names, value=value if value in names else None)

    def after_change(query: str, include_proposals: bool, managed: str | None = None) -> tuple[Any, ...]:
        """What lists the papers, read again after a document was removed or read again."""
        assistant.refresh()  # glossary, meeting dates and vocabulary as the index now holds them
        return (documents_table(), register_html(query, include_proposals), *choices_updates(), file_choices(managed))

    @as_messages
    def show_reading(source_file: str | None):
        if not source_file:
            return status_html("Choose a file first.", error=True), ""
        try:
            return status_html(""), render_file_view(show_file(assistant.index, settings, source_file))
        except IngestError as exc:
            return status_html(str(exc), error=True), ""

    def ask_to_remove(source_file: str | None):
        """Removing asks first: the confirmation names the file and what goes with it."""
        if not source_file:
            return gr.update(visible=False), "", status_html("Choose a file first.", error=True)
        try:
            view = show_file(assistant.index, settings, source_file)
        except IngestError as exc:
            return gr.update(visible=False), "", status_html(str(exc), error=True)
        question = (
            f"Remove {source_file} from the index? Its {len(view.documents)} document(s), their passages,"
            f" {len(view.resolutions)} resolution(s) and {len(view.glossary)} glossary entr"
            f"{'y' if len(view.glossary) == 1 else 'ies'} go with it."
        )
        return gr.update(visible=True), f"<p>{html.escape(question)}</p>", status_html("")

    def cancel_removal():
        return gr.update(visible=False), "", status_html("Nothing was removed.")

    def remove_document(source_file: str | None, query: str, include_proposals: bool):
        hidden = gr.update(visible=False)
        try:
            message = remove_file(ingestor, source_file or "").message + "."
        except (IngestError, IngestBusyError, IndexUnavailable) as exc:
            return hidden, "", status_html(str(exc), error=True), gr.update(), *[gr.update()] * 6
        return hidden, "", status_html(message), "", *after_change(query, include_proposals)

    def read_again(source_file: str | None, query: str, include_proposals: bool):
        if not source_file:
            return status_html("Choose a file first.", error=True), gr.update(), *[gr.update()] * 6
        try:
            report = reingest_file(ingestor, source_file)
        except (IngestError, IngestBusyError, IndexUnavailable) as exc:
            return status_html(str(exc), error=True), gr.update(), *[gr.update()] * 6
        message = f"{source_file}: read again ({report.chunks} passages, {report.resolutions} resolutions)."
        view = render_file_view(show_file(assistant.index, settings, source_file))
        return status_html(message), view, *after_change(query, include_proposals, source_file)

    @as_messages
    def ask(question: str) -> dict[str, Any]:
        """Answer one question; the same object as `scrutineer ask --json`."""
        return assistant.ask(question).contract()

    @as_messages
    def ask_filtered(
        question: str, doc_id: str, doc_type: str, organisation: str, date_from: str, date_to: str
    ) -> dict[str, Any]:
        """Answer one question only from some papers, with the filters `scrutineer ask` takes (an empty
        string: no filter); as `ask` otherwise. A separate endpoint, since a plain HTTP call to `ask`
        must carry every input and callers send only the question."""
        filters = build_filters(doc_id, doc_type, organisation, date_from, date_to)
        return assistant.ask(question, filters=filters).contract()

    api_sessions: OrderedDict[str, ChatSession] = OrderedDict()
    api_sessions_lock = threading.Lock()

    @as_messages
    def ask_in_session(question: str, session_id: str) -> dict[str, Any]:
        """Answer a question in a chat session of the caller's choosing (a random id per conversation), so
        a follow-up ("And in 2023?") is read with that session's previous question; as `ask` otherwise."""
        session_id = (session_id or "").strip()
        if not session_id or len(session_id) > MAX_SESSION_ID_CHARS:
            raise gr.Error(f"session_id must be 1 to {MAX_SESSION_ID_CHARS} characters")
        with api_sessions_lock:
            session = api_sessions.pop(session_id, None) or ChatSession()
            api_sessions[session_id] = session  # most recently used last
            while len(api_sessions) > MAX_API_SESSIONS:
                api_sessions.popitem(last=False)
        return assistant.ask(question, session=session).contract()

    def poll_build(query: str, include_proposals: bool, managed: str | None):
        """The build's progress while it runs; once it is over, the listings of the papers it built."""
        state = build.state() if build else BuildState(running=False)
        if state.running:
            return render_build(state), gr.update(), *[gr.update()] * 7
        try:
            listings = after_change(query, include_proposals, managed)  # the file chosen stays chosen
        except IndexUnavailable as exc:
            listings = (status_html(str(exc), error=True), *[gr.update()] * 5)
        return render_build(state), gr.Timer(active=False), startup_status(state.notices), *listings

    def on_load(query: str, include_proposals: bool):
        # A page opened after the build is over never polls it; one opened during it polls until it is over.
        state = build.state() if build else None
        started = (
            render_build(state) if state and (state.running or state.error) else "",  # "ready" only to those who waited
            gr.Timer(active=bool(state and state.running)),
            startup_status(state.notices) if state and not state.running else gr.update(),
        )
        try:
            listings = (documents_table(), register_html(query, include_proposals), *choices_updates(), file_choices())
        except IndexUnavailable as exc:  # the page still opens, saying why the papers cannot be listed
            listings = (status_html(str(exc), error=True), status_html(str(exc), error=True), *[gr.update()] * 4)
        return *listings, *started

    initial = catalogue.filter_choices()
    # A day's temporary files at most: each run deletes its own on schedule (start-up deletes older runs').
    with gr.Blocks(title=TITLE, delete_cache=(TEMP_MAX_AGE_S, TEMP_MAX_AGE_S)) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        build_status = gr.HTML(render_build(build.state()) if build else "", elem_id="build-status", js_on_load=None)
        # Polls the background build once a second while it runs; switched off when it is over.
        build_timer = gr.Timer(BUILD_POLL_S, active=build is not None and build.running)
        session = gr.State(None)
        # The browser's random id and its current conversation, in its own storage; the conversations
        # themselves stay on the server.
        browser_state = gr.BrowserState(
            {"browser": None, "current": None}, storage_key=BROWSER_STORAGE_KEY, secret=conversations.secret()
        )
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False, elem_classes=[TWO_COLUMNS]):
                    with gr.Column(scale=3, min_width=360):
                        chatbot = gr.Chatbot(
                            label="Conversation",
                            elem_id="conversation",
                            height=480,
                            latex_delimiters=[],
                            feedback_options=None,
                            buttons=["copy"],
                            placeholder="Ask a question about the papers, or start from an example below.",
                        )
                        question = gr.Textbox(
                            label="Your question", placeholder="e.g. What was resolved about the budget?", lines=1
                        )
                        with gr.Row():
                            send = gr.Button("Ask", variant="primary")
                            clear = gr.Button("New conversation")
                            download = gr.Button("Download conversation", interactive=False, size="md")
                            # Filled by the button above and clicked from script: the file is written on
                            # request only, one per conversation, replaced each time.
                            export_file = gr.DownloadButton(
                                "Conversation file", value=None, visible="hidden", elem_id=EXPORT_FILE
                            )
                        ask_status = gr.HTML(status_html(""), elem_id="ask-status", js_on_load=None)
                        with gr.Accordion("Your conversations", open=False, elem_id="conversations"):
                            conversation_list = gr.Dropdown(
                                choices=[], value=None, label="Open a conversation", elem_id="conversation-list"
                            )
                            with gr.Row():
                                new_name = gr.Textbox(
                                    label="Rename this conversation", placeholder="e.g. Budget questions", min_width=200
                                )
                                rename = gr.Button("Rename", size="md")
                                delete = gr.Button("Delete this conversation", variant="stop", size="md")
                        gr.Examples(EXAMPLES, inputs=question, label="Example questions")
                        with gr.Accordion("Filters: search only some papers", open=False):
                            doc_filter = gr.Dropdown(
                                choices=initial.documents, multiselect=True, label="Documents", value=[]
                            )
                            type_filter = gr.Dropdown(
                                choices=initial.doc_types, multiselect=True, label="Document types", value=[]
                            )
                            org_filter = gr.Dropdown(
                                choices=initial.organisations, multiselect=True, label="Organisations", value=[]
                            )
                            with gr.Row():
                                date_from = gr.Textbox(label="Meetings from", placeholder="YYYY-MM-DD", min_width=160)
                                date_to = gr.Textbox(label="Meetings to", placeholder="YYYY-MM-DD", min_width=160)
                    with gr.Column(scale=2, min_width=320):
                        gr.Markdown("## Sources")
                        sources = gr.HTML(
                            render_sources(None),
                            elem_id="sources",
                            max_height=560,
                            js_on_load=(
                                "watch('value', () => { const s = element.querySelector('.source-card.selected');"
                                " if (s) s.scrollIntoView({block: 'nearest'}); });"
                            ),
                        )
                        gr.Markdown("## Page view")
                        page = gr.HTML(render_page_view(None, NO_PAGE), elem_id="page-view", js_on_load=PAGE_VIEW_JS)
                cite_bridge = gr.Textbox(visible="hidden", elem_id=CITE_BRIDGE, label="Selected citation")
            with gr.Tab("Decisions", id="decisions"):
                with gr.Row(equal_height=False, elem_classes=[TWO_COLUMNS]):
                    with gr.Column(scale=3, min_width=360):
                        decision_query = gr.Textbox(
                            label="Search the decisions", placeholder="e.g. review, budget, minute 39, March 2024"
                        )
                        include_proposals = gr.Checkbox(
                            value=True, label="Include recommendations put to meetings (not yet decided)"
                        )
                        register = gr.HTML(
                            render_decisions(catalogue.decisions()), elem_id="register", max_height=640, js_on_load=None
                        )
                    with gr.Column(scale=2, min_width=320, elem_id="decision-page-column"):
                        gr.Markdown("## Page view")
                        decision_page = gr.HTML(
                            render_page_view(None, NO_PAGE),
                            elem_id="decision-page-view",
                            js_on_load=PAGE_VIEW_JS,
                        )
                page_bridge = gr.Textbox(visible="hidden", elem_id=PAGE_BRIDGE, label="Selected decision")
            with gr.Tab("Documents", id="documents"):
                gr.Markdown(
                    "Add council papers as PDF files. They are stored in the upload folder, read, and searchable "
                    "as soon as they are listed below. A file that cannot be read is not added, and nothing "
                    "else changes."
                )
                uploads = gr.File(
                    label="PDF files to add", file_count="multiple", file_types=[".pdf"], elem_id="uploads"
                )
                add = gr.Button("Add to the index", variant="primary")
                upload_status = gr.HTML(startup_status(notices), elem_id="upload-status", js_on_load=None)
                documents = gr.HTML(render_documents(catalogue.documents()), elem_id="documents", js_on_load=None)
                gr.Markdown("## One document: how it was read, read it again, remove it")
                managed = gr.Dropdown(
                    choices=file_names(),
                    value=None,
                    label="File",
                    elem_id="managed-file",
                )
                with gr.Row():
                    show_read = gr.Button("Show how it was read", size="md")
                    reread = gr.Button("Read it again", size="md")
                    remove = gr.Button("Remove from the index", variant="stop", size="md")
                with gr.Group(visible=False) as confirm_removal:
                    confirm_text = gr.HTML("", elem_id="confirm-removal", js_on_load=None)
                    with gr.Row():
                        confirm_yes = gr.Button("Yes, remove it", variant="stop", size="md")
                        confirm_no = gr.Button("Cancel", size="md")
                manage_status = gr.HTML(status_html(""), elem_id="manage-status", js_on_load=None)
                reading = gr.HTML("", elem_id="reading", js_on_load=None)

        filter_inputs = [doc_filter, type_filter, org_filter, date_from, date_to]
        shown = [chatbot, session, sources, page, download, browser_state, conversation_list, ask_status]
        chat_outputs = [question, *shown]
        for event in (send.click, question.submit):
            event(
                respond,
                [question, chatbot, session, *filter_inputs, browser_state],
                chat_outputs,
                api_visibility="private",
            )
        download.click(export_conversation, [session], [export_file, ask_status], api_visibility="private").success(
            None, js=f"() => document.querySelector('#{EXPORT_FILE} button, #{EXPORT_FILE}').click()"
        )
        cite_bridge.change(show_source, [cite_bridge, session], [sources, page], api_visibility="private")
        # The chat's own clear control does what "New conversation" does: sources and context go too.
        for event in (clear.click, chatbot.clear):
            event(new_conversation, [browser_state], shown, api_visibility="private")
        conversation_list.input(open_conversation, [conversation_list, browser_state], shown, api_visibility="private")
        rename.click(
            rename_conversation,
            [new_name, session, browser_state],
            [new_name, conversation_list, ask_status],
            api_visibility="private",
        )
        delete.click(delete_conversation, [session, browser_state], shown, api_visibility="private")
        demo.load(restore_conversation, [browser_state], shown, api_visibility="private")
        for event in (decision_query.change, include_proposals.change):
            event(filter_decisions, [decision_query, include_proposals], register, api_visibility="private")
        page_bridge.change(
            open_decision,
            [page_bridge, decision_query, include_proposals],
            [register, decision_page],
            api_visibility="private",
        )
        listings = [documents, register, doc_filter, type_filter, org_filter, managed]
        show_read.click(show_reading, [managed], [manage_status, reading], api_visibility="private")
        remove.click(ask_to_remove, [managed], [confirm_removal, confirm_text, manage_status], api_visibility="private")
        confirm_no.click(cancel_removal, None, [confirm_removal, confirm_text, manage_status], api_visibility="private")
        for button, handler_fn, outputs in (
            (confirm_yes, remove_document, [confirm_removal, confirm_text, manage_status, reading, *listings]),
            (reread, read_again, [manage_status, reading, *listings]),
        ):
            button.click(
                handler_fn,
                [managed, decision_query, include_proposals],
                outputs,
                api_visibility="private",
                concurrency_id="writer",  # with uploads: one write at a time
                concurrency_limit=1,
                show_progress_on=[manage_status],
            )
        add.click(
            add_documents,
            [uploads, decision_query, include_proposals],
            [upload_status, uploads, *listings],
            api_visibility="private",
            show_progress_on=[upload_status],  # one progress display, not one over every listing it refreshes
            # One write at a time (uploads, removals, readings again): a second would wait on the writer lock
            # and time out instead of queueing.
            concurrency_id="writer",
            concurrency_limit=1,
        )
        demo.load(
            on_load,
            [decision_query, include_proposals],
            [*listings, build_status, build_timer, upload_status],
            api_visibility="private",
        )
        build_timer.tick(
            poll_build,
            [decision_query, include_proposals, managed],
            [build_status, build_timer, upload_status, *listings],
            api_visibility="private",
            show_progress="hidden",
        )
        goto_bridge = gr.Textbox(visible="hidden", elem_id=GOTO_BRIDGE, label="Page to show")
        goto_bridge.change(turn_page, [goto_bridge], [page, decision_page], api_visibility="private")
        gr.api(ask, api_name="ask")
        gr.api(ask_filtered, api_name="ask_filtered")
        gr.api(ask_in_session, api_name="ask_session")
    # Gradio answers one event at a time unless told otherwise; the Assistant is safe for concurrent asks.
    demo.queue(default_concurrency_limit=settings.answer_concurrency)
    return demo


def pdf_route(settings: Settings) -> Route:
    """GET /pdf/<file name>: a PDF of the corpus or upload folder, to read in the browser's own viewer
    (a name with a folder in it, a hidden file or anything but a .pdf is refused, as is a link out)."""

    async def serve_pdf(request: Request) -> Response:
        name = request.path_params["name"]
        if name.startswith(".") or not name.lower().endswith(".pdf"):
            return PlainTextResponse(f"{name}: only the PDFs of the corpus and upload folders are served", 404)
        try:
            path = resolve_pdf(name, settings)
        except PageNotAvailable as exc:
            return PlainTextResponse(str(exc), 404)
        disposition = f"inline; filename*=UTF-8''{quote(path.name, safe='')}"
        return FileResponse(path, media_type="application/pdf", headers={"Content-Disposition": disposition})

    return Route(PDF_ROUTE + "{name}", serve_pdf, methods=["GET"])


def launch_options(settings: Settings) -> dict[str, Any]:
    """The ``launch`` arguments that shape the page (Gradio 6 takes css, head and theme here) and turn off
    what the app does not use, each of which would open routes or reach out: run history (its routes
    skipped the login and could reach the Hub with the host's token), sharing links, MCP, server-side
    rendering, the PWA, monitoring, FastAPI's own schema. The environment (GRADIO_*) cannot turn them on."""
    return {
        "css": CSS,
        "head": HEAD,
        "theme": THEME,
        "footer_links": [],
        "max_file_size": f"{settings.upload_max_mb}mb",
        "run_history": False,
        "share": False,
        "mcp_server": False,
        "ssr_mode": False,
        "pwa": False,
        "enable_monitoring": False,
        # The login gate stands in front of every route, the app's own PDF route too.
        "app_kwargs": {"openapi_url": None, "middleware": [Middleware(LoginGate)], "routes": [pdf_route(settings)]},
    }


def serve(
    settings: Settings | None = None,
    host: str | None = None,
    port: int | None = None,
    prevent_thread_lock: bool = False,
) -> gr.Blocks:
    """The app as `scrutineer serve` runs it: answering HTTP at once, while start-up (the first build of the
    index, repairs, uploads to ingest) runs in the background and the page says how far it has got.
    The build is ``demo.index_build`` (tests wait on it)."""
    settings = settings or Settings.from_env()
    assistant = Assistant(settings)
    host, port = host or settings.host, port or settings.port
    build = IndexBuild(assistant, f"http://{host}:{port}")
    demo = build_app(assistant, build=build)
    launch(demo, settings, host, port, prevent_thread_lock=True)
    log.info("answering at http://%s:%d while the index is checked or built in the background", host, port)
    build.start()
    demo.index_build = build  # type: ignore[attr-defined]
    if not prevent_thread_lock:
        demo.block_thread()
    return demo


def launch(
    demo: gr.Blocks,
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
) -> gr.Blocks:
    """Start the app's server as ``serve`` does (the tests start theirs through here too): on the settings'
    address, with the login file's logins, the app's launch options and its login gate."""
    # What the server writes (uploads being received, exports) is for the app's own user only: 0600.
    os.umask(0o077)
    demo.launch(
        server_name=host or settings.host,
        server_port=port or settings.port,
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        auth=read_logins(settings.auth_file) if settings.auth_file else None,
        **launch_options(settings),
    )
    return demo


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    try:
        serve()
    except (IndexUnavailable, IngestError, ValueError) as exc:  # as `scrutineer serve` says it
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
