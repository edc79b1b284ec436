"""Quality gate: fail when a run's accuracy or hit@5 fall below floors set a little under the
figures measured when they were last raised (see the issue notes). Reads summary.json only.

    python -m evals.gate evals/results/latest/summary.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

FLOORS = {
    # Bundled pack, evals/questions.jsonl. Measured at the last raise: accuracy 0.928, hit@5 0.992
    # (identical from run to run since Chroma searches with ef_search 1000).
    "questions.jsonl": {"accuracy": 0.9, "hit@5": 0.97},
}


def check(summary: dict[str, Any], floors: dict[str, float]) -> list[str]:
    """Messages for every metric below its floor (empty when the gate passes)."""
    failures = []
    for key, floor in floors.items():
        value = summary["overall"].get(key)
        if value is None or value < floor:
            failures.append(f"{key} = {value} is below the floor {floor}")
    return failures


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("usage: python -m evals.gate SUMMARY.json", file=sys.stderr)
        return 2
    summary = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    failures = check(summary, FLOORS["questions.jsonl"])
    for f in failures:
        print(f"gate: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
