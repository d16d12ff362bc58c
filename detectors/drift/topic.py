"""Topic drift: k-means clusters of the reference, a test on cluster shares, and the clusters that moved."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.cluster import KMeans

from detectors.drift.base import DriftDetector, Outcome
from detectors.stats import permutation_labels, permutation_p_value, split_indices, squared_distances
from schemas.drift import DEFAULT_DRIFT_TESTING, ClusterShift

NOVEL = -1
"""The pseudo-cluster of points farther from every centroid than the reference's own high quantile."""


def chi_square_homogeneity(first_counts: np.ndarray, totals: np.ndarray, n_first: int) -> np.ndarray:
    """Pearson chi-square of 2 x K tables given the first row's counts (one table per row) and column totals.

    Columns with a zero total are skipped.

    Examples
    --------
    >>> round(float(chi_square_homogeneity(np.array([[10, 0]]), np.array([10, 10]), 10)[0]), 1)
    20.0
    """
    keep = totals > 0
    first = first_counts[:, keep].astype(np.float64)
    tot = totals[keep].astype(np.float64)
    n_total = tot.sum()
    n_second = n_total - n_first
    expected_first = tot * n_first / n_total
    expected_second = tot * n_second / n_total
    second = tot - first
    return ((first - expected_first) ** 2 / expected_first).sum(axis=1) + (
        (second - expected_second) ** 2 / expected_second
    ).sum(axis=1)


class TopicDriftDetector(DriftDetector):
    """Cluster shares of the current window against the reference's, with the clusters that moved.

    ``fit`` splits the reference: k-means runs on one part (``1 - calibration_fraction``), which also sets
    the novelty radius; the other part is assigned to clusters exactly as current windows will be, so its
    shares are an exchangeable baseline. ``test`` assigns the current points, compares the two share
    vectors with a chi-square statistic whose p-value comes from permutations of the pooled assignments
    (exact, fine with small counts), and reports the ``n_explain`` clusters that grew or shrank most.

    Parameters
    ----------
    n_clusters
        k of k-means.
    calibration_fraction
        Share of the reference held out of clustering to estimate baseline shares.
    novel_quantile
        Points farther from every centroid than this quantile of the clustered reference points' own
        distances form the novel pseudo-cluster ``-1``: a new topic then shows up as its own share.
        ``None`` assigns every point to its nearest centroid.
    n_permutations
        Relabellings of the pooled assignments for the null distribution.
    n_explain
        Clusters reported in ``DriftResult.clusters``, largest absolute share change first.
    n_examples
        Current texts per reported cluster (those nearest its centroid), when texts are given.
    n_init
        k-means restarts.
    **kwargs
        ``alpha``, ``min_reference``, ``min_current``, ``seed``, ``feature`` (see :class:`DriftDetector`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> centres = rng.normal(0, 6, size=(4, 8))
    >>> def sample(n, topics):
    ...     return centres[rng.choice(topics, n)] + rng.normal(size=(n, 8))
    >>> det = TopicDriftDetector(n_clusters=4, n_permutations=200).fit(sample(400, [0, 1, 2]))
    >>> det.test(sample(200, [0, 1, 2])).decision.value
    'no_drift'
    >>> current = np.vstack([sample(160, [0, 1, 2]), sample(40, [3])])
    >>> texts = [f"text {i}" for i in range(len(current))]
    >>> result = det.test(current, texts)
    >>> top = result.clusters[0]
    >>> result.decision.value, top.cluster, round(top.current_share, 1), len(top.examples)
    ('drift', -1, 0.2, 3)
    """

    name = "topic"
    default_min_reference = 100

    def __init__(
        self,
        *,
        n_clusters: int = 10,
        calibration_fraction: float = 0.5,
        novel_quantile: float | None = 0.99,
        n_permutations: int = DEFAULT_DRIFT_TESTING.permutations,
        n_explain: int = 3,
        n_examples: int = 3,
        n_init: int = 3,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if n_clusters < 2:
            raise ValueError("n_clusters must be >= 2")
        if not 0 < calibration_fraction < 1:
            raise ValueError("calibration_fraction must be in (0, 1)")
        if novel_quantile is not None and not 0 < novel_quantile < 1:
            raise ValueError("novel_quantile must be in (0, 1) or None")
        if n_permutations < 1:
            raise ValueError("n_permutations must be >= 1")
        self.n_clusters = n_clusters
        self.calibration_fraction = calibration_fraction
        self.novel_quantile = novel_quantile
        self.n_permutations = n_permutations
        self.n_explain = n_explain
        self.n_examples = n_examples
        self.n_init = n_init
        self._kmeans: KMeans | None = None
        self._radius = np.inf
        self._calibration: np.ndarray = np.empty(0, dtype=np.int64)

    def _fit(self, reference: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> None:
        calib_idx, fit_idx = split_indices(len(reference), self.calibration_fraction, rng)
        k = min(self.n_clusters, len(fit_idx))
        self._kmeans = KMeans(n_clusters=k, n_init=self.n_init, random_state=int(rng.integers(2**31 - 1)))
        self._kmeans.fit(reference[fit_idx])
        if self.novel_quantile is not None:
            own = self._nearest(reference[fit_idx])[1]
            self._radius = float(np.quantile(own, self.novel_quantile))
        self._calibration = self.assign(reference[calib_idx])
        self._resolved.update(
            n_clusters_used=k,
            novel_radius=None if np.isinf(self._radius) else self._radius,
            n_clustered=len(fit_idx),
            n_calibration=len(calib_idx),
        )

    def _nearest(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        assert self._kmeans is not None
        d2 = squared_distances(x, self._kmeans.cluster_centers_.astype(np.float32))
        nearest = d2.argmin(axis=1)
        return nearest, np.sqrt(d2[np.arange(len(x)), nearest])

    def assign(self, x: np.ndarray) -> np.ndarray:
        """Cluster of each row: its nearest centroid, or ``-1`` (novel) beyond the novelty radius."""
        nearest, dist = self._nearest(np.asarray(x, dtype=np.float32))
        return np.where(dist > self._radius, NOVEL, nearest)

    def _score(self, current: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> Outcome:
        assert self._kmeans is not None
        k = self._kmeans.n_clusters
        cur = self.assign(current)
        pooled = np.concatenate([self._calibration, cur])
        onehot = np.zeros((len(pooled), k + 1), dtype=np.float32)
        onehot[np.arange(len(pooled)), pooled + 1] = 1.0  # column 0 is the novel pseudo-cluster
        labels = permutation_labels(len(cur), len(pooled), self.n_permutations, rng)
        # permutation_labels marks the first block; put the current window first.
        onehot = np.vstack([onehot[len(self._calibration) :], onehot[: len(self._calibration)]])
        counts = labels.T @ onehot
        stats = chi_square_homogeneity(counts, onehot.sum(axis=0), len(cur))
        p = permutation_p_value(stats[0], stats[1:])
        ref_share = np.bincount(self._calibration + 1, minlength=k + 1) / len(self._calibration)
        cur_share = np.bincount(cur + 1, minlength=k + 1) / len(cur)
        shifts = self._explain(ref_share, cur_share, cur, current, texts)
        moved = "; ".join(
            f"{'novel' if s.cluster == NOVEL else f'cluster {s.cluster}'}: "
            f"{s.reference_share:.1%} -> {s.current_share:.1%}"
            for s in shifts
        )
        return Outcome(
            statistic=float(stats[0]),
            p_value=p,
            clusters=shifts,
            explanation=f"chi-square {stats[0]:.1f} on {k} clusters + novel; largest moves: {moved}",
        )

    def _explain(
        self,
        ref_share: np.ndarray,
        cur_share: np.ndarray,
        cur: np.ndarray,
        current: np.ndarray,
        texts: Sequence[str] | None,
    ) -> list[ClusterShift]:
        assert self._kmeans is not None
        order = np.argsort(-np.abs(cur_share - ref_share), kind="stable")[: self.n_explain]
        shifts = []
        for col in order:
            cluster = int(col) - 1
            if ref_share[col] == 0 and cur_share[col] == 0:
                continue
            examples: list[str] = []
            members = np.flatnonzero(cur == cluster)
            if texts is not None and len(members) and self.n_examples > 0:
                centre = (
                    current[members].mean(axis=0)
                    if cluster == NOVEL
                    else self._kmeans.cluster_centers_[cluster].astype(np.float32)
                )
                d2 = squared_distances(current[members], centre[None, :])[:, 0]
                examples = [texts[i] for i in members[np.argsort(d2, kind="stable")[: self.n_examples]]]
            shifts.append(
                ClusterShift(
                    cluster=cluster,
                    reference_share=float(ref_share[col]),
                    current_share=float(cur_share[col]),
                    examples=examples,
                )
            )
        return shifts
