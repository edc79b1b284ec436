"""Metrics exactly as ../shared/EVAL_CONTRACT.md defines them, from questions and result rows."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

import numpy as np

from evals.matching import contains, found

HIT_KS = (1, 3, 5, 10)
CONCISE_CHARS = 600
METRIC_KEYS = (
    "accuracy",
    "concise_accuracy",
    "false_abstention",
    "abstention",
    "hit@1",
    "hit@3",
    "hit@5",
    "hit@10",
    "mrr@10",
    "citation_accuracy",
    "median_answer_chars",
    "latency_p50_ms",
    "latency_p95_ms",
)


def evidence_quotes(question: dict[str, Any]) -> list[str]:
    ev = question.get("evidence")
    if not ev:
        return []
    return [ev] if isinstance(ev, str) else [q for q in ev if q]


def is_unanswerable(question: dict[str, Any]) -> bool:
    """``type`` is unanswerable, or the question has neither answers nor must_contain."""
    return question.get("type") == "unanswerable" or (not question.get("answers") and not question.get("must_contain"))


def is_correct(question: dict[str, Any], result: dict[str, Any]) -> bool | None:
    """True/False, or None when the question is not scored for accuracy."""
    if is_unanswerable(question):
        return bool(result.get("abstained"))
    must = question.get("must_contain") or []
    if not must:
        return None
    return not result.get("abstained") and all(contains(result.get("answer", ""), m) for m in must)


def _texts(passages: Sequence[dict[str, Any]]) -> list[str]:
    return [p.get("text", "") for p in passages]


def hit_at(question: dict[str, Any], result: dict[str, Any], k: int) -> bool | None:
    quotes = evidence_quotes(question)
    if not quotes:
        return None
    top = _texts(result.get("retrieved", [])[:k])
    return all(any(found(q, t) for t in top) for q in quotes)


def reciprocal_rank(question: dict[str, Any], result: dict[str, Any], k: int = 10) -> float | None:
    quotes = evidence_quotes(question)
    if not quotes:
        return None
    for rank, text in enumerate(_texts(result.get("retrieved", [])[:k]), start=1):
        if found(quotes[0], text):
            return 1.0 / rank
    return 0.0


def cited_evidence(question: dict[str, Any], result: dict[str, Any]) -> bool | None:
    """For a correct answerable question with evidence: every evidence quote is found in at
    least one cited passage (for a single quote, exactly the contract's rule)."""
    quotes = evidence_quotes(question)
    if not quotes or is_unanswerable(question) or not is_correct(question, result):
        return None
    cited = _texts(result.get("citations", []))
    return all(any(found(q, t) for t in cited) for q in quotes)


def _share(values: list[bool | None]) -> float | None:
    scored = [v for v in values if v is not None]
    return sum(scored) / len(scored) if scored else None


def _mean(values: list[float | None]) -> float | None:
    scored = [v for v in values if v is not None]
    return sum(scored) / len(scored) if scored else None


def compute(questions: Sequence[dict[str, Any]], results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The contract's metrics over paired questions and results (same order)."""
    correct = [is_correct(q, r) for q, r in zip(questions, results, strict=True)]
    concise = [
        None if c is None else (c and len(r.get("answer", "")) <= CONCISE_CHARS)
        for c, r in zip(correct, results, strict=True)
    ]
    unanswerable = [is_unanswerable(q) for q in questions]
    abst = [bool(r.get("abstained")) for r in results]
    latencies = [float(r.get("latency_ms", 0.0)) for r in results]
    out: dict[str, Any] = {
        "accuracy": _share(correct),
        "concise_accuracy": _share(concise),
        "false_abstention": _share([a for a, u in zip(abst, unanswerable, strict=True) if not u] or [None]),
        "abstention": _share([a for a, u in zip(abst, unanswerable, strict=True) if u] or [None]),
    }
    for k in HIT_KS:
        out[f"hit@{k}"] = _share([hit_at(q, r, k) for q, r in zip(questions, results, strict=True)])
    out["mrr@10"] = _mean([reciprocal_rank(q, r) for q, r in zip(questions, results, strict=True)])
    out["citation_accuracy"] = _share([cited_evidence(q, r) for q, r in zip(questions, results, strict=True)])
    out["median_answer_chars"] = statistics.median(len(r.get("answer", "")) for r in results) if results else None
    out["latency_p50_ms"] = float(np.percentile(latencies, 50)) if latencies else None
    out["latency_p95_ms"] = float(np.percentile(latencies, 95)) if latencies else None
    return {key: _round(out[key]) for key in METRIC_KEYS}


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def by_type(questions: Sequence[dict[str, Any]], results: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    types = sorted({q.get("type") or "untyped" for q in questions})
    out = {}
    for t in types:
        pairs = [(q, r) for q, r in zip(questions, results, strict=True) if (q.get("type") or "untyped") == t]
        out[t] = compute([q for q, _ in pairs], [r for _, r in pairs])
    return out
