"""(question, candidate sentence, its passage) → named features for the answer scorer.

Every feature is general: similarity, shared terms weighed by rarity, where the sentence stands,
what kind of document it is in, and whether it holds the kind of thing the question asks for
(from :mod:`assistant.detectors`), each as a number the scorer weighs. None names a council.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from assistant import detectors
from assistant.candidates import Candidate
from assistant.question import ASK_CUES, ASK_KINDS, Question, year_terms
from assistant.retrieval import Passage, Retrieval
from ingest.lexical import terms
from ingest.models import DOC_TYPES

NAMES_CAP = 3
SHORT_WORDS = 6
DEFAULT_RARITY = 8.0
"""Weight of a term the index has never seen (rarer than any it holds)."""
DECISION_STEMS = frozenset(t for cue in ASK_CUES["decision"] for t in terms(cue))

FEATURES: tuple[str, ...] = (
    "dense", "dense_gap", "dense_passage", "passage_rank", "bm25_rel",
    "lex_sentence", "lex_heading", "lex_passage", "lex_context", "lex_follow_up",
    "missing_rare", "pool_missing_rare", "pool_max_lex", "lex_gap", "lex_all", "prev_lex", "next_lex",
    "upper_share", "heading_like", "quoted_before", "novelty", "log_words", "short", "first_in_passage",
    "refers_back", "named_section", "is_decision", "is_proposal",
    *(f"doc_{k}" for k in DOC_TYPES),
    *(f"ask_{k}" for k in ASK_KINDS),
    "has_figure", "has_money", "has_date", "has_names",
    "person_x_names", "number_x_figure", "money_x_money", "number_x_percent", "date_x_date",
    "place_x_names", "decision_x_record", "decision_x_vote", "decision_x_words", "decision_x_minutes",
    "define_x_defines", "year_match", "year_miss", "month_match",
)  # fmt: skip
"""The scorer's inputs, in the order of its weights."""


@dataclass
class PassageTerms:
    """A passage's terms, read once per question however many of its sentences are candidates."""

    text: set[str]
    heading: set[str]
    years: set[str]
    missing: float
    """See :func:`missing_rare`."""


@dataclass
class PoolStats:
    """What every candidate of one question is compared with."""

    max_dense: float
    max_bm25: float
    min_missing: float
    max_lex: float
    """The highest share of the question's terms any candidate sentence holds."""
    lex_at: dict[tuple[str, int], float]
    """Each candidate's share of the question's terms, by (passage, position): what its neighbours hold."""
    rarity: dict[str, float]
    passages: dict[str, PassageTerms]


def _share(wanted: list[str], have: set[str], rarity: dict[str, float]) -> float:
    total = sum(rarity.get(t, DEFAULT_RARITY) for t in wanted)
    if total <= 0:
        return 0.0
    return sum(rarity.get(t, DEFAULT_RARITY) for t in wanted if t in have) / total


def _heading(p: Passage) -> str:
    return f"{p.doc_title} {p.locator}"


def missing_rare(q: Question, have: set[str], rarity: dict[str, float]) -> float:
    """Share (by rarity) of the question's terms that neither the passage nor its headings hold:
    a question about something the papers never mention misses its rarest word everywhere."""
    return 1.0 - _share(q.terms, have, rarity)


def _passage_terms(q: Question, p: Passage, rarity: dict[str, float]) -> PassageTerms:
    text, heading = set(terms(p.text)), set(terms(_heading(p)))
    meeting = (p.meeting_date or "")[:4]
    years = set(year_terms(f"{p.text} {_heading(p)} {meeting}"))
    return PassageTerms(text, heading, years, missing_rare(q, text | heading, rarity))


def pool_stats(q: Question, candidates: Iterable[Candidate], passages: dict[str, Passage], retrieval: Retrieval,
               rarity: dict[str, float]) -> PoolStats:  # fmt: skip
    cands = list(candidates)
    used = {c.chunk_id for c in cands}
    read = {chunk_id: _passage_terms(q, p, rarity) for chunk_id, p in passages.items() if chunk_id in used}
    lex_at = {(c.chunk_id, c.ordinal): _share(q.terms, set(terms(c.text)), rarity) for c in cands}
    return PoolStats(
        max_lex=max(lex_at.values(), default=0.0),
        lex_at=lex_at,
        max_dense=max((c.dense for c in cands), default=0.0),
        max_bm25=max(retrieval.lexical_scores.values(), default=0.0),
        min_missing=min((r.missing for r in read.values()), default=1.0),
        rarity=rarity,
        passages=read,
    )


def featurize(q: Question, c: Candidate, p: Passage, stats: PoolStats, retrieval: Retrieval,
              common_words: set[str]) -> dict[str, float]:  # fmt: skip
    """The named features of one candidate (keys: :data:`FEATURES`)."""
    rarity = stats.rarity
    sentence = set(terms(c.text))
    read = stats.passages[c.chunk_id]
    heading, passage = read.heading, read.text
    context = set(terms(c.context)) | sentence if c.context else sentence
    asked_numbers = {t for t in q.terms if t[:1].isdigit()}
    found = detectors.figures(c.text, asked_numbers)
    names = min(detectors.proper_names(c.text, common_words, set(q.text.lower().split())), NAMES_CAP) / NAMES_CAP
    lex_sentence = _share(q.terms, sentence, rarity)
    words = c.text.split()
    meeting = p.meeting_date or ""
    years_here = read.years
    f: dict[str, float] = {
        "dense": c.dense,
        "dense_gap": c.dense - stats.max_dense,
        "dense_passage": retrieval.dense_scores.get(c.chunk_id, 0.0),
        "passage_rank": 1.0 / (1 + c.rank),
        "bm25_rel": retrieval.lexical_scores.get(c.chunk_id, 0.0) / stats.max_bm25 if stats.max_bm25 else 0.0,
        "lex_sentence": lex_sentence,
        "lex_heading": _share(q.terms, heading, rarity),
        "lex_passage": _share(q.terms, passage, rarity),
        "lex_context": _share(q.terms, context, rarity) - lex_sentence,
        "lex_follow_up": _share(q.context_terms, passage | heading, rarity) if q.context_terms else 0.0,
        "missing_rare": read.missing,
        "pool_missing_rare": stats.min_missing,
        "pool_max_lex": stats.max_lex,
        "lex_gap": lex_sentence - stats.max_lex,
        # A follow-up's answer holds its own terms or those of the question it follows.
        "lex_all": _share([*q.terms, *q.context_terms], context, rarity),
        # The answer often stands next to the sentence that names the subject ("Letter received
        # asking for support …" then "It was agreed that …").
        "prev_lex": stats.lex_at.get((c.chunk_id, c.ordinal - 1), 0.0),
        "next_lex": stats.lex_at.get((c.chunk_id, c.ordinal + 1), 0.0),
        # Titles and running heads ("MINUTES OF …", "CITY COUNCIL AGENDA") restate, never answer.
        "upper_share": detectors.upper_share(c.text),
        "heading_like": len(sentence & heading) / max(1, len(sentence)),
        "quoted_before": float(c.quoted_before),
        "novelty": len(sentence - set(q.terms)) / max(1, len(sentence)),
        "log_words": math.log1p(len(words)),
        "short": float(len(words) < SHORT_WORDS),
        "first_in_passage": float(c.ordinal == 0),
        "refers_back": float(bool(c.context)),
        "named_section": float(c.named),
        "is_decision": float(c.resolution == "decision"),
        "is_proposal": float(c.resolution == "proposal"),
        **{f"doc_{k}": float(p.doc_type == k or (k == "other" and p.doc_type not in DOC_TYPES)) for k in DOC_TYPES},
        **{f"ask_{k}": float(k in q.asks) for k in ASK_KINDS},
        "has_figure": float(bool(found)),
        "has_money": float(detectors.has_money(found)),
        "has_date": float(detectors.has_date(c.text)),
        "has_names": names,
    }
    asks = q.asks
    has_decision_words = bool(sentence & DECISION_STEMS)
    f["person_x_names"] = names if "person" in asks else 0.0
    f["number_x_figure"] = f["has_figure"] if "number" in asks else 0.0
    f["money_x_money"] = f["has_money"] if "money" in asks else 0.0
    f["number_x_percent"] = float(detectors.has_percent(found)) if "number" in asks else 0.0
    f["date_x_date"] = f["has_date"] if "date" in asks else 0.0
    f["place_x_names"] = names if "place" in asks else 0.0
    f["decision_x_record"] = float(bool(c.resolution)) if "decision" in asks else 0.0
    f["decision_x_vote"] = float(bool(c.vote) or detectors.has_vote(c.text)) if "decision" in asks else 0.0
    f["decision_x_words"] = float(has_decision_words) if "decision" in asks else 0.0
    f["decision_x_minutes"] = float(p.doc_type == "minutes") if "decision" in asks else 0.0
    f["define_x_defines"] = float(any(detectors.defines(c.text, a) for a in q.acronyms)) if q.acronyms else 0.0
    f["year_match"] = float(bool(q.years) and any(y in years_here for y in q.years))
    f["year_miss"] = float(bool(q.years) and not any(y in years_here for y in q.years))
    months_here = {int(meeting[5:7])} if len(meeting) >= 7 else set()
    f["month_match"] = float(bool(q.months) and bool(set(q.months) & months_here))
    return f


def vector(features: dict[str, float]) -> list[float]:
    return [features[name] for name in FEATURES]
