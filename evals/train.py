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
import functools
import logging
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from assistant.answer import is_fragment, quoting_order, with_antecedents
from assistant.features import FEATURES, vector
from assistant.quoting import Quote, render
from assistant.scorer import MODEL_PATH, AnswerScorer, ScorerError
from evals.matching import FOUND_SHARE, contains, tokens
from evals.metrics import CONCISE_CHARS
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
    """One question's candidates as training rows, with what is needed to replay its answer."""

    qid: str
    body: str
    answerable: bool
    x: np.ndarray
    """Features, one row per candidate (columns: :data:`assistant.features.FEATURES`)."""
    y: np.ndarray
    """1 where the candidate answers the question."""
    texts: list[str] = field(default_factory=list)
    places: list[tuple[str, int]] = field(default_factory=list)
    """(passage, position) of each candidate."""
    refers: list[bool] = field(default_factory=list)
    """Whether each candidate refers back to the sentence before it."""
    must: list[str] = field(default_factory=list)
    """The question's must_contain strings (empty for unanswerable questions)."""
    asked: Asked | None = None
    """The question as it was scored (``extract(keep=True)``): to answer it under another scorer
    without searching again."""
    replayed: dict[tuple[int, tuple[int, ...]], tuple[bool, int]] = field(default_factory=dict, repr=False)
    """(right, characters) of each answer replayed, by (fragment words, candidates quoted): folds and
    quoting numbers replay the same answers many times over."""


@dataclass
class Asked:
    """One question as the assistant scored it while features were extracted: enough to compose its
    answer under any scorer (candidates' features depend on no scorer), without searching again."""

    scored: Any
    """Its :class:`assistant.service.Scored`, with how long scoring took."""
    context: Any = None
    """A follow-up's context question, scored (None for other questions)."""
    context_quoted: list[str] = field(default_factory=list)
    """Ids of the sentences the context question's answer quoted then: the follow-up's candidates
    (each saying whether it was quoted before) hold under a scorer whose context answer quotes the same."""


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
    assistant = Assistant(settings, scorer=scorer or context_scorer())
    report = Ingestor(settings, assistant.index, assistant.embedder).sync_folder(corpus)
    if report.failed:
        log.warning("files that failed to ingest: %s", report.failed)
    assistant.refresh()
    assistant.warm_up()
    return assistant


def context_scorer() -> AnswerScorer:
    """The scorer that answers a follow-up's earlier question while features are extracted: the
    shipped one when it fits the current features (so "quoted before" means what it will at run
    time), else :func:`neutral_scorer`. Only the context answers depend on it, never the labels."""
    try:
        return AnswerScorer.load(MODEL_PATH)
    except ScorerError:
        return neutral_scorer()


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


def extract(assistant: Any, questions: Sequence[dict[str, Any]], keep: bool = False) -> list[Example]:
    """Every question's candidates with features and labels (follow-ups after their context
    question); with ``keep``, each example also keeps the question as scored (:class:`Asked`).
    Summary questions (``"kind": "summary"``) are left out: an outline of the document answers them,
    not the scorer, so their area and item names would only teach it to quote headings."""
    from assistant.service import ChatSession

    filters = body_filters(assistant)
    out = []
    for q in tqdm([q for q in questions if q.get("kind") != "summary"], desc="features", unit="q"):
        session = ChatSession()
        flt = filters.get(q["body"])
        context, quoted = None, []
        if q.get("context_question"):  # asked as ``ask`` would: scored, then answered
            context = assistant.score(q["context_question"], session=session, filters=flt)
            quoted = assistant.respond(context, session).quoted_ids
        scored = assistant.score(q["question"], session=session, filters=flt)
        cands = scored.candidates
        x = np.array([vector(c.features) for c in cands], dtype=np.float64).reshape(-1, len(FEATURES))
        y = np.array([label(q, c.text) for c in cands], dtype=np.int64)
        out.append(
            Example(
                q["id"], q["body"], answerable(q), x, y,
                texts=[c.text for c in cands],
                places=[(c.chunk_id, c.ordinal) for c in cands],
                refers=[bool(c.context) for c in cands],
                must=list(q.get("must_contain") or []) if answerable(q) else [],
                asked=Asked(scored, context, quoted) if keep else None,
            )
        )  # fmt: skip
    return out


def fit(
    examples: Sequence[Example], threshold: float = 0.5, keep_ratio: float = 0.6, max_sentences: int = 3
) -> AnswerScorer:
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
        max_sentences=max_sentences,
    )


def probabilities(scorer: AnswerScorer, example: Example) -> np.ndarray:
    """The scorer's probability for every candidate of one question (the same sum as
    :meth:`AnswerScorer.probability`, for all rows at once)."""
    if not len(example.x):
        return np.zeros(0)
    z = ((example.x - np.array(scorer.mean)) / np.array(scorer.scale)) @ np.array(scorer.weights) + scorer.bias
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


@dataclass
class HeldOut:
    """One question's candidates scored by a model that never saw its body."""

    example: Example
    probs: np.ndarray

    @property
    def best(self) -> float:
        return float(self.probs.max()) if len(self.probs) else 0.0


def held_out(examples: Sequence[Example], groups: int | None = None) -> list[HeldOut]:
    """Each body's questions scored by a model fitted on other bodies only: leave-one-council-out,
    or with ``groups``, bodies dealt into that many groups and each group left out in turn (fewer
    fits, for choosing the answer's numbers inside a fold)."""
    slugs = sorted({e.body for e in examples})
    k = len(slugs) if groups is None else min(groups, len(slugs))
    out = []
    for g in range(k):
        left_out = set(slugs[g::k])
        model = fit([e for e in examples if e.body not in left_out])
        out += [HeldOut(e, probabilities(model, e)) for e in examples if e.body in left_out]
    return out


KEEP_RATIOS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
CONCISE_WEIGHT = 0.5
"""How much a short answer (at most 600 characters) counts beside a right one when choosing how
many sentences to quote: five sentences answer a few more questions, but in answers few read."""
MAX_SENTENCES = (1, 2, 3, 4)
"""How many sentences an answer may quote. Measured on the held-out curve (745 questions): up to 3,
accuracy 0.626 and abstention 0.24; up to 4, 0.650 and 0.20; up to 5 chose five sentences for
0.660, in answers few read (concise accuracy 0.49)."""


@dataclass
class Replay:
    """The answers one held-out question can get: the best sentence alone, then with each further
    sentence that clears the threshold (further sentences go in order of score, so a threshold
    keeps a prefix of them)."""

    extra_scores: np.ndarray
    """Probabilities of the further sentences, in quoting order (descending)."""
    right: list[bool]
    """For each prefix (best alone, best + 1, …): whether it holds every must_contain string."""
    chars: list[int]
    """For each prefix: the answer's length as quoted."""

    def at(self, threshold: float) -> tuple[bool, int]:
        k = int((self.extra_scores >= threshold).sum())
        return self.right[k], self.chars[k]

    def first(self, n: int) -> Replay:
        """The replay of the same answer allowed at most ``n`` sentences."""
        return Replay(self.extra_scores[: n - 1], self.right[:n], self.chars[:n])


@functools.cache
def _fragment_words() -> int:
    """The assistant's ``answer_fragment_words`` (read once: replays run by the thousand)."""
    return Settings.from_env().answer_fragment_words


def replay(h: HeldOut, keep_ratio: float, max_sentences: int, fragment_words: int | None = None) -> Replay:
    """The answers the assistant would give this question, as :func:`assistant.answer.select` quotes them."""
    e = h.example
    if not len(h.probs):
        return Replay(np.zeros(0), [False], [0])
    if fragment_words is None:
        fragment_words = _fragment_words()
    relevant = list(e.x[:, FEATURES.index("lex_all")] > 0)
    order = quoting_order(list(h.probs), e.texts, keep_ratio, max_sentences, relevant)
    at = {place: i for i, place in enumerate(e.places)}
    right, chars = [], []
    for k in range(1, len(order) + 1):
        quoted = with_antecedents(order[:k], e.places, e.refers)
        # A fragment brings the sentence after it, as composing does (when it is a candidate too).
        fragments = [i for i in quoted if is_fragment(e.texts[i], fragment_words)]
        after = [at.get((e.places[i][0], e.places[i][1] + 1)) for i in fragments]
        quoted += [j for j in dict.fromkeys(after) if j is not None and j not in quoted]
        quoted = sorted(quoted, key=lambda i: e.places[i])
        key = (fragment_words, tuple(quoted))
        if key not in e.replayed:
            text = render([Quote(e.texts[i], e.places[i][0], e.places[i][1], 1) for i in quoted])
            e.replayed[key] = (bool(e.must) and all(contains(text, m) for m in e.must), len(text))
        right.append(e.replayed[key][0])
        chars.append(e.replayed[key][1])
    return Replay(np.array([h.probs[i] for i in order[1:]]), right, chars)


def curve(scored: Sequence[HeldOut], keep_ratio: float = 0.6, max_sentences: int = 3) -> list[dict[str, float]]:
    """For each threshold: held-out abstention (on unanswerable), false abstention (on answerable),
    and accuracy and concise accuracy of the answers replayed as the assistant would give them."""
    return replayed_curve(scored, [replay(h, keep_ratio, max_sentences) for h in scored])


def replayed_curve(scored: Sequence[HeldOut], replays: Sequence[Replay]) -> list[dict[str, float]]:
    """:func:`curve` from the questions' replays (one per question of ``scored``, in order)."""
    grid = np.array(THRESHOLD_GRID)
    best = np.array([h.best for h in scored])
    ans = np.array([h.example.answerable for h in scored], dtype=bool)
    # ok[t, q], short[t, q]: whether question q's answer at threshold t holds the strings, and is short.
    ok = np.zeros((len(grid), len(replays)), dtype=bool)
    short = np.zeros_like(ok)
    for q, r in enumerate(replays):
        k = (r.extra_scores[None, :] >= grid[:, None]).sum(axis=1)
        ok[:, q] = np.array(r.right)[k]
        short[:, q] = np.array(r.chars)[k] <= CONCISE_CHARS
    answered = best[None, :] >= grid[:, None]
    right = (answered & ans & ok) | (~answered & ~ans)
    n = max(1, len(replays))
    abstained_unanswerable = (~answered & ~ans).sum(axis=1) / max(1, (~ans).sum())
    abstained_answerable = (~answered & ans).sum(axis=1) / max(1, ans.sum())
    return [
        {
            "threshold": float(t),
            "abstention": float(abstained_unanswerable[i]),
            "false_abstention": float(abstained_answerable[i]),
            "accuracy": float(right[i].sum() / n),
            "concise_accuracy": float((right[i] & (~answered[i] | short[i])).sum() / n),
        }
        for i, t in enumerate(grid)
    ]


DECLINE_PREFERENCE = 0.02
"""Held-out accuracy a higher threshold may give up against the best one and still be chosen: a
decline beats a wrong answer presented confidently, and the accuracy curve is flat near its top
(within about a dozen questions of 745), so its exact peak moves with any small change. Chosen
by nested leave-one-council-out: 0 gave accuracy 0.630 and abstention 0.13; 0.02 gave 0.639 and
0.22 (false abstention 0.026 -> 0.033); 0.05 gave 0.619 and 0.29."""


def choose_threshold(points: Sequence[dict[str, float]], tolerance: float = DECLINE_PREFERENCE) -> float:
    """The highest threshold whose held-out accuracy is within ``tolerance`` of the best."""
    best = max(p["accuracy"] for p in points)
    return max(p["threshold"] for p in points if p["accuracy"] >= best - tolerance - 1e-9)


def choose_answer_numbers(scored: Sequence[HeldOut]) -> tuple[float, float, int, list[dict[str, float]]]:
    """(threshold, keep_ratio, max_sentences) where held-out accuracy plus :data:`CONCISE_WEIGHT`
    times concise accuracy is highest (fewer sentences on a tie), and the curve there."""
    best_key: tuple[float, int] | None = None
    chosen: tuple[float, float, int, list[dict[str, float]]] = (0.5, 0.6, 3, [])
    for ratio in KEEP_RATIOS:
        # Quoting picks sentences greedily, so the answer allowed n sentences is the first n of the
        # answer allowed the most: replay that one, cut it for each n.
        longest = [replay(h, ratio, max(MAX_SENTENCES)) for h in scored]
        for n in MAX_SENTENCES:
            points = replayed_curve(scored, [r.first(n) for r in longest])
            t = choose_threshold(points)
            at = next(p for p in points if p["threshold"] == t)
            key = (round(at["accuracy"] + CONCISE_WEIGHT * at["concise_accuracy"], 6), -n)
            if best_key is None or key > best_key:
                best_key, chosen = key, (t, ratio, n, points)
    return chosen


def fit_tuned(examples: Sequence[Example], groups: int | None = None) -> AnswerScorer:
    """Fit on ``examples``, with threshold, keep_ratio and max_sentences chosen on answers of
    bodies left out in turn (leave-one-out, or ``groups`` groups of bodies)."""
    threshold, ratio, n, _ = choose_answer_numbers(held_out(examples, groups))
    return fit(examples, threshold=threshold, keep_ratio=ratio, max_sentences=n)


def train(examples: Sequence[Example]) -> AnswerScorer:
    """Fit on every body, with the answer's numbers from the leave-one-council-out replay."""
    threshold, ratio, n, points = choose_answer_numbers(held_out(examples))
    scorer = fit(examples, threshold=threshold, keep_ratio=ratio, max_sentences=n)
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
