"""List questions ("What recommendations did the peer team make?") are answered with the list
itself: the run of short items in a passage whose heading or lead-in matches the question,
quoted item by item with citations."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer import Answer, lexical_share, word_set
from assistant.retrieval import Passage, Retrieval
from ingest.store import Index
from ingest.text import split_sentences

POOL_PASSAGES = 10
"""Retrieved passages whose sections are searched for a list."""
MIN_ITEMS = 3
MAX_ITEMS = 12
ITEM_MAX_WORDS = 30
BULLET_SHARE_NUM, BULLET_SHARE_DEN = 4, 5
"""Without a lead-in ending in a colon, at least 4/5 of the items must read as bullets (no full stop)."""
MIN_NOUN_CHARS = 3
NOT_LIST_NOUNS = frozenset({"does", "was", "is", "has", "its", "this", "us", "plus", "status", "always", "services"})
"""Words ending in s that are not the plural noun a list question asks for."""
MIN_MATCH = 0.3
RANK_WEIGHT = 0.2
LEAD_IN_BONUS = 0.2
"""A list announced by a lead-in ending in a colon ("These are:") is more surely the list asked for."""
"""Share of the question's (weighted) words the list's heading, lead-in and first items must hold."""


@dataclass
class _Run:
    intro: str
    """The paragraph that leads into the list ("These are:"), quoted when it ends with a colon."""
    context: str
    """Heading and lead-in, matched against the question."""
    items: list[tuple[str, Passage]]
    score: float
    intro_passage: Passage | None = None
    """The passage holding the lead-in, cited when it is quoted."""


def list_noun(question: str) -> str | None:
    """The plural noun the question asks to list ("recommendations", "themes", "subgroups")."""
    for word in re.findall(r"[A-Za-z'’-]+", question)[1:]:
        w = word.lower()
        if word[0].isupper() or "'" in w or "’" in w:
            continue  # names and possessives ("the council's") are not what is listed
        if len(w) > MIN_NOUN_CHARS and w.endswith("s") and not w.endswith("ss") and w not in NOT_LIST_NOUNS:
            return w
    return None


def answer_list(index: Index, question: str, retrieval: Retrieval) -> Answer | None:
    terms = sorted(word_set(question))
    noun = list_noun(question)
    if not terms or noun is None:
        return None
    stem = noun[:-1]
    runs: list[tuple[_Run, int]] = []
    seen_sections: set[str] = set()
    for rank, passage in enumerate(retrieval.passages[:POOL_PASSAGES]):
        if passage.section_id in seen_sections:
            continue
        seen_sections.add(passage.section_id)
        for run in _runs(index, passage):
            runs.append((run, rank))
    # A list is often a section of its own ("slide 20: Recommendations"), in a paper the search
    # found but at a passage about something else: look at the sections of those papers so named.
    docs = list(dict.fromkeys(p.doc_id for p in retrieval.passages[:POOL_PASSAGES]))
    if docs:
        for row in index.get("chunks", where={"doc_id": {"$in": docs}}):
            section = row.metadata["section_id"]
            if section not in seen_sections and stem in _heading(row.metadata.get("locator", "")).lower():
                seen_sections.add(section)
                runs.extend((run, POOL_PASSAGES) for run in _runs(index, Passage.from_row(row, 0.0)))
    if not runs:
        return None
    texts = [r.context + " " + " ".join(t for t, _ in r.items[:3]) for r, _ in runs]
    # Equal weights: with a handful of runs, frequencies among them say nothing about rarity.
    weights = dict.fromkeys(terms, 1.0)
    best = None
    for (run, rank), text in zip(runs, texts, strict=True):
        if stem not in text.lower():
            continue  # a list of something else (the peer team's members, not its recommendations)
        match = lexical_share(terms, weights, text)
        run.score = match + RANK_WEIGHT / (1 + rank) + (LEAD_IN_BONUS if run.intro.endswith(":") else 0.0)
        if match >= MIN_MATCH and (best is None or run.score > best.score):
            best = run
    if best is None:
        return None
    citations: list[Passage] = []
    lines: list[str] = []
    quotes: list[tuple[str, int]] = []

    def cite(passage: Passage) -> int:
        if passage.chunk_id not in {c.chunk_id for c in citations}:
            citations.append(passage)
        return next(i for i, c in enumerate(citations, start=1) if c.chunk_id == passage.chunk_id)

    lead_in = best.intro if best.intro.rstrip().endswith(":") else ""
    if best.intro and not lead_in:
        # "The group has established five thematic subgroups." announces the list: quote it too.
        spans = split_sentences(best.intro)
        last = best.intro[spans[-1][0] : spans[-1][1]] if spans else ""
        lead_in = last if stem in last.lower() else ""
    if lead_in and best.intro_passage is not None:
        n = cite(best.intro_passage)
        lines.append(f"“{lead_in}” [{n}]")
        quotes.append((lead_in, n))
    for text, passage in best.items[:MAX_ITEMS]:
        n = cite(passage)
        lines.append(f"• “{text}” [{n}]")
        quotes.append((text, n))
    return Answer(question, "\n".join(lines), False, citations, retrieval.passages, quotes=quotes)


def _heading(locator: str) -> str:
    """The section's own heading in a locator ("… — slide 20: Recommendations" → "slide 20: Recommendations")."""
    return locator.rpartition(" — ")[2]


def _runs(index: Index, passage: Passage) -> list[_Run]:
    """Runs of at least MIN_ITEMS short paragraphs in the passage's section, with their lead-in."""
    rows = sorted(
        index.get("chunks", where={"section_id": passage.section_id}), key=lambda r: int(r.metadata.get("ordinal", 0))
    )
    paragraphs: list[tuple[str, Passage]] = []
    previous = ""
    for row in rows:
        p = Passage.from_row(row, passage.score)
        fresh = row.text[overlap_length(previous, row.text) :]
        if paragraphs and fresh and not fresh.startswith("\n") and not previous.endswith("\n"):
            # The chunk starts inside the paragraph the previous chunk ended with: finish that one.
            head, _, fresh = fresh.partition("\n")
            text, owner = paragraphs[-1]
            paragraphs[-1] = (" ".join((text + " " + head).split()), owner)
        previous = row.text
        for para in fresh.split("\n"):
            para = " ".join(para.split())
            if para:
                paragraphs.append((para, p))
    runs: list[_Run] = []
    i = 1  # the section's first paragraph is its heading, not an item
    while i < len(paragraphs):
        j = i
        # Bullets (no full stop) end where sentences start again: "These subgroups meet monthly."
        bullets = not paragraphs[i][0].rstrip().endswith(".")
        while j < len(paragraphs) and _is_item(paragraphs[j][0]):
            if bullets and paragraphs[j][0].rstrip().endswith(".") and j - i >= MIN_ITEMS:
                break
            j += 1
        items = paragraphs[i:j]
        intro = paragraphs[i - 1][0] if i > 0 else ""
        bullet_like = (
            sum(not t.rstrip().endswith(".") for t, _ in items) * BULLET_SHARE_DEN >= len(items) * BULLET_SHARE_NUM
        )
        if len(items) >= MIN_ITEMS and (intro.endswith(":") or bullet_like):
            owner = paragraphs[i - 1][1] if i > 0 else None
            runs.append(_Run(intro, f"{passage.locator} {intro}", items, 0.0, owner))
            i = j
        else:
            i += 1
    return runs


def overlap_length(previous: str, text: str) -> int:
    """Characters at the start of ``text`` that repeat the end of ``previous`` (chunks of a
    split section overlap by a few words)."""
    for k in range(min(len(previous), len(text)), 0, -1):
        if not previous.endswith(text[:k]):
            continue
        # Whole words only: the overlap starts a word in ``previous`` and ends one in ``text``.
        starts_word = k == len(previous) or not previous[-k - 1].isalnum() or not text[0].isalnum()
        ends_word = k == len(text) or not text[k - 1].isalnum() or not text[k].isalnum()
        if starts_word and ends_word:
            return k
    return 0


def _is_item(paragraph: str) -> bool:
    words = paragraph.split()
    return 1 <= len(words) <= ITEM_MAX_WORDS and not paragraph.endswith(":")
