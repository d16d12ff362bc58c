"""Bootstrap intervals of the median difference on bimodal latencies (fast refusals among slow answers).

A version that refuses more has a bimodal latency: the intervals must contain their own point
estimate, shrink like ``1 / sqrt(n)`` however large the samples, and cover the true difference of
population medians at about their nominal level.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from detectors.compare import compare_samples

FAST = (150.0, 0.3)
"""Refusals: lognormal latency, median (ms) and sigma."""
SLOW = (850.0, 0.25)
"""Answers: lognormal latency, median (ms) and sigma."""
REFUSAL_A, REFUSAL_B = 0.02, 0.3


def latencies(rng: np.random.Generator, n: int, refusal_share: float) -> np.ndarray:
    refused = rng.random(n) < refusal_share
    fast = rng.lognormal(np.log(FAST[0]), FAST[1], n)
    slow = rng.lognormal(np.log(SLOW[0]), SLOW[1], n)
    return np.where(refused, fast, slow).round(1)


def population_median(refusal_share: float) -> float:
    def excess(m: float) -> float:
        fast = stats.lognorm.cdf(m, FAST[1], scale=FAST[0])
        slow = stats.lognorm.cdf(m, SLOW[1], scale=SLOW[0])
        return refusal_share * fast + (1 - refusal_share) * slow - 0.5

    return float(optimize.brentq(excess, 1.0, 1e5))


def contains(low: float | None, value: float | None, high: float | None) -> bool:
    assert low is not None and value is not None and high is not None
    return low <= value <= high


def test_population_medians_straddle_the_refusal_mode() -> None:
    """The simulated B is really bimodal around its median: the fast mode holds a good share of mass."""
    b = population_median(REFUSAL_B)
    assert population_median(REFUSAL_A) > b > 2 * FAST[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_large_bimodal_samples_interval_contains_estimate_and_shrinks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = latencies(rng, 20_000, REFUSAL_A), latencies(rng, 20_000, REFUSAL_B)
    full = compare_samples(b, a, seed=seed)
    quarter = compare_samples(b[:5_000], a[:5_000], seed=seed)
    for r in (full, quarter):
        assert contains(r.median_difference_ci_low, r.median_difference, r.median_difference_ci_high)
        assert contains(r.first.ci_low, r.first.median, r.first.ci_high)
        assert contains(r.second.ci_low, r.second.median, r.second.ci_high)
    assert full.median_difference_ci_low is not None and full.median_difference_ci_high is not None
    assert quarter.median_difference_ci_low is not None and quarter.median_difference_ci_high is not None
    width_full = full.median_difference_ci_high - full.median_difference_ci_low
    width_quarter = quarter.median_difference_ci_high - quarter.median_difference_ci_low
    # Four times the events: about half the width (a bootstrap of a subset would not shrink at all).
    assert 0.3 < width_full / width_quarter < 0.75


@pytest.mark.parametrize(("n", "confidence"), [(300, 0.95), (300, 0.8)])
def test_interval_covers_true_median_difference_at_nominal_rate(n: int, confidence: float) -> None:
    truth = population_median(REFUSAL_B) - population_median(REFUSAL_A)
    draws = 300
    covered = 0
    for i in range(draws):
        rng = np.random.default_rng(10_000 + i)
        a, b = latencies(rng, n, REFUSAL_A), latencies(rng, n, REFUSAL_B)
        r = compare_samples(b, a, confidence=confidence, n_bootstrap=200, seed=i)
        assert contains(r.median_difference_ci_low, r.median_difference, r.median_difference_ci_high)
        covered += contains(r.median_difference_ci_low, truth, r.median_difference_ci_high)
    # Binomial standard error at 300 draws is about 0.013 (0.95) and 0.023 (0.8).
    se = np.sqrt(confidence * (1 - confidence) / draws)
    assert confidence - 4 * se <= covered / draws <= confidence + 4 * se


def test_no_interval_without_resamples_or_with_a_single_value() -> None:
    rng = np.random.default_rng(5)
    a, b = latencies(rng, 100, REFUSAL_A), latencies(rng, 100, REFUSAL_B)
    none = compare_samples(b, a, n_bootstrap=0)
    assert none.median_difference_ci_low is None and none.median_difference_ci_high is None
    single = compare_samples(b[:1], a)
    assert single.median_difference == pytest.approx(b[0] - np.median(a))
    assert single.median_difference_ci_low is None and single.first.ci_low is None
    assert single.second.ci_low is not None
