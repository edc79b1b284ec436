"""Evidence → answer: quote the fewest source sentences that answer every part of the question,
verbatim, each followed by its numbered citation; or say the papers do not answer it.

Sentences are scored by their embedding similarity to the question (precomputed at ingest, so
this costs dot products), the share of the question's rarer words they hold, whether they hold
what the question asks for (a name or role, a date, a figure) and the rank of their passage.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.query import (
    GENERIC_TERMS,
    QuestionInfo,
    analyse,
    asks_which_organisation,
    content_terms,
    point_in_time,
)
from assistant.retrieval import Passage, Retrieval
from ingest.dates import MONTHS, find_dates
from ingest.settings import Settings

NOT_ANSWERED = "The papers do not answer this question."
RELATED_INTRO = "The closest passages are listed as related reading."
RELATED_COUNT = 3
DUPLICATE_OVERLAP = 0.7
"""Sentences sharing this share of their words with one already chosen are not quoted again."""
# Weights of a sentence's score: embedding similarity, share of the question's (rarer) words,
# holding the kind of thing asked for, and its passage's rank.
W_DENSE = 1.0
W_LEXICAL = 0.6
W_CUE = 0.15
W_RANK = 0.1
W_PART_CONTEXT = 0.3
"""For one part of a two-part question, the rest of the question still counts, less."""
PART_CONNECTIVES = frozenset({"against", "versus", "compared", "compare", "also", "then", "between"})
"""Words that join one part of a question to another ("…, against what target?") and say nothing of its own."""
W_REFERENCE = 0.7
"""Share of the lexical credit a sentence gets for question words found only in the sentence it refers back to."""
MIN_LEXICAL = 0.5
"""Below ``min_answer_score`` similarity, evidence must still hold this share of the question's words."""
_ROLE = re.compile(
    r"\b(Cllr|Councillor|Director|Officer|Manager|Head of|Chief|Cabinet Member|Chair|Lead|Peer|Consultant|"
    r"Author|Solicitor|Leader|Mayor|Commissioner|Clerk|Curator|Board|Team|Panel|Partnership|Service)\b"
    r"|\b[A-Z][a-z]+ (?:[A-Z]\.? )?[A-Z][a-z]+\b"
)
_MONTH_YEAR = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b", re.I
)
_CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\s*(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}\s*(?:am|pm)\b", re.I)
_RELATIVE_TIME = re.compile(
    r"\b(?:after|within|every|each|in)\s+(?:(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+)?"
    r"(?:working\s+)?(?:days?|weeks?|months?|years?)\b|\b(?:weekly|monthly|quarterly|annually|yearly)\b",
    re.I,
)
"""When something happens relative to something else ("after six months", "quarterly")."""


@dataclass
class Candidate:
    """A sentence that could be quoted, with its similarity to the question."""

    sentence_id: str
    chunk_id: str
    text: str
    page: int
    ordinal: int
    dense: float
    rank: int
    """Rank of its passage among those retrieved (a large number when it came from elsewhere)."""
    score: float = 0.0
    context: str = ""
    """The sentence before it, when this one opens with a word that refers back to it ("It will
    meet monthly" follows the sentence naming the Board); its words count towards matching, less."""


@dataclass
class Answer:
    """What the assistant says to one question, in the evaluation contract's terms."""

    question: str
    text: str
    """The answer shown to the user, with inline [n] markers, without the list of sources."""
    abstained: bool
    citations: list[Passage]
    """One per [n], in number order."""
    retrieved: list[Passage]
    related: list[Passage] = field(default_factory=list)
    quotes: list[tuple[str, int]] = field(default_factory=list)
    """(sentence, citation number) pairs the answer quotes, for highlighting."""
    latency_ms: float = 0.0
    generated: bool = False
    """True when an LLM wrote the wording (quotes stay verbatim)."""
    strongest_first: list[str] = field(default_factory=list)
    """Chunk ids of the quoted passages, the passage of the best-scoring quote first (empty: citation order)."""
    searched: list[Passage] = field(default_factory=list)
    """The passages in search order (hybrid fusion), before the quoted ones were ranked first: for
    measuring the search on its own."""

    def contract(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [p.contract(with_score=False) for p in self.citations],
            "related": [p.contract(with_score=False) for p in self.related],
            "retrieved": [p.contract() for p in self.retrieved],
            "latency_ms": round(self.latency_ms, 2),
        }


def abstain(question: str, retrieval: Retrieval, reason: str | None = None) -> Answer:
    """Say plainly that the papers do not answer, offering the closest passages as related reading."""
    text = NOT_ANSWERED + (f" ({reason[0].upper()}{reason[1:]}.)" if reason else "") + f" {RELATED_INTRO}"
    return Answer(question, text, True, [], retrieval.passages, related=retrieval.passages[:RELATED_COUNT])


_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s")
MIN_STEM = 4


def stem(word: str) -> str:
    """A light stem, so "chaired"/"chair", "presented"/"presentation", "reports"/"report" and
    "planning"/"plans" meet (a doubled consonant left by -ing / -ed is halved, but not ll, ss, zz)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            root = word[: -len(suffix)]
            if suffix in ("ing", "ed") and root[-1] == root[-2] and root[-1] not in "aeiouylsz":
                root = root[:-1]
            return root
    return word


def word_set(text: str) -> set[str]:
    """Content words and numbers (with plurals folded)."""
    out = set()
    for t in content_terms(text):
        out.add(t)
        if t.endswith("s") and len(t) > 3:
            out.add(t[:-1])
    return out


def idf_weights(terms: list[str], candidates: list[Candidate]) -> dict[str, float]:
    """Inverse document frequency of the question's terms over the candidate sentences."""
    n = max(len(candidates), 1)
    sets = [word_set(c.text) for c in candidates]
    return {t: math.log((n + 1) / (sum(t in s for s in sets) + 0.5)) for t in terms}


def lexical_share(terms: list[str], weights: dict[str, float], text: str) -> float:
    total = sum(weights.get(t, 0.0) for t in terms)
    if total <= 0:
        return 0.0
    have = word_set(text)
    stems = {stem(t) for t in have}
    return sum(weights.get(t, 0.0) for t in terms if _has_term(t, have, stems)) / total


PREFIX_MIN = 5
"""A question word this long or longer also meets words it begins ("check" / "checkups")."""


def _has_term(term: str, have: set[str], stems: set[str]) -> bool:
    if term in have or term.rstrip("s") in have or stem(term) in stems:
        return True
    root = stem(term)
    return len(root) >= PREFIX_MIN and any(w.startswith(root) for w in have)


def cue_score(info: QuestionInfo, text: str, question: str, common_words: set[str] | None = None) -> int:
    """How many of the things the question asks for the sentence holds. With ``common_words``
    (the papers' lower-case vocabulary) "who" needs a title or a person's name, not just any two
    capitalised words ("Planning Commission")."""
    score = 0
    if info.wants_who and _names_someone(text, question, common_words):
        score += 1
    if info.wants_when and (
        find_dates(text) or _MONTH_YEAR.search(text) or _CLOCK.search(text) or _RELATIVE_TIME.search(text)
    ):
        score += 1
    if info.wants_where and _PLACE.search(text):
        score += 1
    if info.wants_number and gives_figure(text, question):
        score += 1
    return score


_NOT_A_FIGURE = re.compile(
    r"\((?:Pages?|p\.)\s*\d+\s*[-–]\s*\d+\)|\b(?:Area|action|item|section|paragraph|Standing Order|Part|Chapter|"
    r"Appendix|slide|page)\s+\d+(?:\.\d+)*|^\s*\(?\d+(?:\.\d+)*[.)]\s|\b(?:19|20)\d\d(?:/\d\d)?\b",
    re.I,
)


_TITLE = re.compile(
    r"\b(Cllr|Councillor|Director|Officer|Manager|Head of|Chief|Cabinet Member|Chair|Lead|Peer|Consultant|"
    r"Author|Solicitor|Leader|Mayor|Commissioner|Clerk|Curator)\b"
)


def _names_someone(text: str, question: str, common_words: set[str] | None) -> bool:
    if common_words is None:
        return any(m.group(0) not in question for m in _ROLE.finditer(text))
    return (
        any(m.group(0) not in question for m in _TITLE.finditer(text))
        or names_a_person(text, question, common_words)
        or bool(asks_which_organisation(question) and names_an_organisation(text, question, common_words))
    )


_CAPITALISED = re.compile(r"(?<=[\s(])[A-Z][\w&'’-]+")


def names_an_organisation(text: str, question: str, common_words: set[str]) -> bool:
    """A capitalised word inside the sentence that the papers never write in lower case and the
    question does not hold ("Savills"): what "which firm" asks for, though it is no person's name."""
    asked = set(question.lower().split())
    return any(
        (w := m.group(0).lower().rstrip("'’")) not in common_words | ROLE_WORDS and w not in asked
        for m in _CAPITALISED.finditer(text)
    )


_PLACE = re.compile(
    r"\b(?:at|in|from|to)\s+(?:the\s+)?(?:[A-Z][\w'’-]+\s+){0,4}(?:Hall|Centre|Center|House|Room|Building|Offices?|"
    r"Library|Chamber|Park|Street|Road|Square|Hub|School|Church|Hotel)\b|\b(?:onsite|on site|based) (?:at|in)\b"
)
"""A sentence that names a place: "onsite at the Town Hall", "based in the Civic Centre"."""
CHAIR_MARK_RANKS = 8
"""Passages (by rank) searched for an attendance list that marks who chaired."""
_CHAIR_Q = re.compile(r"\bwho (?:chaired|chairs|presided|was (?:in )?the chair|is the chair)", re.I)
_CHAIR_MARK = re.compile(r"[A-Z][\w'’.-]+\s*\((?:Chair|Chairman|Chairperson|Chairwoman)\)|\bin the Chair\b")
_OFTEN_Q = re.compile(r"\bhow (often|frequently)\b", re.I)
_FREQUENCY = re.compile(
    r"\b(daily|weekly|fortnightly|monthly|quarterly|annually|yearly|bi-?monthly|bi-?annually|twice|every|each "
    r"(day|week|month|quarter|year)|once a|times a|per (week|month|year|annum))\b",
    re.I,
)


def gives_figure(text: str, question: str) -> bool:
    """The sentence gives what a how-many / how-much / how-often question asks: a number the
    question does not already hold, or for "how often", a frequency ("quarterly") and nothing
    else ("over the next 12 months" says how long, not how often)."""
    if _OFTEN_Q.search(question):
        return bool(_FREQUENCY.search(text))
    return _new_number(text, question)


def _new_number(text: str, question: str) -> bool:
    """The text gives a figure the question does not: a number that is not a date, a year, a page,
    or the number of an item, section or plan action."""
    for d in reversed(find_dates(text)):
        text = text[: d.start] + " " + text[d.end :]
    text = _NOT_A_FIGURE.sub(" ", text)
    asked = set(re.findall(r"\d[\d.,/]*", question))
    return any(n.rstrip(".,") not in asked for n in re.findall(r"\d[\d.,/]*", text))


_NAME = re.compile(r"\b(?:(?:Cllr|Councillor|Dr|Mr|Mrs|Ms|Miss)\.?\s+)?([A-Z][a-z'’-]+)\s+([A-Z][a-z'’-]+)\b")


ROLE_WORDS = frozenset(
    """
    director officer member cabinet deputy interim strategic executive chief head service services council
    committee board team manager chair chairman leader lead report principal operational assistant senior
    corporate borough county city district parish community health social care government association
    """.split()  # noqa: SIM905 - a word list reads best as text
)
"""Capitalised words of titles and bodies, never of a person's name."""


def names_a_person(text: str, question: str, common_words: set[str]) -> bool:
    """Two capitalised words that the papers never write in lower case and that are not titles
    ("Fiona Taylor", not "Deputy Leader"), not both in the question."""
    asked = set(question.lower().split())
    for m in _NAME.finditer(text):
        first, last = m.group(1), m.group(2)
        if {first.lower(), last.lower()} & (common_words | ROLE_WORDS):
            continue
        if first.lower() in asked and last.lower() in asked:
            continue
        return True
    return False


def _overlap(a: str, b: str) -> float:
    wa, wb = word_set(a), word_set(b)
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def compose_answer(
    question: str,
    info: QuestionInfo,
    retrieval: Retrieval,
    candidates: list[Candidate],
    passages: dict[str, Passage],
    settings: Settings,
    must_mention: list[tuple[str, list[str], str]] | None = None,
    common_words: set[str] | None = None,
) -> Answer:
    """Choose and order the sentences to quote; number their passages as citations.

    ``must_mention``: (term, acceptable spellings, scope) the evidence has to mention — years,
    labels and acronyms the question hinges on — in the quoted sentences (``sentence``), their
    passages (``passage``) or those and their headings (``heading``); evidence that misses one is
    about something else.
    """
    if not candidates:
        return abstain(question, retrieval)
    all_terms = sorted(word_set(question))
    weights = idf_weights(all_terms, candidates)
    for c in candidates:
        c.score = _score(c, all_terms, weights, info, question, common_words=common_words)
    ranked = sorted(candidates, key=lambda c: -c.score)
    chosen: list[Candidate] = []
    parts = info.parts if len(info.parts) > 1 else [question]
    for part in parts:
        if len(parts) == 1:
            best = _prefer_cue(info, question, ranked, common_words)
        else:
            part_terms, part_info = sorted(word_set(part)), analyse(part)
            own = [
                t
                for t in part_terms
                if t not in PART_CONNECTIVES and not any(t in word_set(p) for p in parts if p is not part)
            ]
            if chosen and own and lexical_share(own, weights, " ".join(c.text for c in chosen)) >= MIN_LEXICAL:
                continue  # a sentence already quoted answers this part too
            # A part with words of its own is answered by a sentence not yet quoted for another part.
            pool = [c for c in ranked if c not in chosen] if own else ranked
            best = max(
                pool or ranked,
                key=lambda c: _score(c, part_terms, weights, part_info, part, all_terms, common_words),
            )
        if not any(best.sentence_id == c.sentence_id for c in chosen):
            chosen.append(best)
    if len(parts) == 1:
        for c in ranked[1:]:
            if len(chosen) >= settings.answer_max_sentences or c.score < settings.sentence_keep_ratio * ranked[0].score:
                break
            if all(_overlap(c.text, x.text) < DUPLICATE_OVERLAP for x in chosen):
                chosen.append(c)
    chosen = chosen[: max(settings.answer_max_sentences, len(parts))]
    if info.wants_several:
        chosen += _from_other_documents(chosen, ranked, passages, 0.0 if info.meetings_named else SEVERAL_RATIO)
    chosen += _complete(info, question, chosen, ranked, passages)
    chosen += _antecedents(chosen, ranked)
    chosen += _continuations(chosen, ranked)

    strongest = max(c.dense for c in chosen)
    coverage = lexical_share(all_terms, weights, " ".join(c.text + " " + passages[c.chunk_id].locator for c in chosen))
    if strongest < settings.min_answer_score and coverage < MIN_LEXICAL:
        return abstain(question, retrieval)
    scopes = {"sentence": " ".join(c.text for c in chosen)}
    scopes["passage"] = " ".join({passages[c.chunk_id].text for c in chosen}) + " " + scopes["sentence"]
    scopes["heading"] = scopes["passage"] + " " + " ".join(passages[c.chunk_id].locator for c in chosen)
    scopes["figure"] = (
        scopes["sentence"]
        + " "
        + " ".join(passages[c.chunk_id].locator for c in chosen if gives_figure(c.text, question))
    )
    for term, spellings, scope in must_mention or []:
        text = scopes[scope]
        if not any(re.search(rf"(?<![\w]){re.escape(s)}(?![\w])", text, re.I) for s in spellings):
            return abstain(question, retrieval, f"nothing in them mentions {term} with this")
    if info.wants_number and not any(gives_figure(c.text, question) for c in chosen):
        return abstain(question, retrieval, "no passage gives that figure")
    if info.wants_number and not any(
        gives_figure(c.text, question) and _measures_subject(c, question, passages[c.chunk_id]) for c in chosen
    ):
        # "How many children in care…?" is not answered by 22,866 young people voting.
        return abstain(question, retrieval, "no passage gives that figure for what the question asks about")
    asked_at = point_in_time(question) if info.wants_number else None
    dated = [passages[c.chunk_id].meeting_date for c in chosen]
    if asked_at and all(dated) and max(d or "" for d in dated) < asked_at:
        # Papers for a meeting on 13 March cannot report a figure at the end of March.
        return abstain(question, retrieval, f"the passages quoted are from papers dated before {asked_at}")
    if _MONEY_Q.search(question) and not any(_MONEY.search(c.text) for c in chosen):
        return abstain(question, retrieval, "no passage gives that sum")
    if (
        _OUTCOME_Q.search(question)
        and not _AIM_Q.search(question)
        and not any(_gives_outcome(c.text, question) for c in chosen)
    ):
        # "How much did it raise?" is not answered by the target it aimed for.
        return abstain(question, retrieval, "the passages give only a target, not what happened")
    if info.wants_who and not info.wants_number and not any(cue_score(_who_only(), c.text, question) for c in chosen):
        return abstain(question, retrieval, "no passage names who")
    chosen_as = _CHOSEN_AS.search(question)
    if chosen_as and not any(
        re.search(rf"\b{chosen_as.group('verb')}", c.text, re.I)
        and names_a_person(c.text, question, common_words or set())
        for c in chosen
    ):
        return abstain(question, retrieval, f"no passage names who was {chosen_as.group(0).split()[-1]}")
    if info.wants_name and not any(
        _names_who_was_asked(c.text, question, common_words or set(), passages[c.chunk_id].organisation) for c in chosen
    ):
        return abstain(question, retrieval, "no passage gives that name")

    strongest_first = list(dict.fromkeys(c.chunk_id for c in sorted(chosen, key=lambda c: -c.score)))
    chosen.sort(key=lambda c: (passages[c.chunk_id].doc_id, passages[c.chunk_id].ordinal, c.ordinal))
    citations: list[Passage] = []
    numbers: dict[str, int] = {}
    quoted: list[str] = []
    quotes: list[tuple[str, int]] = []
    for c in chosen:
        if c.chunk_id not in numbers:
            citations.append(passages[c.chunk_id])
            numbers[c.chunk_id] = len(citations)
        n = numbers[c.chunk_id]
        quoted.append(f"“{c.text}” [{n}]")
        quotes.append((c.text, n))
    return Answer(
        question,
        " ".join(quoted),
        False,
        citations,
        retrieval.passages,
        quotes=quotes,
        strongest_first=strongest_first,
    )


def evidence_first(answer: Answer) -> Answer:
    """Rank ``retrieved`` as the contract defines it, the passages the answer was drawn from: the
    passages it quotes first (strongest quote first), then the rest in search order. Without this a
    passage found by sentence search and quoted could be missing from the list."""
    answer.searched = list(answer.retrieved)
    if answer.abstained or not answer.citations:
        return answer
    cited = {p.chunk_id: p for p in answer.citations}
    order = [c for c in answer.strongest_first if c in cited] + [p.chunk_id for p in answer.citations]
    first = [cited[c] for c in dict.fromkeys(order)]
    answer.retrieved = first + [p for p in answer.retrieved if p.chunk_id not in cited]
    return answer


_FIELD_LINE = re.compile(r"^(?P<label>[A-Z][A-Za-z /&()'’-]{2,40}):\s+\S")
FIELD_LABELS = {
    "who": re.compile(r"lead|accountable|responsible|author|officer|chair|contact|owner|presenter|\bby$", re.I),
    "when": re.compile(r"by when|due|date|deadline|timescale|target", re.I),
}
"""Labels of "Label: value" lines (plan rows, cover sheets) that answer who or when."""


_CHOSEN_AS = re.compile(
    r"\bwho (?:was|were|is|has been|had been) (?P<verb>elect|appoint|nominat|chose|named|co-opt)\w*", re.I
)
"""'Who was elected Chair': the answer names someone in a sentence that says so, not any name nearby."""
NAME_SUBJECT_SHARE = 0.5
"""A name answers "who is the X" only in a sentence holding at least this share of X's words."""
_MONEY_Q = re.compile(
    r"\bhow much\b[^?]*\b(cost|costs|grant|spend|spent|budget|funding|fund|money|pay|paid|worth|price|income|"
    r"receive|raise|raised|saving|savings|deficit|debt|borrow\w*)\b|\bhow much (money|funding)\b",
    re.I,
)
_OUTCOME_Q = re.compile(r"\bhow (much|many)\b[^?]*\b(raised?|collected|achieved|reached|finally|actually)\b", re.I)
_AIM_Q = re.compile(r"\b(target|goal|aim|ambition|expected|forecast|planned)\b", re.I)
_AIMED_FIGURE = re.compile(
    r"\b(target|goal|aim|ambition)\s+(?:of|is|was|to reach|to raise)?\s*(?:£|\$)?\s?\d[\d,.]*\s*(?:m|k|bn|%)?", re.I
)
"""A figure given as what was aimed for ("the target of £25,000"), not what happened."""


def _gives_outcome(text: str, question: str) -> bool:
    """The sentence gives a figure that is not only a target."""
    return _new_number(_AIMED_FIGURE.sub(" ", text), question)


_MONEY = re.compile(r"£\s?\d|\d\s?(m|bn|k|million|billion)\b|\bpounds\b", re.I)


def _names_who_was_asked(text: str, question: str, common_words: set[str], organisation: str = "") -> bool:
    """The sentence names a person (or is a "Lead: …" line whose label the question uses) and
    holds most of the words that say who is meant ("Cabinet Member for Finance"). The name of the
    council whose paper it is says nothing of who is meant: "Who is the Clerk of X Council?" is not
    answered by "X Council held their meeting at the Reading Room"."""
    subject = word_set(question) - {"name", "who"}
    subject = subject - word_set(organisation) or subject
    share = len(subject & word_set(text)) / max(1, len(subject))
    m = _FIELD_LINE.match(text)
    if m and FIELD_LABELS["who"].search(m.group("label")):
        return bool(word_set(m.group("label")) & subject)
    return names_a_person(text, question, common_words) and share >= NAME_SUBJECT_SHARE


SEVERAL_RATIO = 0.8
"""For a "both …" question, the best sentence of another document is quoted when it scores this close."""


def _from_other_documents(
    chosen: list[Candidate], ranked: list[Candidate], passages: dict[str, Passage], ratio: float
) -> list[Candidate]:
    """The best sentence of each further document, for questions about both of two papers or meetings,
    when it scores at least ``ratio`` of the best (0 when the question names the meetings: each was asked for)."""
    docs = {passages[c.chunk_id].doc_id for c in chosen}
    extra: list[Candidate] = []
    for c in ranked:
        doc = passages[c.chunk_id].doc_id
        if doc not in docs and c.score >= ratio * ranked[0].score:
            docs.add(doc)
            extra.append(c)
    return extra


def _is_field(text: str, flag: str) -> bool:
    """A "Label: value" line whose label answers who (or when)."""
    m = _FIELD_LINE.match(text)
    return bool(m and FIELD_LABELS[flag].search(m.group("label")))


def _complete(
    info: QuestionInfo,
    question: str,
    chosen: list[Candidate],
    ranked: list[Candidate],
    passages: dict[str, Passage],
) -> list[Candidate]:
    """Complete the chosen sentences from their own passages: a "Label: value" line that answers
    what is asked (a plan action's "Accountable lead:" for who, "By when:" for when), or else the
    best sibling sentence that holds the missing name, date or figure. The best chosen sentence's
    passage is looked at first, then the other passages of the same sections."""
    wanted = [
        flag for flag, on in (("who", info.wants_who), ("when", info.wants_when), ("number", info.wants_number)) if on
    ]
    extra: list[Candidate] = []
    order = list(dict.fromkeys(c.chunk_id for c in sorted(chosen, key=lambda c: -c.score)))
    sections = list(dict.fromkeys(passages[chunk].section_id for chunk in order))

    def place(c: Candidate) -> tuple[int, int, float]:
        # The chosen sentences' own passages first, then the rest of their sections (a section
        # split into chunks goes on in the next one: "It will meet monthly …").
        if c.chunk_id in order:
            return (0, order.index(c.chunk_id), -c.score)
        return (1, sections.index(passages[c.chunk_id].section_id), -c.score)

    siblings = sorted(
        (c for c in ranked if c not in chosen and (c.chunk_id in order or passages[c.chunk_id].section_id in sections)),
        key=place,
    )
    for flag in wanted:
        label = FIELD_LABELS.get(flag)
        field_line = next(
            (c for c in siblings if label and (m := _FIELD_LINE.match(c.text)) and label.search(m.group("label"))), None
        )
        if field_line is not None and field_line not in extra:
            extra.append(field_line)
            continue
        probe = QuestionInfo(text="", wants_who=flag == "who", wants_when=flag == "when", wants_number=flag == "number")
        if any(cue_score(probe, c.text, question) for c in chosen + extra):
            continue
        sibling = next(
            (
                c
                for c in siblings
                if cue_score(probe, c.text, question) and c not in extra and _about_question(c, question)
            ),
            None,
        )
        if sibling is not None:
            extra.append(sibling)
    return extra


def _neighbours(
    chosen: list[Candidate], ranked: list[Candidate], step: int, needs: Callable[[Candidate], bool]
) -> list[Candidate]:
    """The sentence ``step`` places from each chosen one in its passage, when ``needs(chosen)`` says
    the chosen one cannot stand alone and that sentence is not quoted already."""
    by_place = {(c.chunk_id, c.ordinal): c for c in ranked}
    extra: list[Candidate] = []
    for c in chosen:
        other = by_place.get((c.chunk_id, c.ordinal + step)) if needs(c) else None
        if other is not None and other not in chosen and other not in extra:
            extra.append(other)
    return extra


def _antecedents(chosen: list[Candidate], ranked: list[Candidate]) -> list[Candidate]:
    """The sentence each chosen one refers back to ("This will contribute …" follows the sentence
    saying what "this" is): a quote must make sense on its own."""
    return _neighbours(chosen, ranked, -1, lambda c: bool(c.context))


def _continuations(chosen: list[Candidate], ranked: list[Candidate]) -> list[Candidate]:
    """The line that finishes a chosen one broken off at a line end after ";" or ","
    ("ONE BOROUGH; ONE COMMUNITY;" goes on "NO-ONE LEFT BEHIND")."""
    return _neighbours(chosen, ranked, 1, lambda c: c.text.rstrip("*_ ").endswith((";", ",")))


_TIME_WORDS = frozenset(MONTHS) | {"year", "quarter", "q1", "q2", "q3", "q4"}
"""Words that date a figure rather than say what it counts."""


def _holds_any(c: Candidate, terms: set[str]) -> bool:
    """The sentence, or the one it refers back to, holds one of ``terms``."""
    have = word_set(c.text + " " + c.context)
    stems = {stem(t) for t in have}
    return any(_has_term(t, have, stems) for t in terms)


def _measures_subject(c: Candidate, question: str, passage: Passage) -> bool:
    """The sentence giving a figure holds something the question asks the figure of: a content
    word that is not generic, a time, or the name of the council whose paper it is."""
    named = word_set(passage.organisation)
    subject = {t for t in word_set(question) - GENERIC_TERMS - _TIME_WORDS - named if t[0].isalpha()}
    return not subject or _holds_any(c, subject)


def _about_question(c: Candidate, question: str) -> bool:
    """A completing sentence shares a content word with the question, itself or through the
    sentence it refers back to: a figure next to the subject is not always a figure about it."""
    return _holds_any(c, word_set(question) - GENERIC_TERMS)


CUE_PREFERENCE = 0.75
"""When the best sentence lacks what is asked (a name, a date, a figure), a sentence that has it is
preferred if it scores at least this share of the best."""


def _prefer_cue(info: QuestionInfo, question: str, ranked: list[Candidate], common_words: set[str] | None) -> Candidate:
    """The best sentence, or one nearly as good that holds what the question asks for."""
    best = ranked[0]
    if info.wants_who and _CHAIR_Q.search(question):
        # An attendance list that marks the chair answers "who chaired" outright, however long it is.
        marked = [c for c in ranked if c.rank < CHAIR_MARK_RANKS and _CHAIR_MARK.search(c.text)]
        if marked:
            return marked[0]
    wants = info.wants_who or info.wants_when or info.wants_number or info.wants_where
    if not wants or cue_score(info, best.text, question, common_words):
        return best
    if any(c.chunk_id == best.chunk_id and _FIELD_LINE.match(c.text) for c in ranked):
        return best  # a table row: its own "Lead:" / "By when:" line completes it
    for c in ranked[1:]:
        if c.score < CUE_PREFERENCE * best.score:
            break
        if cue_score(info, c.text, question, common_words):
            return c
    return best


def _score(
    c: Candidate,
    terms: list[str],
    weights: dict[str, float],
    info: QuestionInfo,
    question: str,
    context: list[str] | None = None,
    common_words: set[str] | None = None,
) -> float:
    """A sentence's score for a question (or one part of it, with the whole question as context)."""
    lexical = lexical_share(terms, weights, c.text)
    if c.context:
        lexical += W_REFERENCE * (lexical_share(terms, weights, c.context + " " + c.text) - lexical)
    score = (
        W_DENSE * c.dense
        + W_LEXICAL * lexical
        + W_CUE * cue_score(info, c.text, question, common_words)
        + W_RANK / (1 + c.rank)
    )
    if context:
        score += W_PART_CONTEXT * lexical_share(context, weights, c.text)
    return score


def _who_only() -> QuestionInfo:
    return QuestionInfo(text="", wants_who=True)
