"""Optional LLM answer writer: rewrites an extractive answer as a short cited summary.

Used only when ``settings.llm_base_url`` names an OpenAI-compatible endpoint (Ollama,
llama.cpp server, vLLM). The model sees the question and at most ``MAX_EVIDENCE`` numbered
passages (see ``assistant.prompts``). Its reply is trusted only as far as a deterministic
check allows: every sentence must cite passages that were given, and its figures, quotations,
negations and most of its content words must appear in the passages it cites. Unsupported
sentences are dropped. Any failure (timeout, connection or HTTP error, malformed reply,
nothing supported left) returns the extractive answer unchanged: the writer never raises.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from langchain_core.messages import HumanMessage, SystemMessage

from assistant.answer import Answer
from assistant.prompts import CANNOT_ANSWER, SYSTEM_PROMPT, page_label, user_message
from assistant.retrieval import Passage
from ingest.settings import Settings
from ingest.text import words

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

log = logging.getLogger(__name__)

MAX_EVIDENCE = 6
"""Passages sent to the model: the extractive answer's citations first, then other retrieved ones."""
MIN_CONTENT_SUPPORT = 0.6
"""Share of a sentence's content words that must occur in the passages it cites."""
GENERATED_PREFIX = "Summary (generated from the cited passages): "
"""Starts every generated answer, so readers (and the app) can tell it from verbatim quotes."""
STEM_CHARS = 6
"""Words are compared on their first characters, so "savings" supports "saving" and "approved" "approve"."""
MIN_HIGHLIGHT_WORDS = 3
"""Shortest quoted phrase recorded in ``Answer.quotes`` (shorter ones highlight the wrong spot)."""
LOG_SNIPPET_CHARS = 160
TEMPERATURE = 0.0
"""Deterministic replies: the same evidence gives the same answer."""
MAX_RETRIES = 0
"""A retry would double the wait; the extractive answer is ready instead."""

# fmt: off
EXTRA_STOP_WORDS = frozenset(
    {
        "about", "above", "after", "again", "against", "all", "also", "am", "any", "because", "been", "before",
        "being", "below", "between", "both", "but", "can", "could", "did", "do", "does", "doing", "down", "during",
        "each", "few", "further", "had", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if",
        "into", "its", "itself", "just", "may", "me", "might", "more", "most", "must", "my", "our", "ours", "out",
        "over", "own", "same", "she", "should", "so", "some", "such", "than", "their", "theirs", "them", "then",
        "there", "these", "they", "those", "through", "too", "under", "until", "up", "very", "we", "what", "when",
        "where", "which", "while", "who", "whom", "whose", "why", "will", "would", "you", "your",
        "paper", "papers", "passage", "passages", "document", "documents", "evidence", "cited", "cite", "according",
        "state", "states", "stated", "says", "said", "notes", "noted", "note", "mentions", "mentioned", "shows",
        "show", "shown", "report", "reported",
        "per", "cent", "percent", "million", "billion", "thousand", "pounds",
    }
)
# fmt: on
"""Function words and framing ("the papers state …") that need no support; units are checked as figures."""

_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
"""Reasoning models (Qwen, DeepSeek) may prefix their answer with a thinking block."""
# Patterns here read what an LLM wrote, which can be anything: each runs in time linear in the
# text (a leading \s* that can cross lines, or a \s+ searched from every space of a long run, is
# quadratic), checked for all patterns by tests/test_pathological.py.
_LIST_PREFIX = re.compile(r"^[^\S\n]*(?:[-*•]|\d+[.)]|#+)\s+", re.MULTILINE)
_MARKER_GROUP = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_MARKER = re.compile(r"\[(\d+)\]")
_MARKER_SEPARATOR = re.compile(r"(?<!\s)\s*[,;]\s*")
# A sentence ends at . ! ? (then closing quotes and any citation markers) before white space and
# a capital, digit, currency sign or opening quote; decimals such as 23.335 have no space.
_SENTENCE_END = re.compile(r"(?<=[.!?])([\"'”’)]*(?:\s*\[\d+\])*)\s+(?=[A-Z0-9£$€\"'“‘(])")
_SPACE_BEFORE_PUNCT = re.compile(r"(?<!\s)\s+([.,;:!?])")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NUMBER = re.compile(
    r"(?<![\d.])(\d+(?:[.:/\-–]\d+)*)(?:\s*(%|(?:per\s?cent|percent|bn|billion|m|million|k|thousand)\b))?",
    re.IGNORECASE,
)
_UNITS = {"%": "%", "percent": "%", "bn": "bn", "billion": "bn", "m": "m", "million": "m", "k": "k", "thousand": "k"}
_QUOTED = re.compile(r"[“\"]([^“”\"]+)[”\"]")
_QUOTE_FOLD = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
"""Curly and straight quotes compare equal (one character for one, so offsets still match)."""
_NEGATION = re.compile(r"\b(?:not|no|never|none|nor|neither|without|cannot)\b|n['’]t\b", re.IGNORECASE)
_EDGES = re.compile(r"^[\s\"“]+|[\s\"”.!?]+$")
"""Opening quotes, closing quotes and the final stop, which a quotation may add or drop."""


@dataclass(frozen=True)
class ReplySentence:
    """One sentence of the model's reply: its text without markers, and the numbers it cites."""

    text: str
    cites: tuple[int, ...]


class LLMWriter:
    """Writes a cited summary from the evidence; falls back to the extractive answer on any doubt.

    Thread-safe: the chat client is created once, on the first ``write`` (no network before).
    """

    def __init__(self, settings: Settings) -> None:
        if not settings.llm_base_url:
            raise ValueError("LLMWriter needs settings.llm_base_url (SCRUTINEER_LLM_BASE_URL)")
        self.settings = settings
        self._model: ChatOpenAI | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMWriter | None:
        """A writer when an LLM endpoint is configured, else ``None`` (extractive answers only)."""
        return cls(settings) if settings.llm_base_url else None

    def write(
        self, question: str, evidence: Sequence[Passage], fallback: Answer, max_evidence: int = MAX_EVIDENCE
    ) -> Answer:
        """A generated answer whose every sentence is supported by the passages it cites, or
        ``fallback`` itself (the same object) when there is none. The model sees at most
        ``max_evidence`` passages (an outline's every part)."""
        if fallback.abstained:
            return fallback  # No evidence answers it: a model would only be tempted to guess.
        given = select_evidence(evidence, fallback, max_evidence)
        if not given:
            return fallback
        started = time.perf_counter()
        try:
            reply = self._ask(question, given)
        except Exception as exc:  # Optional component: any transport or protocol failure means "use the quotes".
            log.warning(
                "LLM call failed after %.0f ms (%s: %s); using the extractive answer",
                (time.perf_counter() - started) * 1000,
                type(exc).__name__,
                _snippet(str(exc)),
            )
            return fallback
        elapsed_ms = (time.perf_counter() - started) * 1000
        try:
            answer = compose(reply, given, fallback)
        except Exception:  # A bug in checking must not cost the user the answer they already have.
            log.warning("could not check the LLM reply; using the extractive answer", exc_info=True)
            return fallback
        if answer is None:
            log.info("LLM reply in %.0f ms not usable; using the extractive answer", elapsed_ms)
            return fallback
        log.info("LLM answer in %.0f ms citing %d passage(s)", elapsed_ms, len(answer.citations))
        return answer

    def _ask(self, question: str, given: Sequence[Passage]) -> str:
        messages = [SystemMessage(SYSTEM_PROMPT), HumanMessage(user_message(question, given))]
        reply = self._chat().invoke(messages)
        text = reply.text
        if not isinstance(text, str) or not text.strip():
            raise ValueError("empty reply")
        return text

    def _chat(self) -> ChatOpenAI:
        with self._lock:
            if self._model is None:
                # Imported on first use: the app starts without loading the OpenAI client stack.
                from langchain_openai import ChatOpenAI

                s = self.settings
                self._model = ChatOpenAI(
                    base_url=s.llm_base_url,
                    model=s.llm_model,
                    api_key=s.llm_api_key,
                    timeout=s.llm_timeout_s,
                    max_retries=MAX_RETRIES,
                    temperature=TEMPERATURE,
                )
            return self._model


def is_generated(answer: Answer) -> bool:
    """Whether an answer was written by the LLM (rather than quoted by ``compose_answer``)."""
    return answer.generated and answer.text.startswith(GENERATED_PREFIX)


def select_evidence(evidence: Sequence[Passage], fallback: Answer, max_evidence: int = MAX_EVIDENCE) -> list[Passage]:
    """The passages the model sees, numbered from 1: the extractive citations, then the rest."""
    chosen: dict[str, Passage] = {}
    for p in [*fallback.citations, *evidence]:
        if len(chosen) >= max_evidence:
            break
        chosen.setdefault(p.chunk_id, p)
    return list(chosen.values())


def compose(reply: str, given: Sequence[Passage], fallback: Answer) -> Answer | None:
    """The checked answer built from the model's reply, or ``None`` when nothing usable is left."""
    if says_cannot_answer(reply):
        # The extractive step found an answer (abstentions never reach the model), so trust it.
        log.info("LLM says the papers do not answer; the extractive answer does")
        return None
    kept: list[ReplySentence] = []
    for sentence in parse_reply(reply):
        reason = unsupported_reason(sentence, given)
        if reason is None:
            kept.append(sentence)
        else:
            log.info("dropped an unsupported LLM sentence (%s): %s", reason, _snippet(sentence.text))
    if not kept:
        return None

    renumber: dict[int, int] = {}  # model's number -> answer's number, in order of first use
    for sentence in kept:
        for n in sentence.cites:
            renumber.setdefault(n, len(renumber) + 1)
    parts: list[str] = []
    quotes: list[tuple[str, int]] = []
    for sentence in kept:
        markers = "".join(f"[{renumber[n]}]" for n in sentence.cites)
        whole = _first_verbatim(sentence.text, sentence.cites, given, MIN_HIGHLIGHT_WORDS)
        if whole is not None:
            parts.append(f"“{whole[0]}” {markers}")  # Verbatim: shown as a quotation, like extractive answers.
            quotes.append((whole[0], renumber[whole[1]]))
            continue
        parts.append(f"{sentence.text} {markers}")
        for segment in _QUOTED.findall(sentence.text):
            found = _first_verbatim(segment, sentence.cites, given, MIN_HIGHLIGHT_WORDS)
            if found is not None:
                quotes.append((found[0], renumber[found[1]]))
    return dataclasses.replace(
        fallback,
        text=GENERATED_PREFIX + " ".join(parts),
        abstained=False,
        citations=[given[n - 1] for n in renumber],
        quotes=quotes,
        generated=True,
    )


def says_cannot_answer(reply: str) -> bool:
    """Whether the reply contains the fixed "do not answer" sentence."""
    return _fold(CANNOT_ANSWER).rstrip(".") in _fold(_THINK.sub("", reply))


def parse_reply(reply: str) -> list[ReplySentence]:
    """The reply's sentences with their citation numbers; markdown and thinking removed."""
    text = _THINK.sub("", reply).replace("**", "").replace("__", "")
    text = _LIST_PREFIX.sub("", text)
    # [1, 2] and [1; 2] become [1][2], so one pattern finds every citation.
    text = _MARKER_GROUP.sub(lambda m: "".join(f"[{n}]" for n in _MARKER_SEPARATOR.split(m.group(1))), text)
    sentences: list[ReplySentence] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        start = 0
        for m in _SENTENCE_END.finditer(line):
            sentences.append(_sentence(line[start : m.end(1)]))
            start = m.end()
        sentences.append(_sentence(line[start:]))
    return [s for s in sentences if s.text or s.cites]


def unsupported_reason(sentence: ReplySentence, given: Sequence[Passage]) -> str | None:
    """Why the cited passages do not support the sentence, or ``None`` when they do.

    Rules: it cites at least one passage (only the fixed "do not answer" sentence needs none),
    and only passages given; every figure (number, money,
    percentage, year, date part) occurs in a cited passage, with the same unit when both state
    one; every quotation is verbatim in a cited passage; a negation needs a cited passage that
    negates; at least ``MIN_CONTENT_SUPPORT`` of its content words occur in the cited passages.
    """
    if not sentence.cites:
        return None if _fold(sentence.text) == _fold(CANNOT_ANSWER) else "no citation"
    unknown = [n for n in sentence.cites if not 1 <= n <= len(given)]
    if unknown:
        return f"cites passages not given: {unknown}"
    cited = [given[n - 1] for n in sentence.cites]
    # The model saw each passage's locator and page too, so those may be cited from.
    haystack = " ".join(f"{p.locator} {page_label(p)} {p.text}" for p in cited)

    available = figures(haystack)
    missing = [
        value + unit
        for value, unit in figures(sentence.text)
        if not any(v == value and (not unit or u in (unit, "")) for v, u in available)
    ]
    if missing:
        return f"figures not in the cited passages: {sorted(missing)}"
    for segment in _QUOTED.findall(sentence.text):
        if not any(verbatim_in(segment, p, 1) for p in cited):
            return f"quotation not verbatim: {_snippet(segment)}"
    if _NEGATION.search(sentence.text) and not _NEGATION.search(haystack):
        return "negation not in the cited passages"
    content = content_words(sentence.text)
    if not content:
        return None if figures(sentence.text) else "no content"
    stems = {w[:STEM_CHARS] for w in words(haystack)}
    share = sum(w[:STEM_CHARS] in stems for w in content) / len(content)
    if share < MIN_CONTENT_SUPPORT:
        return f"only {share:.0%} of its content words are in the cited passages"
    return None


def figures(text: str) -> set[tuple[str, str]]:
    """Numbers with their unit, normalised: ``£1,200m`` → ("1200", "m"), ``12 per cent`` →
    ("12", "%"), ``2024-25`` → ("2024/25", "")."""
    found: set[tuple[str, str]] = set()
    for m in _NUMBER.finditer(_THOUSANDS.sub("", text)):
        value = re.sub(r"[-–]", "/", m.group(1))
        unit = _UNITS.get(re.sub(r"\s+", "", (m.group(2) or "").lower()), "")
        found.add((value, unit))
    return found


def content_words(text: str) -> set[str]:
    """Words that carry meaning: no stop words, no framing, no figures (checked separately)."""
    return {w for w in words(text) if w not in EXTRA_STOP_WORDS and not any(c.isdigit() for c in w)}


def verbatim_in(text: str, passage: Passage, min_words: int = 1) -> str | None:
    """The passage's own wording of ``text`` when ``text`` (quotes and final stop aside) occurs
    in it verbatim, white space and quote style ignored; else ``None``."""
    flat = " ".join(passage.text.split())
    folded = flat.translate(_QUOTE_FOLD)
    core = _EDGES.sub("", " ".join(text.split()))
    if len(core.split()) < min_words:
        return None
    for candidate in (core + ".", core):  # Prefer the passage's sentence with its full stop.
        i = folded.find(candidate.translate(_QUOTE_FOLD))
        if i >= 0:
            return flat[i : i + len(candidate)]
    return None


def _first_verbatim(
    text: str, cites: Sequence[int], given: Sequence[Passage], min_words: int
) -> tuple[str, int] | None:
    """The passage wording and model number of the first cited passage quoting ``text`` verbatim."""
    for n in cites:
        quoted = verbatim_in(text, given[n - 1], min_words)
        if quoted:
            return quoted, n
    return None


def _sentence(raw: str) -> ReplySentence:
    cites = tuple(dict.fromkeys(int(n) for n in _MARKER.findall(raw)))
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(_MARKER.sub(" ", raw).split()))
    return ReplySentence(text, cites)


def _fold(text: str) -> str:
    return " ".join(text.translate(_QUOTE_FOLD).casefold().split())


def _snippet(text: str) -> str:
    return text if len(text) <= LOG_SNIPPET_CHARS else text[:LOG_SNIPPET_CHARS] + "…"
