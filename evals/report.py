"""report.md for a person: the figures side by side with the baseline, charts, and every wrong
answer with what was expected and what was said."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals import metrics

ANSWER_PREVIEW = 500
ACCURACY_CHART = "accuracy_by_type.png"
LATENCY_CHART = "latency.png"


def _fmt(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if key.endswith("_ms") or key.endswith("_chars"):
        return f"{value:.0f}"
    return f"{value:.3f}"


def _ratio(a: Any, b: Any) -> str:
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


def write_charts(
    out: Path, summary: dict[str, Any], results: list[dict[str, Any]], baseline_results: list[dict[str, Any]] | None
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    types = sorted(summary["by_type"])
    ours = [summary["by_type"][t]["accuracy"] or 0 for t in types]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.4
    xs = range(len(types))
    ax.bar([x - width / 2 for x in xs], ours, width, label="Scrutineer", color="#1d4ed8")
    if summary.get("baseline"):
        base = [summary["baseline"]["by_type"].get(t, {}).get("accuracy") or 0 for t in types]
        ax.bar([x + width / 2 for x in xs], base, width, label="Baseline (LangChain tutorial)", color="#9ca3af")
    ax.set_xticks(list(xs), types, rotation=30, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.set_title("Accuracy by question type")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / ACCURACY_CHART, dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.hist([r["latency_ms"] for r in results], bins=30, alpha=0.8, label="Scrutineer", color="#1d4ed8")
    if baseline_results:
        ax.hist([r["latency_ms"] for r in baseline_results], bins=30, alpha=0.6, label="Baseline", color="#9ca3af")
    ax.set_xlabel("answer latency (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Latency distribution")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / LATENCY_CHART, dpi=110)
    plt.close(fig)


def write_report(
    out: Path,
    questions: list[dict[str, Any]],
    results: list[dict[str, Any]],
    baseline_results: list[dict[str, Any]] | None,
    summary: dict[str, Any],
) -> None:
    write_charts(out, summary, results, baseline_results)
    base = (summary.get("baseline") or {}).get("overall") or {}
    lines = [
        "# Evaluation report",
        "",
        f"{summary['n']} questions · commit `{(summary.get('commit') or 'unknown')[:12]}` · corpus "
        f"`{summary['corpus_digest'][:12]}` · embedding model {summary['embedding_model']}",
        "",
        "| metric | Scrutineer | Baseline | ratio |",
        "|---|---|---|---|",
    ]
    for key in metrics.METRIC_KEYS:
        ours, theirs = summary["overall"][key], base.get(key)
        lines.append(f"| {key} | {_fmt(ours, key)} | {_fmt(theirs, key)} | {_ratio(ours, theirs)} |")
    if (out / "search_order.json").exists():
        search = json.loads((out / "search_order.json").read_text())
        lines += [
            "",
            "`retrieved` lists the passages the answer quotes first, then the rest in search order (the contract: "
            "the ranked passages the answer was drawn from). The search alone, before that, ranks the evidence: "
            + ", ".join(f"{k} {_fmt(v, k)}" for k, v in search.items())
            + " (`search_order.json`).",
        ]
    lines += [
        "",
        "## By question type",
        "",
        "| type | n | accuracy | baseline | hit@5 | citation accuracy |",
        "|---|---|---|---|---|---|",
    ]
    counts: dict[str, int] = {}
    for q in questions:
        counts[q.get("type") or "untyped"] = counts.get(q.get("type") or "untyped", 0) + 1
    for t, m in sorted(summary["by_type"].items()):
        b = ((summary.get("baseline") or {}).get("by_type") or {}).get(t, {})
        lines.append(
            f"| {t} | {counts.get(t, 0)} | {_fmt(m['accuracy'])} | {_fmt(b.get('accuracy'))} | "
            f"{_fmt(m['hit@5'])} | {_fmt(m['citation_accuracy'])} |"
        )
    lines += ["", f"![Accuracy by question type]({ACCURACY_CHART})", "", f"![Latency distribution]({LATENCY_CHART})"]
    if (out / "tradeoff.md").exists():  # written by python -m evals.sweep
        lines += [
            "",
            "## Abstention trade-off",
            "",
            (out / "tradeoff.md").read_text().strip(),
            "",
            "![Abstention trade-off](tradeoff.png)",
        ]
    lines += ["", "## Wrong answers", ""]
    wrong = 0
    for q, r in zip(questions, results, strict=True):
        if metrics.is_correct(q, r) is not False:
            continue
        wrong += 1
        expected = (
            "to say the papers do not answer it"
            if metrics.is_unanswerable(q)
            else ("; ".join(q.get("answers") or []) or ", ".join(q.get("must_contain") or []))
        )
        said = " ".join(r["answer"].split())
        if len(said) > ANSWER_PREVIEW:
            said = said[:ANSWER_PREVIEW] + " …"
        cited = "; ".join(f"{c['locator']} (p. {c['page']})" for c in r["citations"]) or "none"
        lines += [
            f"### {q['id']} ({q.get('type', 'untyped')}): {q['question']}",
            "",
            *([f"- follow-up to: {q['context_question']}"] if q.get("context_question") else []),
            f"- expected: {expected}"
            + (f" (must contain: {', '.join(q['must_contain'])})" if q.get("must_contain") else ""),
            f"- said: {said}",
            f"- cited: {cited}",
            "",
        ]
    if not wrong:
        lines.append("None.")
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
