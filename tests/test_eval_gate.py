"""CI runs the evaluation on the bundled corpus (Scrutineer and the baseline) and fails when
accuracy or hit@5 fall below the floors in evals/gate.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import gate
from evals.run import DEFAULT_QUESTIONS, evaluate

pytestmark = pytest.mark.slow


def test_evaluation_meets_the_floors(demo_assistant, demo_settings, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    summary = evaluate(DEFAULT_QUESTIONS, out, demo_settings, with_baseline=True, assistant=demo_assistant)
    for name in (
        "results.jsonl",
        "baseline/results.jsonl",
        "summary.json",
        "report.md",
        "accuracy_by_type.png",
        "latency.png",
    ):
        assert (out / name).exists(), name
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == summary["n"] >= 80
    assert all(len(r["retrieved"]) >= 10 for r in rows)
    assert all(r["citations"] == [] for r in rows if r["abstained"])
    print(f"\n[eval: {json.dumps(summary['overall'])}]")
    assert gate.check(summary, gate.FLOORS["questions.jsonl"]) == []
    assert gate.main([str(out / "summary.json")]) == 0


def test_gate_fails_below_a_floor() -> None:
    summary = {"overall": {"accuracy": 0.1, "hit@5": 0.99}}
    assert gate.check(summary, {"accuracy": 0.5, "hit@5": 0.9}) == ["accuracy = 0.1 is below the floor 0.5"]
