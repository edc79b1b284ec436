"""Question → what it asks: its matching terms, the kinds of thing an answer holds (a person, a
figure, a date, a decision …), the years and dates it names, and how a follow-up reads with the
conversation. Pure functions of text; the answer scorer weighs all of it as soft features.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.errors import QuestionRefused
from ingest.dates import MONTHS, find_dates
from ingest.lexical import terms

ASK_CUES: dict[str, tuple[str, ...]] = {
    "person": (
        "who", "whom", "whose", "which councillor", "which member", "which officer", "which firm",
        "which company", "which organisation", "which organization", "which contractor", "name of",
        "which commissioner", "which trustee", "which person",
    ),
    "number": (
        "how many", "how much", "what number", "what percentage", "what proportion", "what share",
        "how long", "what amount", "what total", "what figure", "what rate", "what cost", "how big",
        "what level", "what size", "what value", "what is the budget", "what was the budget",
    ),
    "money": ("how much", "cost", "costs", "budget", "spend", "spent", "paid", "pay", "fund", "funding", "grant",
              "price", "fee", "fees", "precept", "dollars", "pounds", "money", "contract", "amount"),
    "date": ("when", "what date", "which date", "what day", "what time", "by when", "what year", "how soon",
             "next meeting", "deadline"),
    "place": ("where", "what venue", "which venue", "what location", "what address", "which building"),
    "decision": ("decide", "decided", "decision", "resolve", "resolved", "resolution", "agree", "agreed",
                 "approve", "approved", "vote", "voted", "motion", "adopt", "adopted", "carried", "moved",
                 "seconded", "recommend", "recommended", "recommendation"),
    "define": ("stand for", "stands for", "short for", "mean", "means", "meaning", "acronym", "abbreviation"),
    "list": ("list", "what are the", "what were the", "which are", "name the", "what items", "which items"),
    "reason": ("why", "reason", "reasons"),
    "summary": ("summarise", "summarize", "summarised", "summarized", "summarising", "summarizing", "sum up",
                "a summary", "the summary of", "summary of", "an outline", "outline of", "an overview",
                "overview of", "what is in", "what's in", "whats in", "what is covered in", "main points",
                "key points", "gist", "give me a summary", "give me an outline", "give me an overview",
                "tell me what is in", "tell me about the contents of", "summarise this document",
                "summarise this paper", "what is in this document"),
    "latest": ("latest", "most recent", "current position", "currently", "so far", "still", "timeline", "over time",
               "update on", "now stand", "changed since", "where are we"),
}  # fmt: skip
"""Words and phrases by which questions in English ask for a kind of answer. The scorer learns how
much each kind matters; a cue only says the question may want it."""
ROUTED_KINDS = ("summary", "latest")
"""Kinds of ask answered another way than by the scorer alone: a summary by the document's outline; the
latest position by ordering the scorer's answer newest meeting first."""
ASK_KINDS = tuple(k for k in ASK_CUES if k not in ROUTED_KINDS)
"""The kinds the scorer weighs, one feature each."""
LATEST_WORDS = tuple(c for c in ASK_CUES["latest"] if " " not in c)
"""The one-word "latest" cues name no subject: left out of a question's terms ("the latest on devolution"
is about devolution), where "changed since" or "update on" keep their words."""
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
"""Lower-case words of a question, for matching the cue phrases above."""
_ACRONYM_MIN = 2
FOLLOW_UP_MAX_TERMS = 2
"""A question with this few subject terms of its own leans on the conversation ("And who seconded it?")."""
FOLLOW_UP_OPENERS = ("and", "what about", "how about", "also", "then", "so")
"""How a question that continues the conversation opens."""
REFERRING_WORDS = frozenset(
    "it its they their them this these those such he she his her there that which".split()  # noqa: SIM905
)
"""Words that stand for something named before: in a question, the conversation's last subject;
opening a sentence of the papers, what the sentence before it names."""


def check_question(text: str, max_chars: int) -> str:
    """``text`` stripped, or QuestionRefused. Checked before any work, so a huge question costs nothing."""
    stripped = (text or "").strip()
    if not stripped:
        raise QuestionRefused("The question is empty: type a question about the papers.")
    if len(stripped) > max_chars:
        raise QuestionRefused(
            f"The question is {len(stripped):,} characters long; the most is {max_chars:,}."
            " Ask it in fewer words, one question at a time."
        )
    return stripped


@dataclass
class Question:
    """A question as the scorer reads it."""

    text: str
    """What the user typed (white space folded)."""
    terms: list[str]
    """Its matching terms (stemmed, stop and question words out), in order, unique."""
    asks: frozenset[str]
    """Kinds of answer the question's wording asks for (keys of :data:`ASK_CUES`)."""
    years: list[str] = field(default_factory=list)
    """Years it names, each as the papers write a year or a financial year ("2025", "2025/26")."""
    dates: list[str] = field(default_factory=list)
    """ISO dates it names in full."""
    months: list[int] = field(default_factory=list)
    """Months it names (1–12), with or without a day."""
    acronyms: list[str] = field(default_factory=list)
    """Words of two or more capitals ("MTFS", "LGA")."""
    context_terms: list[str] = field(default_factory=list)
    """For a follow-up, the previous question's terms: what "it" stands for."""


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _has_phrase(words: list[str], phrase: str) -> bool:
    want = phrase.split()
    return any(words[i : i + len(want)] == want for i in range(len(words) - len(want) + 1))


def asked_kinds(text: str) -> frozenset[str]:
    words = _words(text)
    return frozenset(kind for kind, cues in ASK_CUES.items() if any(_has_phrase(words, c) for c in cues))


def year_terms(text: str) -> list[str]:
    """Years and financial years in ``text``, spelt one way: "2025-26", "2025–26", "2025/2026" → "2025/26"."""
    out = []
    for t in terms(text):
        financial = len(t) == 7 and t[4] == "/" and t[:4].isdigit() and t[5:].isdigit()
        if financial or (len(t) == 4 and t.isdigit() and t[:2] in ("19", "20")):
            out.append(t)
    return list(dict.fromkeys(out))


def read_question(text: str, previous: Question | None = None) -> Question:
    """Read a question; with ``previous`` (the conversation's last question), an elliptical
    follow-up keeps the previous question's terms as its context."""
    text = " ".join(text.split())
    words = _words(text)
    own = list(dict.fromkeys(t for t in terms(text) if t not in _ASK_WORDS))
    context: list[str] = []
    if previous is not None and is_follow_up(text, own):
        context = [t for t in [*previous.terms, *previous.context_terms] if t not in own]
    months = [MONTHS[w] for w in words if (w in MONTHS and len(w) > 3) or (w == "may" and _has_phrase(words, "in may"))]
    return Question(
        text=text,
        terms=own,
        asks=asked_kinds(text),
        years=year_terms(text),
        dates=[d.iso for d in find_dates(text)],
        months=list(dict.fromkeys(months)),
        acronyms=[a for w in text.split() if _is_acronym(a := w.strip("?.,;:!()'’\""))],
        context_terms=list(dict.fromkeys(context)),
    )


def _is_acronym(word: str) -> bool:
    letters = word[:-1] if word.endswith("s") else word
    return len(letters) >= _ACRONYM_MIN and letters.isalnum() and sum(c.isupper() for c in letters) >= _ACRONYM_MIN


def is_follow_up(text: str, own_terms: list[str]) -> bool:
    """Whether a question leans on the one before: it opens like a continuation ("And …", "What
    about …") or names almost nothing of its own and refers back ("Who seconded it?")."""
    words = _words(text)
    opens = any(words[: len(o.split())] == o.split() for o in FOLLOW_UP_OPENERS)
    refers = any(w in REFERRING_WORDS for w in words)
    subject = [t for t in own_terms if not t[:1].isdigit()]
    return (opens and len(subject) <= 2 * FOLLOW_UP_MAX_TERMS) or (refers and len(subject) <= FOLLOW_UP_MAX_TERMS)


_ASK_WORDS = frozenset(
    t for cues in (ASK_CUES["define"], ASK_CUES["list"], LATEST_WORDS, ("tell", "please", "say", "papers"))
    for c in cues for t in terms(c)
)  # fmt: skip
"""Terms that only say what kind of answer is wanted, never what it is about."""
