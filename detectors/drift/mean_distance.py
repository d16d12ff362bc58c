"""Distance between the mean embeddings of reference and current, with a permutation p-value."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from detectors.drift.base import DriftDetector, Outcome
from detectors.stats import permutation_labels, permutation_p_value
from schemas.drift import DEFAULT_DRIFT_TESTING


class MeanDistanceDetector(DriftDetector):
    """Euclidean distance between the two sample means; p-value by permutation of the pooled sample.

    Parameters
    ----------
    n_permutations
        Random relabellings of the pooled sample for the null distribution.
    **kwargs
        ``alpha``, ``min_reference``, ``min_current``, ``seed``, ``feature`` (see :class:`DriftDetector`).

    Notes
    -----
    Equivalent to MMD with a linear kernel: sensitive to a shift of the centre of mass, blind to changes
    that keep the mean (a topic replaced by another one on the opposite side). Every permutation's mean
    difference comes from one ``(P, N) @ (N, d)`` product.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> det = MeanDistanceDetector(n_permutations=200).fit(rng.normal(size=(100, 8)))
    >>> det.test(rng.normal(size=(100, 8))).decision.value
    'no_drift'
    >>> det.test(rng.normal(0.5, 1, size=(100, 8))).decision.value
    'drift'
    """

    name = "mean_distance"

    def __init__(self, *, n_permutations: int = DEFAULT_DRIFT_TESTING.permutations, **kwargs) -> None:
        super().__init__(**kwargs)
        if n_permutations < 1:
            raise ValueError("n_permutations must be >= 1")
        self.n_permutations = n_permutations

    def _fit(self, reference: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> None:
        pass

    def _score(self, current: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> Outcome:
        pooled = np.vstack([self.reference, current])
        m, n = len(self.reference), len(current)
        labels = permutation_labels(m, len(pooled), self.n_permutations, rng)
        sums_first = labels.T @ pooled
        total = pooled.sum(axis=0, dtype=np.float64)
        diffs = sums_first / m - (total[None, :] - sums_first) / n
        stats = np.sqrt(np.einsum("ij,ij->i", diffs, diffs))
        p = permutation_p_value(stats[0], stats[1:])
        return Outcome(
            statistic=float(stats[0]),
            p_value=p,
            explanation=f"|mean(current) - mean(reference)| = {stats[0]:.3g}, {self.n_permutations} permutations",
        )
