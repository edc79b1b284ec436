"""Leave-one-council-out evaluation: for each body, fit the answer scorer (and its threshold) on
the other bodies only, answer that body's questions from its own papers, and score the answers
as the evaluation contract says. The figures a new council can expect.

    python -m evals.loco [--out evals/results/latest] [--no-baseline]

Writes ``loco.json`` and ``loco.md`` (per body and overall, with the LangChain-tutorial baseline
answering from the same body's papers, and the held-out curve of abstention against false
abstention from which the shipped threshold is chosen).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evals import metrics
from evals.questionsets import all_questions, bodies, body_pdfs
from evals.run import DEFAULT_OUT, _row, git_commit
from evals.train import (
    WORK_DIR,
    Example,
    body_filters,
    choose_answer_numbers,
    extract,
    fit_tuned,
    held_out,
    open_assistant,
)

log = logging.getLogger(__name__)

HEADLINE = ("accuracy", "false_abstention", "abstention", "hit@5", "mrr@10", "citation_accuracy", "concise_accuracy")


INNER_GROUPS = 4
"""Groups of training bodies left out in turn to choose a fold's threshold (nested, never seeing the fold)."""


def fold_scorer(examples: Sequence[Example], body: str) -> Any:
    """The scorer fitted without ``body``; its threshold and quoting numbers chosen on answers
    replayed for groups of the other bodies left out in turn (the fold never sees its own)."""
    return fit_tuned([e for e in examples if e.body != body], groups=INNER_GROUPS)


def shipped_curve(examples: Sequence[Example]) -> dict[str, Any]:
    """The leave-one-council-out curve the shipped scorer's numbers are chosen from."""
    threshold, ratio, n, points = choose_answer_numbers(held_out(examples))
    return {"threshold": threshold, "keep_ratio": ratio, "max_sentences": n, "points": points}


REPLAY_CHECKS = 2
"""Questions of each body (its first, and its first follow-up or else its second) also asked from
scratch, to check that the answers composed from extracted candidates are the answers asking gives."""


class ReplayMismatch(RuntimeError):
    """An answer composed from the extracted candidates differs from the one asking gives."""


def ask_question(assistant: Any, q: dict[str, Any], filters: dict[str, Any] | None) -> Any:
    """The assistant's answer to one question, asked from scratch (a follow-up after its context question)."""
    from assistant.service import ChatSession

    session = ChatSession()
    if q.get("context_question"):
        assistant.ask(q["context_question"], session=session, filters=filters)
    return assistant.ask(q["question"], session=session, filters=filters)


def replayed(assistant: Any, example: Example | None) -> Any:
    """The answer under the assistant's current scorer, composed from the candidates scored when the
    question was asked for its features (no second search; latency: scoring then, composing now).
    None when there are none kept, or they do not hold: a follow-up whose context question the
    current scorer answers with other sentences than when it was asked."""
    from assistant.service import ChatSession

    asked = example.asked if example is not None else None
    if asked is None:
        return None
    session = ChatSession()
    if asked.context is not None:
        before = assistant.respond(asked.context.rescore(assistant.scorer), session)
        if before.quoted_ids != asked.context_quoted:
            return None
    return assistant.respond(asked.scored.rescore(assistant.scorer), session)


def _checked(questions: Sequence[dict[str, Any]]) -> list[str]:
    """Ids of the questions :data:`REPLAY_CHECKS` asks from scratch too."""
    follow_ups = [q["id"] for q in questions if q.get("context_question")]
    ids = [q["id"] for q in questions[:1]] + follow_ups[:1]
    ids += [q["id"] for q in questions if q["id"] not in ids]
    return ids[:REPLAY_CHECKS]


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {k: v for k, v in a.items() if k != "latency_ms"} == {k: v for k, v in b.items() if k != "latency_ms"}


def answer_body(
    assistant: Any,
    questions: Sequence[dict[str, Any]],
    filters: dict[str, Any] | None,
    examples: dict[str, Example] | None = None,
) -> tuple[list[dict], Counter[str]]:
    """Rows for the body's questions, and how they were answered (``replayed``, ``asked``,
    ``checked``): composed from ``examples`` (by question id) where those hold, else asked; the
    questions of :func:`_checked` asked as well and compared (ReplayMismatch when they differ)."""
    rows = []
    how: Counter[str] = Counter()
    checked = set(_checked(questions)) if examples else set()
    for q in questions:
        answer = replayed(assistant, examples.get(q["id"])) if examples else None
        how["replayed" if answer is not None else "asked"] += 1
        if answer is None:
            answer = ask_question(assistant, q, filters)
        elif q["id"] in checked:
            fresh = ask_question(assistant, q, filters).contract()
            if not _same(answer.contract(), fresh):
                raise ReplayMismatch(f"{q['id']}: the composed answer differs from the asked one: {fresh['answer']!r}")
            how["checked"] += 1
        rows.append(_row(q, answer.contract()))
    return rows, how


def baseline_body(assistant: Any, slug: str, questions: Sequence[dict[str, Any]]) -> list[dict]:
    from evals.baseline import Baseline

    with tempfile.TemporaryDirectory(prefix=f"scrutineer-loco-{slug}-") as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        for pdf in body_pdfs(slug):
            shutil.copyfile(pdf, folder / pdf.name)
        baseline = Baseline(folder, assistant.embedder, Path(tmp) / "chroma")
        return [_row(q, baseline.ask(q["question"])) for q in questions]


def evaluate(with_baseline: bool = True, work_dir: Path = WORK_DIR) -> dict[str, Any]:
    """Every fold answered and scored; ``work_dir`` holds the all-bodies index (reused when current).
    Each question is searched once: its candidates, extracted for the scorer's training, are rescored
    by each fold's scorer and composed into its answer (``answered`` counts how; see :func:`answer_body`)."""
    questions = all_questions()
    assistant = open_assistant(work_dir)
    examples = extract(assistant, questions, keep=True)
    by_id = {e.qid: e for e in examples}
    filters = body_filters(assistant)
    how: Counter[str] = Counter()
    by_body: dict[str, Any] = {}
    all_q: list[dict] = []
    all_r: list[dict] = []
    all_b: list[dict] = []
    for slug in tqdm(sorted({q["body"] for q in questions}), desc="folds", unit="body"):
        qs = [q for q in questions if q["body"] == slug]
        assistant.scorer = fold_scorer(examples, slug)
        rows, answered = answer_body(assistant, qs, filters.get(slug), by_id)
        how += answered
        entry: dict[str, Any] = {
            "n": len(qs),
            "threshold": assistant.scorer.threshold,
            "scrutineer": metrics.compute(qs, rows),
        }
        if with_baseline:
            base = baseline_body(assistant, slug, qs)
            entry["baseline"] = metrics.compute(qs, base)
            all_b += base
        by_body[slug] = entry
        all_q += qs
        all_r += rows
    summary: dict[str, Any] = {
        "commit": git_commit(),
        "n": len(all_q),
        "bodies": len(by_body),
        "overall": metrics.compute(all_q, all_r),
        "by_type": metrics.by_type(all_q, all_r),
        "baseline": metrics.compute(all_q, all_b) if with_baseline else None,
        "by_body": by_body,
        "curve": shipped_curve(examples),
        "answered": dict(sorted(how.items())),
        "results": all_r,
    }
    return summary


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def write(summary: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    results = summary.pop("results")
    (out / "loco.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    with (out / "loco_results.jsonl").open("w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    names = {b.slug: b.name for b in bodies()}
    lines = [
        "# Leave-one-council-out evaluation",
        "",
        f"Commit `{summary['commit']}`. {summary['n']} questions over {summary['bodies']} bodies. For each body the",
        "answer scorer and its decline threshold were fitted on the other bodies' questions only; the body's",
        "questions were then answered from its own papers. Baseline: the LangChain tutorial recipe (top chunk",
        "as the answer) over the same body's papers. Answers scored as `../shared/EVAL_CONTRACT.md` defines.",
        "",
        "| body | n | accuracy | false abst. | abstention | hit@5 | MRR@10 | citation | baseline accuracy |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for slug, e in summary["by_body"].items():
        s, b = e["scrutineer"], e.get("baseline") or {}
        lines.append(
            f"| {names.get(slug, slug)} | {e['n']} | {_fmt(s['accuracy'])} | {_fmt(s['false_abstention'])} | "
            f"{_fmt(s['abstention'])} | {_fmt(s['hit@5'])} | {_fmt(s['mrr@10'])} | {_fmt(s['citation_accuracy'])} | "
            f"{_fmt(b.get('accuracy'))} |"
        )
    o, b = summary["overall"], summary.get("baseline") or {}
    lines.append(
        f"| **all** | {summary['n']} | **{_fmt(o['accuracy'])}** | {_fmt(o['false_abstention'])} | "
        f"{_fmt(o['abstention'])} | {_fmt(o['hit@5'])} | {_fmt(o['mrr@10'])} | {_fmt(o['citation_accuracy'])} | "
        f"{_fmt(b.get('accuracy'))} |"
    )
    lines += ["", "## By question type (held out)", "", "| type | n | accuracy |", "|---|---|---|"]
    counts = Counter(q.get("type") or "untyped" for q in all_questions())
    for t, m in summary["by_type"].items():
        lines.append(f"| {t} | {counts[t]} | {_fmt(m['accuracy'])} |")
    lines += [
        "",
        "## Decline threshold: held-out abstention against false abstention",
        "",
        "Each point: every body's questions scored by a model fitted without that body, and the answer",
        "the assistant would give replayed and matched as the contract does. The shipped scorer's",
        f"threshold is {summary['curve']['threshold']} (quoting sentences within "
        f"{summary['curve']['keep_ratio']} of the best, at most {summary['curve']['max_sentences']}).",
        "",
        "| threshold | abstention | false abstention | accuracy | concise accuracy |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {p['threshold']:.2f} | {p['abstention']:.2f} | {p['false_abstention']:.2f} | {p['accuracy']:.3f} | "
        f"{p['concise_accuracy']:.3f} |"
        for p in summary["curve"]["points"]
        if round(p["threshold"] * 50) % 2 == 0
    ]
    (out / "loco.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary["results"] = results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.loco", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    summary = evaluate(with_baseline=not args.no_baseline)
    write(summary, args.out)
    o = summary["overall"]
    sys.stdout.write(
        f"{summary['n']} questions, {summary['bodies']} bodies, held out: accuracy {o['accuracy']}, "
        f"false abstention {o['false_abstention']}, abstention {o['abstention']}, hit@5 {o['hit@5']} → "
        f"{args.out / 'loco.md'}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
