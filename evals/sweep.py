"""The abstention trade-off: answer the question set at several abstention thresholds and chart
abstention (on unanswerable questions) against false abstention (on answerable ones).

    python -m evals.sweep [--questions F] [--out DIR] [--values 0.30 0.35 …]

Writes DIR/tradeoff.json, DIR/tradeoff.md and DIR/tradeoff.png. Uses the index in
SCRUTINEER_INDEX_DIR (built from SCRUTINEER_CORPUS_DIR when missing).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from evals import metrics
from evals.run import DEFAULT_OUT, DEFAULT_QUESTIONS, load_questions, run_scrutineer
from ingest.settings import Settings

DEFAULT_VALUES = [0.30, 0.34, 0.38, 0.42, 0.46, 0.50, 0.55, 0.60]
"""Values of ``min_answer_score`` (the similarity below which weak evidence is declined)."""


def sweep(questions: list[dict[str, Any]], settings: Settings, values: list[float]) -> list[dict[str, Any]]:
    from assistant.service import Assistant

    base = Assistant(settings)
    base.ensure_index()
    base.warm_up()
    points = []
    for value in values:
        assistant = Assistant(dataclasses.replace(settings, min_answer_score=value), base.index, base.embedder)
        results = run_scrutineer(assistant, questions, desc=f"min_answer_score={value:.2f}")
        overall = metrics.compute(questions, results)
        points.append(
            {"min_answer_score": value, **{k: overall[k] for k in ("accuracy", "abstention", "false_abstention")}}
        )
    return points


def write(out: Path, points: list[dict[str, Any]], current: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    (out / "tradeoff.json").write_text(json.dumps(points, indent=2) + "\n")
    lines = ["| min_answer_score | accuracy | abstention | false abstention |", "|---|---|---|---|"]
    for p in points:
        mark = " (setting)" if abs(p["min_answer_score"] - current) < 1e-9 else ""
        lines.append(
            f"| {p['min_answer_score']:.2f}{mark} | {p['accuracy']:.3f} | {p['abstention']:.3f} | "
            f"{p['false_abstention']:.3f} |"
        )
    (out / "tradeoff.md").write_text("\n".join(lines) + "\n")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([p["false_abstention"] for p in points], [p["abstention"] for p in points], marker="o", color="#1d4ed8")
    for p in points:
        ax.annotate(
            f"{p['min_answer_score']:.2f}",
            (p["false_abstention"], p["abstention"]),
            fontsize=8,
            xytext=(4, -10),
            textcoords="offset points",
        )
    ax.axhline(0.80, color="#9ca3af", linestyle="--", linewidth=1)
    ax.axvline(0.05, color="#9ca3af", linestyle="--", linewidth=1)
    ax.set_xlabel("false abstention (answerable questions declined)")
    ax.set_ylabel("abstention (unanswerable questions declined)")
    ax.set_title("Abstention trade-off by min_answer_score")
    fig.tight_layout()
    fig.savefig(out / "tradeoff.png", dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--values", type=float, nargs="+", default=DEFAULT_VALUES)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.from_env()
    points = sweep(load_questions(args.questions), settings, args.values)
    write(args.out, points, settings.min_answer_score)
    print((args.out / "tradeoff.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
