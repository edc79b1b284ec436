"""A question that asks for the gist of one document ("Summarise the improvement plan", "what's in
the minutes of 13 March?") → a cited outline built from the document's own structure: its
top-level parts in reading order (minute items, report sections, plan areas with their actions,
slides), each named by its own heading and shown by one quoted key sentence with its citation.

Which document: the one whose title, type and meeting date hold the question's subject terms
(weighed by rarity, as the answer scorer weighs them); none holding enough of them, and the
question goes the usual way. The key sentence of a part is the one nearest the centre of the
part's sentences (their stored vectors), headings and running heads aside. Nothing here names a
council or a kind of paper: the parts are the sections the index holds, grouped by their numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant import detectors
from assistant.answer import Answer
from assistant.features import missing_rare
from assistant.question import ASK_CUES, Question
from assistant.retrieval import Passage, passes
from assistant.snapshot import IndexSnapshot, StoredSentence
from ingest.dates import human_date
from ingest.lexical import terms
from ingest.text import words

SUMMARY_WORDS = frozenset(t for cue in ASK_CUES["summary"] for t in terms(cue))
"""Terms that only ask for a summary ("summarise", "outline"), never say of what."""
LOCATOR_SEPARATOR = " — "
"""Between a document's label and a section's in every locator ("Minutes, 24 January 2024 — item 34 …")."""
NUMBER_LEVELS = (",", ".")
"""What separates a part's number from its sub-parts' ("Area 4, action 1.8", "5.3"): sections whose
numbers share what comes before the first of them are one part of the document."""
MIN_KEY_WORDS = 6
"""A sentence of fewer words ("By when: Monthly", "Apologies for Absence") is a label, not a key sentence."""
MAX_UPPER_SHARE = 0.5
"""A sentence mostly in capitals is a title or running head."""
MAX_KEY_WORDS = 60
"""A longer sentence (a slide's bullets run together, a table read as one line) is quoted only when
its part has no shorter one."""
MAX_NEW_SHARE = 0.25
"""A key sentence with no more than this share of words its part's label lacks only repeats the label."""
MAX_HEADING_SHARE = 0.6
"""A sentence whose terms are this much its part's heading restates the heading."""
OUTLINE_INTRO = "An outline of {title} in its own words (quotes, not a summary):"
MORE_PARTS = "({n} more {parts} of the document not shown.)"
LABEL_END = " .:;,"
"""Trailing punctuation taken off a part's label before its quote."""


@dataclass(frozen=True)
class DocumentMatch:
    """A document a summary question may mean, and how well its name fits the question."""

    doc_id: str
    title: str
    share: float
    """Share of the question's subject terms (by rarity) that the document's title, type or date holds."""
    precision: float
    """Share of the title's terms (by rarity) that the question names: of two titles holding the
    question's words, the one with fewer others is the one meant."""
    meeting_date: str
    """The meeting it belongs to (ISO, or empty): of two documents fitting equally, the later one."""


@dataclass
class OutlineLine:
    """One part of the document: its heading and its key sentence, quoted."""

    label: str
    """The part's name as its heading gives it ("Area 1: Timeliness of strategy meetings", "item 38 …")."""
    sentence: StoredSentence
    passage: Passage
    """The passage holding the key sentence: what the line cites."""
    part: list[Passage]
    """The passages of the part."""


@dataclass
class Outline:
    """The outline of one document: its parts in reading order, at most a setting's number of them."""

    match: DocumentMatch
    lines: list[OutlineLine]
    more: int
    """Top-level parts left out (the smallest ones) to keep the outline short."""
    passages: list[Passage]
    """Every passage of the document inside the filters, in reading order."""

    def answer(self, question: str, retrieved_k: int) -> Answer:
        """The outline as an answer: an opening saying it quotes, then one line a part, each cited:
        its heading by the passage it opens (when the quote stands in another) and its quote. The
        cited passages lead those retrieved, in citation order, then the rest of the document's."""
        citations: list[Passage] = []
        numbers: dict[str, int] = {}

        def cite(p: Passage) -> int:
            if p.chunk_id not in numbers:
                citations.append(p)
                numbers[p.chunk_id] = len(citations)
            return numbers[p.chunk_id]

        body: list[str] = []
        quotes: list[tuple[str, int]] = []
        for line in self.lines:
            head = line.part[0]
            # The heading is cited by the passage that prints it when the quote stands in another (a plan
            # area's title is not in its actions; a long minute's heading is in its first passage only).
            label = line.label if head.chunk_id == line.passage.chunk_id else f"{line.label} [{cite(head)}]"
            n = cite(line.passage)
            if repeats_label(line.sentence.text, line.label):
                body.append(f"- {label} [{n}]")
            else:
                body.append(f"- {label} — “{line.sentence.text}” [{n}]")
            quotes.append((line.sentence.text, n))
        if self.more:
            body.append(MORE_PARTS.format(n=self.more, parts="part" if self.more == 1 else "parts"))
        rest = [p for p in self.passages if p.chunk_id not in numbers]
        return Answer(
            question,
            "\n".join([OUTLINE_INTRO.format(title=self.match.title), *body]),
            False,
            citations,
            citations + rest[: max(0, retrieved_k - len(citations))],
            quotes=quotes,
            quoted_ids=[line.sentence.sentence_id for line in self.lines],
            confidence=self.match.share,
        )


def asks_for_summary(q: Question) -> bool:
    return "summary" in q.asks


def subject_terms(q: Question) -> list[str]:
    """The question's terms that say what is to be summarised."""
    return [t for t in q.terms if t not in SUMMARY_WORDS]


def documents(snapshot: IndexSnapshot, filters: dict[str, Any] | None) -> dict[str, list[Passage]]:
    """Each document's passages inside the filters, in reading order, by doc id."""
    out: dict[str, list[Passage]] = {}
    for row in snapshot.chunks.values():
        p = Passage.from_row(row, 0.0)
        if passes(p, filters):
            out.setdefault(p.doc_id, []).append(p)
    for group in out.values():
        group.sort(key=lambda p: p.ordinal)
    return out


def _name_terms(p: Passage) -> set[str]:
    """What a document is called by: its title, its type and its meeting's date."""
    when = human_date(p.meeting_date) if p.meeting_date else ""
    return set(terms(f"{p.doc_title} {p.doc_type} {when}"))


def match_document(
    q: Question, docs: dict[str, list[Passage]], rarity: dict[str, float], min_share: float
) -> DocumentMatch | None:
    """The document the question asks to summarise: the best fit of its name to the question's
    subject terms, if it holds at least ``min_share`` of them. A question naming nothing ("summarise
    this") means the one document the filters leave, if they leave one."""
    subject = subject_terms(q)
    if not subject:
        if len(docs) != 1:
            return None
        first = next(iter(docs.values()))[0]
        return DocumentMatch(first.doc_id, first.doc_title, 1.0, 1.0, first.meeting_date or "")
    asked = dataclasses.replace(q, terms=subject)
    best: DocumentMatch | None = None
    for doc_id, passages in docs.items():
        head = passages[0]
        named = _name_terms(head)
        title = dataclasses.replace(q, terms=sorted(set(terms(head.doc_title))))
        match = DocumentMatch(
            doc_id,
            head.doc_title,
            1.0 - missing_rare(asked, named, rarity),
            1.0 - missing_rare(title, set(subject), rarity),
            head.meeting_date or "",
        )
        key = (match.share, match.precision, match.meeting_date, doc_id)
        if best is None or key > (best.share, best.precision, best.meeting_date, best.doc_id):
            best = match
    return best if best is not None and best.share >= min_share else None


def _part_key(p: Passage, number: str) -> str:
    """What the parts of a document are told apart by: the number before its first sub-level
    ("Area 4" of "Area 4, action 1.8", "5" of "5.3"), or the section itself when it has none."""
    head = number
    for separator in NUMBER_LEVELS:
        head = head.split(separator, 1)[0]
    return head.strip() or p.section_id


def _label(p: Passage) -> str:
    label = p.locator.split(LOCATOR_SEPARATOR, 1)[1] if LOCATOR_SEPARATOR in p.locator else p.locator
    return label.rstrip(LABEL_END)


def parts(passages: Sequence[Passage], numbers: dict[str, str]) -> list[list[Passage]]:
    """The document's top-level parts in reading order: runs of consecutive sections whose
    numbers share their top level (``numbers``: each section's number, by section id)."""
    out: list[list[Passage]] = []
    last = None
    for p in passages:
        key = _part_key(p, numbers.get(p.section_id, ""))
        if out and key == last:
            out[-1].append(p)
        else:
            out.append([p])
        last = key
    return out


def restates_heading(text: str, part: Sequence[Passage]) -> bool:
    """Whether a sentence is a heading or running head rather than something the part says: too
    short, in capitals, or made of its heading's words."""
    heading = set(terms(" ".join({_label(p) for p in part})))
    found = set(terms(text))
    return (
        len(text.split()) < MIN_KEY_WORDS
        or detectors.upper_share(text) > MAX_UPPER_SHARE
        or len(found & heading) >= MAX_HEADING_SHARE * max(1, len(found))
    )


def repeats_label(text: str, label: str) -> bool:
    """Whether a sentence says little but its part's label ("1. Apologies for Absence" under "item 1
    Apologies for Absence"): then the line shows the label alone. Its own words, not stems, so "There
    were no declarations of interest" still says something its heading does not."""
    said = set(words(text))
    return len(said - set(words(label))) <= MAX_NEW_SHARE * len(said)


def _leads(sentences: Sequence[StoredSentence], part: Sequence[Passage]) -> list[StoredSentence]:
    """The first of ``sentences`` in each section of the part: what each sub-part (a plan area's
    action, a report section's paragraph) opens by saying it is."""
    section_of = {p.chunk_id: p.section_id for p in part}
    first: dict[str, StoredSentence] = {}
    for s in sentences:
        first.setdefault(section_of[s.chunk_id], s)
    return list(first.values())


def key_sentence(snapshot: IndexSnapshot, part: Sequence[Passage]) -> StoredSentence | None:
    """The part's sentence nearest the centre of its sentences (stored vectors), headings aside
    when it has any other; of a part made of several sections, the sentence each opens with (a plan
    area's actions, not their fields). The first of equals."""
    seen: set[str] = set()
    sentences = []
    for p in part:
        for s in snapshot.sentences.get(p.chunk_id, []):
            if s.text not in seen and s.sentence_id in snapshot.sentence_rows:
                seen.add(s.text)  # the overlap of a split section repeats sentences
                sentences.append(s)
    if not sentences:
        return None
    body = [s for s in sentences if not restates_heading(s.text, part)] or sentences
    body = [s for s in body if len(s.text.split()) <= MAX_KEY_WORDS] or body
    leads = _leads(body, part)
    body = leads if len(leads) > 1 else body
    vectors = snapshot.sentence_vectors[[snapshot.sentence_rows[s.sentence_id] for s in body]]
    centre = vectors.mean(axis=0)
    scores = vectors @ (centre / max(float(np.linalg.norm(centre)), np.finfo(np.float32).tiny))
    return body[int(np.argmax(scores))]


def build_outline(
    q: Question,
    snapshot: IndexSnapshot,
    rarity: dict[str, float],
    filters: dict[str, Any] | None,
    max_lines: int,
    min_share: float,
) -> Outline | None:
    """The outline of the document the question asks to summarise, or None when it asks for no
    summary or names no document well enough (it is then answered the usual way)."""
    if not asks_for_summary(q) or max_lines < 1:
        return None
    docs = documents(snapshot, filters)
    match = match_document(q, docs, rarity, min_share)
    if match is None:
        return None
    passages = docs[match.doc_id]
    numbers = {p.section_id: str(snapshot.chunks[p.chunk_id].metadata.get("section_number") or "") for p in passages}
    found = [(part, s) for part in parts(passages, numbers) if (s := key_sentence(snapshot, part)) is not None]
    if not found:
        return None
    size = [sum(len(p.text.split()) for p in part) for part, _ in found]
    kept = sorted(sorted(range(len(found)), key=lambda i: (-size[i], i))[:max_lines])
    by_chunk = {p.chunk_id: p for p in passages}
    lines = [OutlineLine(_label(part[0]), s, by_chunk[s.chunk_id], part) for part, s in (found[i] for i in kept)]
    return Outline(match, lines, len(found) - len(kept), passages)
