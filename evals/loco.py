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


def answer_body(assistant: Any, questions: Sequence[dict[str, Any]], filters: dict[str, Any] | None) -> list[dict]:
    from assistant.service import ChatSession

    rows = []
    for q in questions:
        session = ChatSession()
        if q.get("context_question"):
            assistant.ask(q["context_question"], session=session, filters=filters)
        rows.append(_row(q, assistant.ask(q["question"], session=session, filters=filters).contract()))
    return rows


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
    """Every fold answered and scored; ``work_dir`` holds the all-bodies index (reused when current)."""
    questions = all_questions()
    assistant = open_assistant(work_dir)
    examples = extract(assistant, questions)
    filters = body_filters(assistant)
    by_body: dict[str, Any] = {}
    all_q: list[dict] = []
    all_r: list[dict] = []
    all_b: list[dict] = []
    for slug in tqdm(sorted({q["body"] for q in questions}), desc="folds", unit="body"):
        qs = [q for q in questions if q["body"] == slug]
        assistant.scorer = fold_scorer(examples, slug)
        rows = answer_body(assistant, qs, filters.get(slug))
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
