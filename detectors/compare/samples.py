"""Continuous metrics compared: Mann-Whitney U, the rank-biserial effect and a bootstrap CI of the median shift.

Latency, tokens and cost are skewed and heavy-tailed, so the test is on ranks (Mann-Whitney U,
normal approximation with tie correction above a few thousand events, exact below) and the effect is
reported twice: the rank-biserial correlation ``P(a > b) - P(a < b)`` and the difference of medians
with a percentile bootstrap interval (both sides resampled, at most ``max_bootstrap`` events each).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from schemas.analytics import SampleComparison, SampleSummary


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    return arr[np.isfinite(arr)]


def summarise(
    values: Sequence[float] | np.ndarray,
    *,
    confidence: float = 0.95,
    n_bootstrap: int = 200,
    max_bootstrap: int = 20_000,
    seed: int = 0,
) -> SampleSummary:
    """Size, mean, median and a bootstrap interval of the median.

    >>> s = summarise([1.0, 2.0, 3.0, 4.0, 100.0])
    >>> s.n, s.median, s.mean
    (5, 3.0, 22.0)
    """
    x = _clean(values)
    if x.size == 0:
        return SampleSummary(n=0)
    low, high = _median_ci(x, None, confidence, n_bootstrap, max_bootstrap, np.random.default_rng(seed))
    return SampleSummary(n=int(x.size), mean=float(x.mean()), median=float(np.median(x)), ci_low=low, ci_high=high)


def _median_ci(
    a: np.ndarray,
    b: np.ndarray | None,
    confidence: float,
    n_bootstrap: int,
    max_bootstrap: int,
    rng: np.random.Generator,
) -> tuple[float | None, float | None]:
    if n_bootstrap <= 0:
        return None, None

    def draws(x: np.ndarray) -> np.ndarray:
        if x.size > max_bootstrap:
            x = rng.choice(x, size=max_bootstrap, replace=False)
        return np.median(rng.choice(x, size=(n_bootstrap, x.size), replace=True), axis=1)

    boot = draws(a) if b is None else draws(a) - draws(b)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail])
    return float(low), float(high)


def compare_samples(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    confidence: float = 0.95,
    n_bootstrap: int = 200,
    max_bootstrap: int = 5_000,
    seed: int = 0,
) -> SampleComparison:
    """Mann-Whitney U test of ``a`` against ``b`` (two-sided) with its effect sizes.

    Non-finite values are dropped; each side needs at least one value.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = compare_samples(rng.lognormal(0.3, 1, 500), rng.lognormal(0.0, 1, 500))
    >>> r.p_value < 0.01, r.rank_biserial > 0, r.median_difference > 0
    (True, True, True)
    """
    x, y = _clean(a), _clean(b)
    if x.size == 0 or y.size == 0:
        raise ValueError(f"both samples need finite values, got {x.size} and {y.size}")
    method = (
        "exact"
        if x.size * y.size <= 2500 and len(np.unique(np.concatenate([x, y]))) == x.size + y.size
        else "asymptotic"
    )
    u, p = stats.mannwhitneyu(x, y, alternative="two-sided", method=method)
    rng = np.random.default_rng(seed)
    low, high = _median_ci(x, y, confidence, n_bootstrap, max_bootstrap, rng)
    kwargs = {"confidence": confidence, "n_bootstrap": n_bootstrap, "max_bootstrap": max_bootstrap, "seed": seed}
    return SampleComparison(
        first=summarise(x, **kwargs),
        second=summarise(y, **kwargs),
        statistic=float(u),
        p_value=float(np.clip(p, 0.0, 1.0)) if np.isfinite(p) else 1.0,
        rank_biserial=float(np.clip(2 * u / (x.size * y.size) - 1, -1.0, 1.0)),
        median_difference=float(np.median(x) - np.median(y)),
        median_difference_ci_low=low,
        median_difference_ci_high=high,
        confidence=confidence,
    )
