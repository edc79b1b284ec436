"""Train the answer scorer on the labelled question sets of every body and store it as JSON.

    python -m evals.train [--out assistant/scorer.json]

One index holds the papers of every body (built once under ``.scrutineer/loco/``, reused while the
papers are unchanged); each question is answered from its own body's papers only. Every candidate
sentence the assistant considers becomes one row: its features, and label 1 when it holds a
``must_contain`` string of the question and matches its evidence. A logistic regression is fitted
on all rows; its decline threshold comes from the leave-one-council-out curve (each body's
questions scored by a model fitted without that body), chosen where held-out accuracy is highest.
"""

from __future__ import annotations

import argparse
import logging
import math
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from assistant.features import FEATURES, vector
from assistant.scorer import MODEL_PATH, AnswerScorer
from evals.matching import FOUND_SHARE, contains, tokens
from evals.questionsets import PDF_FOLDERS, all_questions, answerable, bodies, body_of, quotes
from ingest.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

WORK_DIR = PROJECT_ROOT / ".scrutineer" / "loco"
"""Where the all-bodies corpus copy and its index live (git-ignored)."""
REGULARISATION_C = 0.5
"""Inverse L2 strength of the logistic regression (scikit-learn's C)."""
THRESHOLD_GRID = tuple(round(0.02 * i, 2) for i in range(1, 50))
EVIDENCE_OVERLAP = 0.5
"""Share of a sentence's tokens that must be in an evidence quote for it to count as that evidence."""


@dataclass
class Example:
    """One question's candidates as training rows."""

    qid: str
    body: str
    answerable: bool
    x: np.ndarray
    """Features, one row per candidate (columns: :data:`assistant.features.FEATURES`)."""
    y: np.ndarray
    """1 where the candidate answers the question."""


def body_filters(assistant: Any) -> dict[str, dict[str, Any]]:
    """Each body's search filter: the ids of the documents its PDFs hold."""
    by_body: dict[str, list[str]] = {}
    for row in assistant.index.records("document"):
        slug = body_of(str(row.metadata.get("source_file", "")))
        if slug:
            by_body.setdefault(slug, []).append(str(row.metadata["doc_id"]))
    return {slug: {"doc_id": sorted(ids)} for slug, ids in by_body.items()}


def prepare_corpus(work_dir: Path = WORK_DIR) -> Path:
    """A folder holding every body's PDFs (copies; the index is built from it)."""
    corpus = work_dir / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for folder in PDF_FOLDERS for p in folder.glob("*.pdf") if body_of(p.name)}
    for name, src in wanted.items():
        dst = corpus / name
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            shutil.copyfile(src, dst)
    for stale in corpus.glob("*.pdf"):
        if stale.name not in wanted:
            stale.unlink()
    return corpus


def open_assistant(work_dir: Path = WORK_DIR, scorer: AnswerScorer | None = None) -> Any:
    """The assistant over the all-bodies index, built or brought up to date first."""
    from assistant.service import Assistant
    from ingest.pipeline import Ingestor

    corpus = prepare_corpus(work_dir)
    settings = Settings.from_env(corpus_dir=corpus, index_dir=work_dir / "index", collection_prefix="loco")
    assistant = Assistant(settings, scorer=scorer or neutral_scorer())
    report = Ingestor(settings, assistant.index, assistant.embedder).sync_folder(corpus)
    if report.failed:
        log.warning("files that failed to ingest: %s", report.failed)
    assistant.refresh()
    assistant.warm_up()
    return assistant


def neutral_scorer() -> AnswerScorer:
    """All weights zero: every candidate scores 0.5 (for extracting features before any training)."""
    n = len(FEATURES)
    return AnswerScorer(list(FEATURES), [0.0] * n, [1.0] * n, [0.0] * n, 0.0, 0.5)


def label(question: dict[str, Any], text: str) -> int:
    """1 when the sentence holds a must_contain string and is (part of) the evidence, or holds
    every must_contain string of a question without evidence."""
    if not answerable(question):
        return 0
    must = question.get("must_contain") or []
    held = [contains(text, m) for m in must]
    if not any(held):
        return 0
    evidence = quotes(question)
    if not evidence:
        return int(all(held))
    have = tokens(text)
    if not have:
        return 0
    for quote in evidence:
        wanted = set(tokens(quote))
        if sum(t in wanted for t in have) >= EVIDENCE_OVERLAP * len(have):
            return 1
        if wanted and sum(t in set(have) for t in wanted) >= FOUND_SHARE * len(wanted):
            return 1
    return 0


def extract(assistant: Any, questions: Sequence[dict[str, Any]]) -> list[Example]:
    """Every question's candidates with features and labels (follow-ups after their context question)."""
    from assistant.service import ChatSession

    filters = body_filters(assistant)
    out = []
    for q in tqdm(questions, desc="features", unit="q"):
        session = ChatSession()
        flt = filters.get(q["body"])
        if q.get("context_question"):
            assistant.ask(q["context_question"], session=session, filters=flt)
        scored = assistant.score(q["question"], session=session, filters=flt)
        rows = [vector(c.features) for c in scored.candidates]
        ys = [label(q, c.text) for c in scored.candidates]
        x = np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES))
        out.append(Example(q["id"], q["body"], answerable(q), x, np.array(ys, dtype=np.int64)))
    return out


def fit(examples: Sequence[Example], threshold: float = 0.5, keep_ratio: float = 0.6) -> AnswerScorer:
    """A logistic regression on the rows of ``examples`` (standardised; classes balanced)."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([e.x for e in examples if len(e.x)])
    y = np.concatenate([e.y for e in examples if len(e.x)])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=REGULARISATION_C, class_weight="balanced", max_iter=5000)
    model.fit((x - mean) / scale, y)
    return AnswerScorer(
        features=list(FEATURES),
        mean=[round(float(v), 6) for v in mean],
        scale=[round(float(v), 6) for v in scale],
        weights=[round(float(v), 6) for v in model.coef_[0]],
        bias=round(float(model.intercept_[0]), 6),
        threshold=threshold,
        keep_ratio=keep_ratio,
    )


def best_scores(scorer: AnswerScorer, example: Example) -> tuple[float, int]:
    """The top candidate's probability and whether it answers (its label)."""
    if not len(example.x):
        return 0.0, 0
    z = ((example.x - np.array(scorer.mean)) / np.array(scorer.scale)) @ np.array(scorer.weights) + scorer.bias
    p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    i = int(np.argmax(p))
    return float(p[i]), int(example.y[i])


@dataclass
class HeldOut:
    """One question scored by a model that never saw its body."""

    qid: str
    body: str
    answerable: bool
    best: float
    right: int
    """1 when the top candidate answers the question."""


def held_out(examples: Sequence[Example], groups: int | None = None) -> list[HeldOut]:
    """Each body's questions scored by a model fitted on other bodies only: leave-one-council-out,
    or with ``groups``, bodies dealt into that many groups and each group left out in turn (fewer
    fits, for choosing a threshold inside a fold)."""
    slugs = sorted({e.body for e in examples})
    k = len(slugs) if groups is None else min(groups, len(slugs))
    out = []
    for g in range(k):
        left_out = set(slugs[g::k])
        model = fit([e for e in examples if e.body not in left_out])
        for e in examples:
            if e.body in left_out:
                best, right = best_scores(model, e)
                out.append(HeldOut(e.qid, e.body, e.answerable, best, right))
    return out


def curve(scored: Sequence[HeldOut]) -> list[dict[str, float]]:
    """For each threshold: held-out abstention (on unanswerable), false abstention (on answerable)
    and accuracy (answerable answered by a right top sentence, unanswerable declined)."""
    ans = [s for s in scored if s.answerable]
    una = [s for s in scored if not s.answerable]
    rows = []
    for t in THRESHOLD_GRID:
        right = sum(s.best >= t and s.right for s in ans) + sum(s.best < t for s in una)
        rows.append(
            {
                "threshold": t,
                "abstention": sum(s.best < t for s in una) / max(1, len(una)),
                "false_abstention": sum(s.best < t for s in ans) / max(1, len(ans)),
                "accuracy": right / max(1, len(scored)),
            }
        )
    return rows


def choose_threshold(points: Sequence[dict[str, float]]) -> float:
    """The threshold of highest held-out accuracy (the higher one on a tie: declining beats a wrong answer)."""
    best = max(p["accuracy"] for p in points)
    return max(p["threshold"] for p in points if math.isclose(p["accuracy"], best))


def train(examples: Sequence[Example]) -> AnswerScorer:
    """Fit on every body, with the threshold from the leave-one-council-out curve."""
    points = curve(held_out(examples))
    threshold = choose_threshold(points)
    scorer = fit(examples, threshold=threshold)
    at = next(p for p in points if p["threshold"] == threshold)
    scorer.trained = {
        "bodies": sorted({e.body for e in examples}),
        "questions": len(examples),
        "rows": int(sum(len(e.x) for e in examples)),
        "positive_rows": int(sum(int(e.y.sum()) for e in examples)),
        "regularisation_c": REGULARISATION_C,
        "held_out_at_threshold": {k: round(v, 4) for k, v in at.items()},
    }
    return scorer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the scorer's JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    assistant = open_assistant()
    examples = extract(assistant, all_questions())
    scorer = train(examples)
    scorer.save(args.out)
    held = scorer.trained["held_out_at_threshold"]
    sys.stdout.write(
        f"trained on {scorer.trained['questions']} questions of {len(bodies())} bodies "
        f"({scorer.trained['rows']} rows); threshold {scorer.threshold} "
        f"(held-out proxy accuracy {held['accuracy']}, abstention {held['abstention']}, "
        f"false abstention {held['false_abstention']}) → {args.out}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
