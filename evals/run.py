"""The evaluation runner (formats fixed by ../shared/EVAL_CONTRACT.md).

    python -m evals.run --questions PATH.jsonl --out DIR

Answers every question from the index in SCRUTINEER_INDEX_DIR (built from
SCRUTINEER_CORPUS_DIR when missing, as the app does on first start), runs the baseline on
the same questions, and writes DIR/results.jsonl, DIR/baseline/results.jsonl,
DIR/summary.json and DIR/report.md with its charts. Exits 0 when every question was
answered (even wrongly), non-zero when the assistant could not run.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evals import metrics
from ingest.bootstrap import ensure_index
from ingest.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

DEFAULT_QUESTIONS = PROJECT_ROOT / "evals" / "questions.jsonl"
DEFAULT_OUT = PROJECT_ROOT / "evals" / "results" / "latest"
RETRIEVED_KEEP = 10


def load_questions(path: Path) -> list[dict[str, Any]]:
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path.name}, line {n}: not valid JSON ({exc.msg})") from exc
        if not isinstance(q, dict) or not q.get("id") or not q.get("question"):
            raise ValueError(f"{path.name}, line {n}: each question needs an 'id' and a 'question'")
        questions.append(q)
    ids = [q["id"] for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path.name}: question ids are not unique")
    return questions


def corpus_digest(corpus_dir: Path) -> str:
    """sha256 over the corpus PDFs' names and bytes, in name order."""
    h = hashlib.sha256()
    for pdf in sorted(corpus_dir.glob("*.pdf")):
        h.update(pdf.name.encode() + b"\0")
        h.update(pdf.read_bytes())
    return h.hexdigest()


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def run_scrutineer(
    assistant: Any,
    questions: list[dict[str, Any]],
    desc: str = "scrutineer",
    searched: list[list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """The contract's result rows; ``searched`` (when given) receives each answer's passages in
    search order, before the quoted passages were ranked first."""
    from assistant.service import ChatSession

    rows = []
    for q in tqdm(questions, desc=desc, unit="q"):
        session = ChatSession()  # nothing carries over between questions
        if q.get("context_question"):
            assistant.ask(q["context_question"], session=session)
        answer = assistant.ask(q["question"], session=session)
        rows.append(_row(q, answer.contract()))
        if searched is not None:
            searched.append([p.contract() for p in answer.searched])
    return rows


def search_order_metrics(
    questions: list[dict[str, Any]], results: list[dict[str, Any]], searched: list[list[dict[str, Any]]]
) -> dict[str, Any]:
    """hit@k and MRR@10 of the search alone: the same results with ``retrieved`` in search order."""
    rows = [{**r, "retrieved": s} for r, s in zip(results, searched, strict=True)]
    overall = metrics.compute(questions, rows)
    return {k: overall[k] for k in ("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10")}


def run_baseline(baseline: Any, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The tutorial keeps no conversation: a follow-up is asked on its own.
    return [_row(q, baseline.ask(q["question"])) for q in tqdm(questions, desc="baseline", unit="q")]


def _row(q: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": q["id"],
        "question": q["question"],
        "answer": answer["answer"],
        "abstained": answer["abstained"],
        "citations": [] if answer["abstained"] else answer["citations"],
        "related": answer.get("related", []),
        "retrieved": answer["retrieved"][: max(RETRIEVED_KEEP, len(answer["retrieved"]))],
        "latency_ms": answer["latency_ms"],
    }


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def settings_summary(settings: Settings) -> dict[str, Any]:
    out = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        out[f.name] = (
            str(value.relative_to(PROJECT_ROOT))
            if isinstance(value, Path) and value.is_relative_to(PROJECT_ROOT)
            else (str(value) if isinstance(value, Path) else value)
        )
    return out


def summarise(questions, results, baseline_results, settings: Settings) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "n": len(questions),
        "commit": git_commit(),
        "corpus_digest": corpus_digest(settings.corpus_dir),
        "settings": settings_summary(settings),
        "embedding_model": settings.embedding_model_id,
        "overall": metrics.compute(questions, results),
        "by_type": metrics.by_type(questions, results),
        "baseline": None,
    }
    if baseline_results is not None:
        summary["baseline"] = {
            "overall": metrics.compute(questions, baseline_results),
            "by_type": metrics.by_type(questions, baseline_results),
        }
    return summary


def evaluate(
    questions_path: Path, out: Path, settings: Settings, with_baseline: bool = True, assistant: Any = None
) -> dict[str, Any]:
    """Run everything and write the contract's files; returns the summary."""
    from assistant.service import Assistant

    questions = load_questions(questions_path)
    if assistant is None:
        assistant = Assistant(settings)
        report = ensure_index(settings, assistant.index, assistant.embedder)
        if report is not None:
            assistant.refresh()
        if report is not None and report.failed:
            log.warning("some corpus files failed to ingest: %s", report.failed)
    assistant.warm_up()  # latency excludes model loading
    searched: list[list[dict[str, Any]]] = []
    results = run_scrutineer(assistant, questions, searched=searched)
    baseline_results = None
    if with_baseline:
        from evals.baseline import Baseline

        with tempfile.TemporaryDirectory(prefix="scrutineer-baseline-") as tmp:
            baseline = Baseline(settings.corpus_dir, assistant.embedder, Path(tmp))
            baseline.ask("warm up")
            baseline_results = run_baseline(baseline, questions)
    summary = summarise(questions, results, baseline_results, settings)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "results.jsonl", results)
    if baseline_results is not None:
        write_jsonl(out / "baseline" / "results.jsonl", baseline_results)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    # Beside the contract's files: how the search ranks the evidence before the answer's passages go first.
    search = search_order_metrics(questions, results, searched)
    (out / "search_order.json").write_text(json.dumps(search, indent=2) + "\n", encoding="utf-8")
    from evals.report import write_report

    write_report(out, questions, results, baseline_results, summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.run", description="Run a question set and score it.")
    parser.add_argument(
        "--questions", type=Path, default=DEFAULT_QUESTIONS, help="questions JSONL (the contract's format)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for results, summary and report")
    parser.add_argument("--no-baseline", action="store_true", help="skip the LangChain-tutorial baseline")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        summary = evaluate(args.questions, args.out, settings, with_baseline=not args.no_baseline)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    overall = summary["overall"]
    print(
        f"{summary['n']} questions: accuracy {overall['accuracy']}, hit@5 {overall['hit@5']}, "
        f"citation accuracy {overall['citation_accuracy']}, p50 {overall['latency_p50_ms']} ms → {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
