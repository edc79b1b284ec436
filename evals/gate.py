"""Quality gate on the leave-one-council-out figures (``python -m evals.loco``): fail when held-out
accuracy, abstention or hit@5 fall below floors set a little under the figures last measured (see
the issue notes). In-sample figures are not gated: they say little about the next council.

    python -m evals.gate evals/results/latest/loco.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

FLOORS = {
    # Measured when set (12 bodies, 745 questions, every body held out in turn): accuracy 0.635,
    # abstention 0.21, hit@5 0.90, false abstention 0.033. The 132 questions added then (named
    # sections, search-box queries, near-miss unanswerables) are harder: the code that scored 0.666
    # on the 613 before scored 0.636 on the 745, so the accuracy floor moved from 0.63 to 0.60;
    # declining near-ties raised abstention, so its floor moved from 0.06 to 0.15.
    "accuracy": 0.60,
    "abstention": 0.15,
    "hit@5": 0.87,
}
CEILINGS = {"false_abstention": 0.08}


def check(
    summary: dict[str, Any], floors: dict[str, float] = FLOORS, ceilings: dict[str, float] = CEILINGS
) -> list[str]:
    """Messages for every metric past its floor or ceiling (empty when the gate passes)."""
    failures = []
    for key, floor in floors.items():
        value = summary["overall"].get(key)
        if value is None or value < floor:
            failures.append(f"{key} = {value} is below the floor {floor}")
    for key, ceiling in ceilings.items():
        value = summary["overall"].get(key)
        if value is None or value > ceiling:
            failures.append(f"{key} = {value} is above the ceiling {ceiling}")
    return failures


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("usage: python -m evals.gate LOCO.json", file=sys.stderr)
        return 2
    summary = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    failures = check(summary)
    for f in failures:
        print(f"gate: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
