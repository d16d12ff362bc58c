"""The evaluation gate: a challenger replaces the champion only when it is better by a margin on held-out data.

Pure computation: labels and scores in, a :class:`GateDecision` out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.metrics import average_precision_score, balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split

from schemas.errors import InsufficientEvaluationData

GateMetric = Literal["auroc", "average_precision", "balanced_accuracy", "f1"]
METRICS: tuple[GateMetric, ...] = ("auroc", "average_precision", "balanced_accuracy", "f1")


def metric_value(metric: GateMetric, labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """``metric`` of ``scores`` against 0/1 ``labels``; threshold-based metrics flag ``score >= threshold``.

    >>> metric_value("auroc", np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]), threshold=0.5)
    0.75
    """
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    if metric == "auroc":
        return float(roc_auc_score(y, s))
    if metric == "average_precision":
        return float(average_precision_score(y, s))
    flagged = (s >= threshold).astype(np.int64)
    if metric == "balanced_accuracy":
        return float(balanced_accuracy_score(y, flagged))
    if metric == "f1":
        return float(f1_score(y, flagged, zero_division=0.0))
    raise ValueError(f"unknown gate metric {metric!r}; expected one of {', '.join(METRICS)}")


def no_skill(metric: GateMetric, labels: np.ndarray) -> float:
    """The metric of a scorer that knows nothing: what a challenger must beat when there is no champion.

    >>> no_skill("average_precision", np.array([0, 0, 0, 1]))
    0.25
    """
    prevalence = float(np.mean(labels))
    if metric in ("auroc", "balanced_accuracy"):
        return 0.5
    if metric == "average_precision":
        return prevalence
    return 2 * prevalence / (1 + prevalence)  # f1 of flagging everything


@dataclass(frozen=True)
class GateDecision:
    """The comparison on the held-out split, and whether the challenger is promoted."""

    metric: GateMetric
    champion: float
    challenger: float
    margin: float
    promote: bool
    n_holdout: int
    n_positive: int
    champion_all: dict[str, float]
    challenger_all: dict[str, float]

    @property
    def improvement(self) -> float:
        return self.challenger - self.champion

    def metrics(self) -> dict[str, float]:
        """Flat evidence for the run record: every metric of both models, the margin and the sizes."""
        out = {f"champion_{k}": v for k, v in self.champion_all.items()}
        out |= {f"challenger_{k}": v for k, v in self.challenger_all.items()}
        out |= {
            "gate_margin": self.margin,
            "gate_improvement": self.improvement,
            "holdout_n": float(self.n_holdout),
            "holdout_positive": float(self.n_positive),
        }
        return out

    def explain(self) -> str:
        verdict = "promoted" if self.promote else "rejected"
        return (
            f"{verdict}: challenger {self.metric} {self.challenger:.4f} vs champion {self.champion:.4f} "
            f"(needs +{self.margin:.4f}, got {self.improvement:+.4f}) on {self.n_holdout} held-out examples"
        )


def decide(
    labels: np.ndarray,
    challenger_scores: np.ndarray,
    champion_scores: np.ndarray | None,
    *,
    metric: GateMetric,
    margin: float,
    threshold: float,
) -> GateDecision:
    """Compare both models on the same held-out ``labels``; without a champion, compare with no skill.

    The challenger is promoted when it is strictly better and ``challenger - champion >= margin``.

    >>> y = np.array([0, 0, 1, 1])
    >>> decide(y, np.array([0.1, 0.2, 0.8, 0.9]), np.array([0.5, 0.6, 0.4, 0.7]), metric="auroc", margin=0.05,
    ...        threshold=0.5).promote
    True
    """
    if not 0.0 <= margin <= 1.0 or math.isnan(margin):
        raise ValueError(f"margin must be in [0, 1], got {margin}")
    y = np.asarray(labels, dtype=np.int64)
    if len(np.unique(y)) < 2:
        raise InsufficientEvaluationData("the held-out split needs both classes")
    challenger_all = {m: metric_value(m, y, challenger_scores, threshold) for m in METRICS}
    if champion_scores is None:
        champion_all = {m: no_skill(m, y) for m in METRICS}
    else:
        champion_all = {m: metric_value(m, y, champion_scores, threshold) for m in METRICS}
    champion, challenger = champion_all[metric], challenger_all[metric]
    promote = challenger > champion and challenger - champion >= margin - 1e-12
    return GateDecision(
        metric=metric,
        champion=champion,
        challenger=challenger,
        margin=margin,
        promote=bool(promote),
        n_holdout=len(y),
        n_positive=int(y.sum()),
        champion_all=champion_all,
        challenger_all=challenger_all,
    )


def holdout_split(
    labels: np.ndarray, *, fraction: float, seed: int, min_per_class: int
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified, seeded ``(train_index, holdout_index)``; the same labels and seed give the same split.

    Raises
    ------
    InsufficientEvaluationData
        A class would have fewer than ``min_per_class`` held-out examples, or none left to train on.

    Examples
    --------
    >>> train, hold = holdout_split(np.array([0] * 10 + [1] * 10), fraction=0.3, seed=0, min_per_class=3)
    >>> len(train), len(hold), int(np.array([0] * 10 + [1] * 10)[hold].sum())
    (14, 6, 3)
    """
    y = np.asarray(labels, dtype=np.int64)
    counts = {c: int((y == c).sum()) for c in (0, 1)}
    needed = {c: math.ceil(min_per_class / fraction) for c in (0, 1)}
    short = {c: n for c, n in counts.items() if n < max(needed[c], min_per_class + 1)}
    if short:
        raise InsufficientEvaluationData(
            f"need at least {needed[0]} labelled examples of each class to hold out {min_per_class} "
            f"({fraction:.0%}); have {counts[0]} of class 0 and {counts[1]} of class 1"
        )
    index = np.arange(len(y))
    train, hold = train_test_split(index, test_size=fraction, stratify=y, random_state=seed, shuffle=True)
    return np.sort(train), np.sort(hold)
