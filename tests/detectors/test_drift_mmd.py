"""The MMD randomisation schemes agree with a direct computation."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.drift import MMDDetector
from detectors.drift.mmd import mmd2_pair_swaps, mmd2_unbiased_batch
from detectors.stats import squared_distances


def _direct_mmd2(kernel: np.ndarray, first: np.ndarray) -> float:
    second = np.setdiff1d(np.arange(len(kernel)), first)
    kxx, kyy, kxy = kernel[np.ix_(first, first)], kernel[np.ix_(second, second)], kernel[np.ix_(first, second)]
    m, n = len(first), len(second)
    return (
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
        - 2 * kxy.sum() / (m * n)
    )


@pytest.mark.parametrize(("m", "n"), [(12, 12), (18, 7), (5, 20)])
def test_pair_swaps_match_the_direct_statistic(m: int, n: int) -> None:
    rng = np.random.default_rng(m * 100 + n)
    x = rng.normal(size=(m + n, 3))
    kernel = np.exp(-squared_distances(x, x) / 4)
    p = min(m, n)
    pairs = np.column_stack([rng.choice(m, p, replace=False), m + rng.choice(n, p, replace=False)])
    swaps = rng.integers(0, 2, size=(p, 6)).astype(np.float64)
    got = mmd2_pair_swaps(kernel, m, pairs, swaps)
    for s in range(swaps.shape[1]):
        first = set(range(m))
        for (a, b), swapped in zip(pairs, swaps[:, s], strict=True):
            if swapped:
                first.discard(int(a))
                first.add(int(b))
        assert got[s] == pytest.approx(_direct_mmd2(kernel, np.array(sorted(first))), abs=1e-12)
    labels = np.zeros((m + n, 1))
    labels[:m] = 1
    assert mmd2_unbiased_batch(kernel, labels)[0] == pytest.approx(_direct_mmd2(kernel, np.arange(m)), abs=1e-12)


def test_both_schemes_report_the_same_statistic() -> None:
    rng = np.random.default_rng(0)
    reference, current = rng.normal(size=(80, 8)), rng.normal(0.3, 1, size=(50, 8))
    swaps = MMDDetector(n_permutations=100, bandwidth=3.0).fit(reference).test(current)
    full = MMDDetector(n_permutations=100, bandwidth=3.0, permutation_scheme="full").fit(reference).test(current)
    assert swaps.statistic == pytest.approx(full.statistic, rel=1e-4)
