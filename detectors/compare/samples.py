"""Continuous metrics compared: Mann-Whitney U, the rank-biserial effect and a bootstrap CI of the median shift.

Latency, tokens and cost are skewed and heavy-tailed, so the test is on ranks (Mann-Whitney U,
normal approximation with tie correction above a few thousand events, exact below) and the effect is
reported twice: the rank-biserial correlation ``P(a > b) - P(a < b)`` and the difference of medians
``median(a) - median(b)`` with a percentile bootstrap interval of that same statistic
(:func:`scipy.stats.bootstrap`, each sample resampled in full and independently of the other).

Notes
-----
The resamples are as large as the samples: drawing from a random subset instead would centre the
bootstrap distribution on the subset's median rather than the point estimate and give the spread of
a smaller sample, which on bimodal metrics (fast refusals among slow answers) can put the point
estimate outside its own interval. The cost is ``O(n_bootstrap * n)``; callers cap ``n`` (the
version comparison samples at most ``compare.max_sample`` events per version).

The percentile method rather than BCa: BCa's acceleration comes from the jackknife, which is
inconsistent for the median, costs ``O(n^2)`` and is undefined on tied values (token counts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats

from schemas.analytics import DEFAULT_COMPARISON_TESTING, SampleComparison, SampleSummary

_VALUES_PER_BATCH = 2_000_000
"""Resampled values held in memory at once (about 16 MB of float64)."""


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    return arr[np.isfinite(arr)]


def _median(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(x, axis=axis)


def _median_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(x, axis=axis) - np.median(y, axis=axis)


def _bootstrap_interval(
    samples: tuple[np.ndarray, ...],
    statistic: Callable[..., np.ndarray],
    *,
    confidence: float,
    n_bootstrap: int,
    seed: int = 0,
) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of ``statistic(*samples)``, each sample resampled independently.

    ``statistic`` takes one array per sample and an ``axis`` keyword (it is called on batches of
    resamples). No interval (``None, None``) when ``n_bootstrap`` is 0 or a sample has fewer than two
    values.

    Examples
    --------
    >>> x = np.arange(101.0)
    >>> low, high = _bootstrap_interval((x,), _median, confidence=0.95, n_bootstrap=500)
    >>> bool(low < 50 < high), bool(high - low < 30)
    (True, True)
    """
    if n_bootstrap <= 0 or min(s.size for s in samples) < 2:
        return None, None
    result = stats.bootstrap(
        samples,
        statistic,
        n_resamples=n_bootstrap,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        batch=max(1, _VALUES_PER_BATCH // sum(s.size for s in samples)),
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def sample_summary(
    values: Sequence[float] | np.ndarray,
    *,
    confidence: float = DEFAULT_COMPARISON_TESTING.confidence,
    n_bootstrap: int = DEFAULT_COMPARISON_TESTING.n_bootstrap,
    seed: int = 0,
) -> SampleSummary:
    """Size, mean, median and a percentile bootstrap interval of the median (non-finite values dropped).

    >>> s = sample_summary([1.0, 2.0, 3.0, 4.0, 100.0])
    >>> s.n, s.median, s.mean
    (5, 3.0, 22.0)
    >>> s.ci_low <= s.median <= s.ci_high
    True
    """
    x = _clean(values)
    if x.size == 0:
        return SampleSummary(n=0)
    low, high = _bootstrap_interval((x,), _median, confidence=confidence, n_bootstrap=n_bootstrap, seed=seed)
    return SampleSummary(n=int(x.size), mean=float(x.mean()), median=float(np.median(x)), ci_low=low, ci_high=high)


def compare_samples(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    confidence: float = DEFAULT_COMPARISON_TESTING.confidence,
    n_bootstrap: int = DEFAULT_COMPARISON_TESTING.n_bootstrap,
    seed: int = 0,
) -> SampleComparison:
    """Mann-Whitney U test of ``a`` against ``b`` (two-sided) with its effect sizes.

    Non-finite values are dropped; each side needs at least one value (and two for intervals).
    ``median_difference`` is ``median(a) - median(b)`` and its interval is a percentile bootstrap
    interval of that statistic with ``n_bootstrap`` resamples of both samples.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = compare_samples(rng.lognormal(0.3, 1, 500), rng.lognormal(0.0, 1, 500))
    >>> r.p_value < 0.01, r.rank_biserial > 0, r.median_difference > 0
    (True, True, True)
    >>> r.median_difference_ci_low <= r.median_difference <= r.median_difference_ci_high
    True
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
    kwargs = {"confidence": confidence, "n_bootstrap": n_bootstrap, "seed": seed}
    low, high = _bootstrap_interval((x, y), _median_difference, **kwargs)
    return SampleComparison(
        first=sample_summary(x, **kwargs),
        second=sample_summary(y, **kwargs),
        statistic=float(u),
        p_value=float(np.clip(p, 0.0, 1.0)) if np.isfinite(p) else 1.0,
        rank_biserial=float(np.clip(2 * u / (x.size * y.size) - 1, -1.0, 1.0)),
        median_difference=float(np.median(x) - np.median(y)),
        median_difference_ci_low=low,
        median_difference_ci_high=high,
        confidence=confidence,
    )
