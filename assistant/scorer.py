"""The answer scorer: one logistic regression over :data:`assistant.features.FEATURES` giving the
probability that a candidate sentence answers the question, and one threshold below which the
assistant declines. Trained by ``python -m evals.train`` on the labelled question sets of many
bodies and stored as readable JSON (``assistant/scorer.json``): feature names, standardisation,
weights, threshold, and what it was trained on with its held-out figures.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.features import FEATURES

MODEL_PATH = Path(__file__).with_name("scorer.json")


class ScorerError(ValueError):
    """The stored model cannot be used (missing, malformed, or for other features)."""


@dataclass
class AnswerScorer:
    """Standardised features → weighted sum → logistic probability."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float
    threshold: float
    """Best candidate's probability below which the assistant says the papers do not answer."""
    keep_ratio: float = 0.6
    """A further sentence is quoted when its probability is at least this share of the best one's."""
    max_sentences: int = 3
    """Most sentences quoted (before those they refer back to), tuned with ``keep_ratio`` on held-out answers."""
    trained: dict[str, Any] = field(default_factory=dict)
    """What it was trained on (bodies, questions, rows) and its leave-one-council-out figures."""

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias
        for name, mu, sd, w in zip(self.features, self.mean, self.scale, self.weights, strict=True):
            z += w * (features.get(name, 0.0) - mu) / sd
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=False) + "\n"

    def save(self, path: Path = MODEL_PATH) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> AnswerScorer:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            model = cls(**data)
        except (OSError, json.JSONDecodeError, TypeError) as exc:
            raise ScorerError(f"{path}: cannot load the answer scorer ({exc}); run python -m evals.train") from exc
        if list(model.features) != list(FEATURES):
            raise ScorerError(f"{path}: trained on other features than assistant.features.FEATURES; retrain it")
        n = len(model.features)
        if not (len(model.mean) == len(model.scale) == len(model.weights) == n) or any(s <= 0 for s in model.scale):
            raise ScorerError(f"{path}: weights, means and scales must be {n} numbers each (scales positive)")
        return model
