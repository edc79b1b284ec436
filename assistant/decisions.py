"""Questions about what was resolved, decided or agreed go to the resolutions first, and are
answered with the resolutions' own words and their minute number."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from assistant.answer import PREFIX_MIN, Answer, abstain, gives_figure, lexical_share, stem, word_set
from assistant.query import GENERIC_TERMS, analyse
from assistant.retrieval import Passage, Retrieval
from ingest.dates import find_dates, human_date
from ingest.store import Index
from ingest.text import split_sentences

_DECISION_QUESTION = re.compile(r"\b(resolv\w*|decid\w*|decision\w*|agree[sd]?|approved?)\b", re.I)
_COMMITTEE_RECOMMEND = re.compile(r"\b(committee|panel|cabinet|council|we|meeting|members)\b[^?]*\brecommend", re.I)
DECISION_POOL = 8
W_TITLE = 0.3
"""Weight of the question's words found in a resolution's minute title and text, beside similarity."""
MIN_DECISION_SCORE = 0.3
"""A decision this far from the question (cosine) is not taken as what the question asks about."""
SUBJECT_POOL = 4
"""Top passages whose minute items' decisions are considered beside the nearest decisions."""
SUBJECT_SHARE = 0.5
"""Share of the question's subject words a minute item must hold to answer a decision question."""
DECISION_WORDS = frozenset(
    {
        "resolve",
        "resolved",
        "resolution",
        "resolutions",
        "decide",
        "decided",
        "decision",
        "decisions",
        "agree",
        "agreed",
        "approve",
        "approved",
        "committee",
        "panel",
        "meeting",
        "meetings",
        "minutes",
        "members",
        "councillors",
        "council",
        "recorded",
        "record",
    }
)
"""Words about deciding, not about what was decided."""


_PROPOSAL_QUESTION = re.compile(
    r"\b(asked to|being asked|is asked|are asked|recommended to note|what does the report recommend|"
    r"(?:recommended|recommendations?) (?:to|for) the (?:committee|panel|cabinet|council|board))\b",
    re.I,
)


_BODY = re.compile(
    r"\b(Cabinet|Council|Panel|Board|Committee|Commission|Sub-Committee|Committees in Common|"
    r"Shareholder Panel|Assembly)\b"
)


def _names_another_body(question: str, committee: str) -> bool:
    """The question is about what another body decided (Cabinet, full Council…), not this meeting."""
    named = {m.group(1).lower() for m in _BODY.finditer(question)}
    return bool(named) and not any(n in committee.lower() for n in named)


def is_decision_question(question: str) -> bool:
    return bool(_DECISION_QUESTION.search(question) or _COMMITTEE_RECOMMEND.search(question))


def is_proposal_question(question: str) -> bool:
    """What a report asks a meeting to do (a proposal, not a decision)."""
    return bool(_PROPOSAL_QUESTION.search(question))


def answer_decision(
    index: Index,
    question: str,
    query_vector: np.ndarray,
    retrieval: Retrieval,
    filters: dict[str, Any] | None = None,
    kind: str = "decision",
    rarity: dict[str, float] | None = None,
) -> Answer | None:
    """Quote every decision (or, with ``kind="proposal"``, every recommendation put to the meeting)
    of the minute item or report section whose records best match the question. ``rarity``
    weighs the question's words (inverse document frequency) when checking what an item is about."""
    where: dict[str, Any] = {"$and": [{"record_type": "resolution"}, {"kind": kind}]}
    if filters and filters.get("doc_id"):
        where["$and"].append({"doc_id": filters["doc_id"]})
    if filters and filters.get("meeting_dates"):
        where["$and"].append({"meeting_date": {"$in": list(filters["meeting_dates"])}})
    hits = index.query("records", query_vector, DECISION_POOL, where)
    # Decisions of the minute items the passage search ranks first, even when the decision's own
    # words are far from the question's ("It was agreed to object…" under an item about bungalows).
    sections = list(dict.fromkeys(p.section_id for p in retrieval.passages[:SUBJECT_POOL]))
    if sections:
        seen = {row.id for row, _ in hits}
        in_sections = {"$and": [*where["$and"], {"section_id": {"$in": sections}}]}
        hits += [h for h in index.query("records", query_vector, DECISION_POOL, in_sections) if h[0].id not in seen]
        hits.sort(key=lambda h: -h[1])
    if not hits:
        return None
    if kind == "proposal" and hits[0][1] < MIN_DECISION_SCORE:
        return None
    # Re-rank by the question's words in the minute item's title and the resolution itself.
    terms = sorted(word_set(question))
    weights = dict.fromkeys(terms, 1.0)
    hits.sort(key=lambda h: -(h[1] + W_TITLE * lexical_share(terms, weights, _context(h[0]))))
    texts: dict[str, str] = {}
    about = [h for h in hits if kind == "proposal" or _is_about(index, question, h[0], texts, rarity or {})]
    if not about:
        # The nearest decisions are about something else: the minutes record none on this subject.
        return abstain(question, retrieval, "the minutes in the papers record no decision about that")
    hits = about
    best = hits[0][0]
    if _names_another_body(question, best.metadata.get("committee") or ""):
        return None
    if kind == "decision" and analyse(question).wants_number:
        figures = _figure_answer(index, question, hits, retrieval, rarity or {})
        if figures is not None:
            return figures
    section_id = best.metadata["section_id"]
    same_item = sorted(
        index.records("resolution", {"section_id": section_id}),
        key=lambda r: (r.metadata.get("page", 0), r.id),
    )
    chunks = index.get("chunks", where={"section_id": section_id})
    if not chunks:
        return None
    citations: list[Passage] = []
    numbers: dict[str, int] = {}
    quotes: list[tuple[str, int]] = []
    parts: list[str] = []
    for res in same_item:
        chunk = _chunk_holding(chunks, res.text)
        if chunk.id not in numbers:
            citations.append(Passage.from_row(chunk, hits[0][1]))
            numbers[chunk.id] = len(citations)
        n = numbers[chunk.id]
        parts.append(f"“{res.text}” [{n}]")
        quotes.append((res.text, n))
    meta = best.metadata
    body = meta.get("committee") or "The meeting"
    item = meta.get("minute_item")
    if kind == "proposal":
        intro = f"The report asks the {body} ({human_date(meta.get('meeting_date'))}):"
    else:
        intro = f"{body}, {human_date(meta.get('meeting_date'))}" + (f", minute {item}" if item else "") + ", recorded:"
        confirmation = _later_confirmation(index, meta.get("meeting_date"), meta.get("committee"))
        if confirmation is not None:
            row, chunk = confirmation
            if chunk.id not in {c.chunk_id for c in citations}:
                citations.append(Passage.from_row(chunk, hits[0][1]))
            n = next(i for i, c in enumerate(citations, start=1) if c.chunk_id == chunk.id)
            later_date, later_item = human_date(row.metadata.get("meeting_date")), row.metadata.get("minute_item")
            parts.append(f"Later, at its meeting of {later_date} (minute {later_item}): “{row.text}” [{n}]")
            quotes.append((row.text, n))
    return Answer(question, f"{intro} " + " ".join(parts), False, citations, retrieval.passages, quotes=quotes)


FIGURE_DECISIONS = 3
"""Most decisions quoted for "how much did they agree to pay…": those giving a figure about the subject."""


def _figure_answer(
    index: Index, question: str, hits: list, retrieval: Retrieval, rarity: dict[str, float]
) -> Answer | None:
    """For a question asking the figure of a decision, only the decisions that give a figure and
    share the question's rarer subject words — across minute items, since one minute may agree
    to renew a membership at a cost and a later one agree the payment — not every payment of a list."""
    subject = sorted(word_set(question) - DECISION_WORDS - GENERIC_TERMS)
    top = max(rarity.values(), default=1.0)
    weights = {t: rarity.get(t, top) for t in subject}
    shares: dict[str, float] = {}
    holding: dict[str, Any] = {}
    sections: dict[str, list] = {}  # several decisions of one minute item share its chunks: read them once
    for row, _ in hits:
        if not gives_figure(row.text, question):
            continue
        section_id = row.metadata["section_id"]
        if section_id not in sections:
            sections[section_id] = index.get("chunks", where={"section_id": section_id})
        chunks = sections[section_id]
        if not chunks:
            continue
        holding[row.id] = _chunk_holding(chunks, row.text)
        # The line before a decision often says what it is about ("ix) One Voice Wales, renewal of
        # membership." before "… agreed to renew membership at a cost of £236.00.").
        text = _sentence_before(holding[row.id].text, row.text) + " " + row.text
        shares[row.id] = lexical_share(subject, weights, text)
    if not shares:
        return None
    floor = max(FIGURE_SUBJECT_SHARE, FIGURE_SHARE_RATIO * max(shares.values()))
    chosen: list[tuple[Any, float]] = []
    for row, score in hits:
        if shares.get(row.id, 0.0) >= floor and all(row.text != r.text for r, _ in chosen):
            chosen.append((row, score))
    if not chosen:
        return None
    chosen = sorted(
        chosen[:FIGURE_DECISIONS],
        key=lambda h: (h[0].metadata.get("meeting_date") or "", h[0].metadata.get("page", 0), h[0].id),
    )
    citations: list[Passage] = []
    parts: list[str] = []
    quotes: list[tuple[str, int]] = []
    last_place = None
    for row, score in chosen:
        chunk = holding[row.id]
        if chunk.id not in {c.chunk_id for c in citations}:
            citations.append(Passage.from_row(chunk, score))
        n = next(i for i, c in enumerate(citations, start=1) if c.chunk_id == chunk.id)
        meta = row.metadata
        item = meta.get("minute_item")
        place = f"{meta.get('committee') or 'The meeting'}, {human_date(meta.get('meeting_date'))}" + (
            f", minute {item}" if item else ""
        )
        if place != last_place:
            parts.append(f"{place}, recorded:")
            last_place = place
        parts.append(f"“{row.text}” [{n}]")
        quotes.append((row.text, n))
    if not quotes:
        return None
    return Answer(question, " ".join(parts), False, citations, retrieval.passages, quotes=quotes)


_ENUMERATOR = re.compile(r"(?:^|\s)\(?(?:[ivx]{1,5}|[a-z]|\d{1,2})\)\s")


def _sentence_before(passage: str, text: str) -> str:
    """The sentence of ``passage`` just before the one where ``text`` starts, within the same
    entry of a list ("" for an entry of its own, "iv) One Voice Wales Membership … 236.00")."""
    if _ENUMERATOR.match(text):
        return ""
    flat = " ".join(passage.split())
    at = flat.find(" ".join(text.split()[:8]))
    if at <= 0:
        return ""
    entry = _ENUMERATOR.split(flat[:at])[-1]
    spans = split_sentences(entry)
    return entry[spans[-1][0] : spans[-1][1]] if spans else ""


FIGURE_SUBJECT_SHARE = 0.25
"""Share of the question's subject words (weighted by rarity) a decision giving a figure must hold."""
FIGURE_SHARE_RATIO = 0.6
"""…and at least this share of the best such decision's ("Wales Air Ambulance" is not "One Voice Wales")."""


_CONFIRMED = re.compile(r"confirmed as (?:a )?correct|correct record|agreed as (?:a )?correct", re.I)


def _later_confirmation(index: Index, meeting_date: str | None, committee: str | None):
    """The later minute that confirmed this meeting's minutes, when it did so with changes
    ("confirmed as correct subject to changes"), with the chunk that holds it."""
    if not meeting_date:
        return None
    for row in index.records("resolution", {"kind": "decision"}):
        meta = row.metadata
        if (meta.get("meeting_date") or "") <= meeting_date or (committee and meta.get("committee") != committee):
            continue
        if not _CONFIRMED.search(row.text) or not re.search(r"subject to|amend|changes?", row.text, re.I):
            continue
        if meeting_date not in {d.iso for d in find_dates(row.text)}:
            continue
        chunks = index.get("chunks", where={"section_id": meta["section_id"]})
        if chunks:
            return row, _chunk_holding(chunks, row.text)
    return None


def _is_about(index: Index, question: str, row, texts: dict[str, str], rarity: dict[str, float]) -> bool:
    """Most of the weight of the question's subject words (not the names of the council, committee or meeting,
    nor words about deciding) appear in the resolution's minute item. ``texts`` caches each
    item's text by section id."""
    meta = row.metadata
    named = word_set(" ".join(str(meta.get(k) or "") for k in ("doc_title", "organisation", "committee")))
    named_stems = {stem(w) for w in named}
    subject = sorted(
        t
        for t in word_set(question) - named - DECISION_WORDS - GENERIC_TERMS
        # "commissioners" names the Planning Commission's members, not what was decided.
        if not any(stem(t).startswith(n) for n in named_stems if len(n) >= PREFIX_MIN)
    )
    if not subject:
        return True
    section_id = meta["section_id"]
    if section_id not in texts:
        texts[section_id] = " ".join(c.text for c in index.get("chunks", where={"section_id": section_id}))
    text = _context(row) + " " + texts[section_id]
    # A word the papers never use weighs as much as the rarest they do.
    top = max(rarity.values(), default=1.0)
    weights = {t: rarity.get(t, top) for t in subject}
    return lexical_share(subject, weights, text) >= SUBJECT_SHARE


def _context(row) -> str:
    """What a resolution is about: its document's full title, its minute item and its words."""
    meta = row.metadata
    return f"{meta.get('doc_title', '')} {meta.get('locator', '')} {row.text}"


def _chunk_holding(chunks: list, text: str):
    """The chunk whose text holds most of the resolution's words (resolutions may span chunks)."""
    head = " ".join(text.split()[:12])
    for row in sorted(chunks, key=lambda r: r.metadata.get("ordinal", 0)):
        if head in " ".join(row.text.split()):
            return row
    words = set(text.lower().split())
    return max(chunks, key=lambda r: len(words & set(r.text.lower().split())))
