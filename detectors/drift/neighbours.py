"""A local drift test: how far current points lie from their nearest reference neighbour."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import rankdata

from detectors.drift.base import DriftDetector, Outcome
from detectors.stats import permutation_labels, permutation_p_value, squared_distances
from schemas.drift import DEFAULT_DRIFT_TESTING, ClusterShift


def nearest_neighbour_lists(points: np.ndarray, n_lists: int, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """For every row, the indices and distances of its ``n_lists`` nearest other rows, nearest first.

    Computed in row blocks, so memory stays ``O(block * N)`` rather than ``O(N²)``.

    Examples
    --------
    >>> idx, dist = nearest_neighbour_lists(np.array([[0.0], [1.0], [3.0]]), 2)
    >>> idx.tolist(), dist.tolist()
    ([[1, 2], [0, 2], [1, 0]], [[1.0, 3.0], [1.0, 2.0], [2.0, 3.0]])
    """
    n = len(points)
    n_lists = min(n_lists, n - 1)
    idx = np.empty((n, n_lists), dtype=np.int64)
    dist = np.empty((n, n_lists), dtype=np.float32)
    for start in range(0, n, block):
        stop = min(start + block, n)
        d2 = squared_distances(points[start:stop], points)
        d2[np.arange(stop - start), np.arange(start, stop)] = np.inf
        part = np.argpartition(d2, n_lists - 1, axis=1)[:, :n_lists]
        pd2 = np.take_along_axis(d2, part, axis=1)
        order = np.argsort(pd2, axis=1)
        idx[start:stop] = np.take_along_axis(part, order, axis=1)
        dist[start:stop] = np.sqrt(np.take_along_axis(pd2, order, axis=1))
    return idx, dist


class NearestNeighbourDetector(DriftDetector):
    """Nearest-neighbour distances to the reference, tested on the upper tail by permutation.

    Every point of the pooled sample gets a novelty score: its distance to the nearest point of the
    reference group (for reference points, the nearest *other* reference point). The statistic weights
    the current points' ranks among all scores by ``(rank / N) ** rank_exponent``, so a few current points
    far from everything in the reference, a new topic, weigh much more than a slight global shift.

    Parameters
    ----------
    rank_exponent
        Tail emphasis of the statistic: 1 is a rank-sum (Mann-Whitney) test of the scores; larger values
        look only at the most novel points (about the top ``1 / rank_exponent`` share of the pooled sample).
    n_permutations
        Random relabellings of the pooled sample for the null distribution.
    n_lists
        Nearest neighbours kept per point: a relabelling finds each point's nearest reference-group point
        among them; the rare point with none of its ``n_lists`` neighbours in that group is computed exactly.
    tail_quantile
        For the explanation only: the share of current points farther from the reference than this
        quantile of the reference's own leave-one-out distances. Those points form the novel pseudo-cluster
        ``-1`` reported in ``DriftResult.clusters``.
    n_examples
        Texts of novel current points reported with it (those farthest from the reference), when texts
        are given.
    **kwargs
        ``alpha``, ``min_reference``, ``min_current``, ``seed``, ``feature`` (see :class:`DriftDetector`).

    Notes
    -----
    A global two-sample statistic (MMD) averages over all points, so a new topic taking 10% of a window is
    diluted. Scoring each point by its distance to the reference keeps the signal local.

    A reference point's leave-one-out distance (to n - 1 others) and a current point's distance (to n
    reference points) do not have the same distribution, so comparing them against each other directly
    would not give an honest p-value. The permutation test recomputes every score after each relabelling,
    with the same asymmetry in every arrangement, so under no drift the observed arrangement is one
    exchangeable draw and the p-value is exact.

    The reported statistic is the observed weighted tail sum divided by its expectation under no drift
    (1 means no excess of novel points).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> reference = rng.normal(size=(200, 8))
    >>> det = NearestNeighbourDetector(n_permutations=200).fit(reference)
    >>> det.test(rng.normal(size=(200, 8))).decision.value
    'no_drift'
    >>> current = np.vstack([rng.normal(size=(180, 8)), rng.normal(4.0, 1.0, size=(20, 8))])
    >>> result = det.test(current, texts=[f"query {i}" for i in range(200)])
    >>> result.decision.value, result.clusters[0].cluster, result.clusters[0].current_share >= 0.1
    ('drift', -1, True)
    """

    name = "nearest_neighbour"
    default_min_reference = 50

    def __init__(
        self,
        *,
        rank_exponent: float = 12.0,
        n_permutations: int = DEFAULT_DRIFT_TESTING.permutations,
        n_lists: int = 32,
        tail_quantile: float = 0.95,
        n_examples: int = 3,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if rank_exponent <= 0:
            raise ValueError("rank_exponent must be > 0")
        if n_permutations < 1:
            raise ValueError("n_permutations must be >= 1")
        if n_lists < 1:
            raise ValueError("n_lists must be >= 1")
        if not 0 < tail_quantile < 1:
            raise ValueError("tail_quantile must be in (0, 1)")
        self.rank_exponent = rank_exponent
        self.n_permutations = n_permutations
        self.n_lists = n_lists
        self.tail_quantile = tail_quantile
        self.n_examples = n_examples

    def _fit(self, reference: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> None:
        pass

    def _score(self, current: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> Outcome:
        pooled = np.vstack([self.reference, current])
        n_ref, n_total = len(self.reference), len(pooled)
        nbr_idx, nbr_dist = nearest_neighbour_lists(pooled, self.n_lists)
        is_ref = permutation_labels(n_ref, n_total, self.n_permutations, rng).T.astype(bool)
        scores = _scores_per_arrangement(pooled, is_ref, nbr_idx, nbr_dist)
        ranks = rankdata(scores, axis=1) / n_total
        weights = ranks**self.rank_exponent
        tail_sums = np.where(is_ref, 0.0, weights).sum(axis=1)
        p = permutation_p_value(tail_sums[0], tail_sums[1:])
        expected = weights[0].sum() * len(current) / n_total
        statistic = float(tail_sums[0] / expected)
        ref_scores, cur_scores = scores[0, :n_ref], scores[0, n_ref:]
        cutoff = float(np.quantile(ref_scores, self.tail_quantile))
        novel = np.flatnonzero(cur_scores > cutoff)
        share = len(novel) / len(current)
        examples: list[str] = []
        if texts is not None and len(novel) and self.n_examples > 0:
            most_novel = novel[np.argsort(-cur_scores[novel], kind="stable")[: self.n_examples]]
            examples = [texts[i] for i in most_novel]
        novel_cluster = ClusterShift(
            cluster=-1, reference_share=1 - self.tail_quantile, current_share=share, examples=examples
        )
        return Outcome(
            statistic=statistic,
            p_value=p,
            clusters=[novel_cluster],
            explanation=(
                f"{share:.1%} of current points are farther from the reference than its own "
                f"{self.tail_quantile:.0%} nearest-neighbour distance {cutoff:.3g} "
                f"(expected {1 - self.tail_quantile:.0%}); tail excess {statistic:.2f}x, "
                f"{self.n_permutations} permutations"
            ),
        )


def _scores_per_arrangement(
    pooled: np.ndarray, is_ref: np.ndarray, nbr_idx: np.ndarray, nbr_dist: np.ndarray
) -> np.ndarray:
    """Distance of every point to its nearest reference-group point, for each arrangement (row of is_ref)."""
    n_arr, n_total = is_ref.shape
    scores = np.empty((n_arr, n_total), dtype=np.float32)
    rows = np.arange(n_total)
    for start in range(0, n_arr, 64):
        chunk = is_ref[start : start + 64]
        in_ref = chunk[:, nbr_idx]
        first = in_ref.argmax(axis=2)
        scores[start : start + 64] = nbr_dist[rows[None, :], first]
        missing_arr, missing_pt = np.nonzero(~in_ref.any(axis=2))
        for a, i in zip(missing_arr, missing_pt, strict=True):
            mask = chunk[a].copy()
            mask[i] = False
            d2 = squared_distances(pooled[i : i + 1], pooled[mask])
            scores[start + a, i] = np.sqrt(d2.min())
    return scores
