"""Whether a response is about what the prompt asked: cosine of the two embeddings."""

from __future__ import annotations

import numpy as np

from detectors.safety.base import SafetyBatch, SafetyDetector
from schemas.safety import DEFAULT_SAFETY_THRESHOLDS, SafetyScore, SafetyTarget


class RelevanceDetector(SafetyDetector):
    """Breach when prompt and response embeddings are less similar than ``threshold``.

    Examples
    --------
    >>> e = np.eye(3, dtype=np.float32)
    >>> b = SafetyBatch(["a", "b"], ["p", "p"], ["r", "r"], e[[0, 0]], e[[0, 1]])
    >>> [(s.score, s.breached) for s in RelevanceDetector(threshold=0.1).score(b)]
    [(1.0, False), (0.0, True)]
    """

    name = "relevance"
    version = "1.0.0"

    def __init__(self, *, threshold: float = DEFAULT_SAFETY_THRESHOLDS.relevance_threshold) -> None:
        if not -1.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [-1, 1], got {threshold}")
        self.threshold = threshold

    def score(self, batch: SafetyBatch) -> list[SafetyScore]:
        p = batch.embeddings(SafetyTarget.PROMPT)
        r = batch.embeddings(SafetyTarget.RESPONSE)
        cos = np.einsum("ij,ij->i", p, r) if len(batch) else np.zeros(0)
        explanations = [
            f"prompt-response cosine {c:.2f} {'<' if c < self.threshold else '>='} {self.threshold:.2f}" for c in cos
        ]
        return self._scores(
            batch,
            SafetyTarget.PAIR,
            np.clip(cos, -1.0, 1.0),
            self.threshold,
            None,
            explanations,
            breach_below=True,
        )
