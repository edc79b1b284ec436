"""The Gradio chat app: ask, read the answer with numbered citations, check the cited passages.

``python app.py`` or ``scrutineer serve``. Binds 127.0.0.1:7860 by default; builds the index
from the corpus folder on first start. The API endpoint ``ask`` returns the same object as
``scrutineer ask --json``.
"""

from __future__ import annotations

import html
import logging
import os
import re
from typing import Any

# No analytics, no phoning home: set before gradio and chromadb are imported.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import gradio as gr

from assistant.answer import Answer
from assistant.citations import source_line
from assistant.service import Assistant, ChatSession
from ingest.settings import Settings

log = logging.getLogger(__name__)

TITLE = "Scrutineer"
INTRO = (
    "Ask about the council papers in the index. Every answer quotes the papers and cites the minute item, "
    "report section or plan action with its page; when the papers do not answer, it says so."
)
EXAMPLES = [
    "What budget gap was the Council facing for 2024/25?",
    "What did the committee resolve at its March meeting?",
    "Who presented the Compliance Progress & Update Report?",
    "What does TCLPM stand for?",
]
CSS = """
.source-card { border: 1px solid #6b7280; border-radius: 6px; padding: 0.6em 0.8em; margin-bottom: 0.6em; }
.source-card mark { background: #fde68a; color: #111827; }
"""


def render_sources(answer: Answer | None) -> str:
    """The cited passages, each with title, locator and page, the quoted sentences highlighted."""
    if answer is None:
        return "Sources of the latest answer appear here."
    if answer.abstained:
        items = "".join(f"<li>{html.escape(p.locator)} (page {p.page})</li>" for p in answer.related)
        return f"<p><strong>No source answers this.</strong> Related reading:</p><ul>{items}</ul>"
    cards = []
    for n, passage in enumerate(answer.citations, start=1):
        body = html.escape(" ".join(passage.text.split()))
        for quote, qn in answer.quotes:
            if qn == n:
                q = html.escape(" ".join(quote.split()))
                body = body.replace(q, f"<mark>{q}</mark>", 1)
        cards.append(
            f'<div class="source-card" id="source-{n}"><strong>{html.escape(source_line(n, passage))}</strong>'
            f"<br><em>{html.escape(passage.doc_title)}</em><p>{body}</p></div>"
        )
    return "".join(cards)


def render_answer(answer: Answer) -> str:
    """Markdown for the chat bubble: the answer, then a short list of its sources."""
    text = re.sub(r"\[(\d+)\]", r"**[\1]**", answer.text)
    if answer.citations:
        text += "\n\n" + "\n".join(f"- {source_line(n, p)}" for n, p in enumerate(answer.citations, start=1))
    elif answer.related:
        text += "\n\nRelated reading:\n" + "\n".join(f"- {p.locator} (page {p.page})" for p in answer.related)
    return text


def build_app(assistant: Assistant) -> gr.Blocks:
    def respond(message: str, history: list[dict[str, Any]], session: ChatSession | None):
        session = session or ChatSession()
        message = (message or "").strip()
        if not message:
            return "", history, session, gr.update()
        answer = assistant.ask(message, session=session)
        history = [
            *history,
            {"role": "user", "content": message},
            {"role": "assistant", "content": render_answer(answer)},
        ]
        return "", history, session, render_sources(answer)

    def ask(question: str) -> dict[str, Any]:
        """Answer one question; the same object as `scrutineer ask --json`."""
        return assistant.ask(question).contract()

    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        session = gr.State(None)
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Conversation", height=520)
                question = gr.Textbox(label="Your question", placeholder="e.g. What was resolved about the budget?")
                send = gr.Button("Ask", variant="primary")
                gr.Examples(EXAMPLES, inputs=question, label="Example questions")
            with gr.Column(scale=2):
                gr.Markdown("## Sources")
                sources = gr.HTML(render_sources(None), label="Sources")
        outputs = [question, chatbot, session, sources]
        send.click(respond, [question, chatbot, session], outputs, api_visibility="private")
        question.submit(respond, [question, chatbot, session], outputs, api_visibility="private")
        gr.api(ask, api_name="ask")
    return demo


def serve(
    settings: Settings | None = None,
    host: str | None = None,
    port: int | None = None,
    prevent_thread_lock: bool = False,
) -> gr.Blocks:
    settings = settings or Settings.from_env()
    assistant = Assistant(settings)
    report = assistant.ensure_index()
    if report is not None:
        log.warning("built the index: %s", report.summary().replace("\n", "; "))
    assistant.warm_up()
    demo = build_app(assistant)
    demo.launch(
        server_name=host or settings.host,
        server_port=port or settings.port,
        prevent_thread_lock=prevent_thread_lock,
        css=CSS,
        footer_links=[],
    )
    return demo


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    serve()
