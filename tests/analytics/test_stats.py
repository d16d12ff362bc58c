"""The comparison statistics: intervals cover, tests keep their level under no effect and find real effects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from detectors.compare import compare_rates, compare_samples, wilson_interval
from infra.settings import SegmentSettings
from infra.store.aggregates import OutcomeCounts
from monitor.segments.disparity import disparity_tests
from schemas import RateTest, StreamKey

STREAM = StreamKey(app="a", model="m", model_version="1")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_wilson_interval_covers_the_true_rate_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(0)
    p, n = 0.07, 120
    hits = sum(lo <= p <= hi for lo, hi in (wilson_interval(int(k), n) for k in rng.binomial(n, p, size=2000)))
    assert 0.93 <= hits / 2000 <= 0.975


def test_fisher_exact_for_small_counts_and_z_test_for_large() -> None:
    assert compare_rates(2, 15, 1, 40).test is RateTest.FISHER
    assert compare_rates(200, 1000, 100, 1000).test is RateTest.Z_TEST
    big = compare_rates(200, 1000, 100, 1000)
    assert big.p_value < 1e-6 and big.difference_ci_low > 0 and big.cohens_h > 0


def test_margin_turns_small_real_differences_into_non_findings() -> None:
    r = compare_rates(130, 1000, 100, 1000, margin=0.1)
    assert r.p_value > 0.5
    assert compare_rates(130, 1000, 100, 1000, margin=0.0).p_value < 0.05


def test_rate_test_level_under_no_effect_is_near_alpha() -> None:
    rng = np.random.default_rng(1)
    rejections = 0
    runs = 2000
    for _ in range(runs):
        k1, k2 = rng.binomial(300, 0.15), rng.binomial(900, 0.15)
        rejections += compare_rates(int(k1), 300, int(k2), 900).p_value <= 0.05
    assert 0.03 <= rejections / runs <= 0.07


def test_mann_whitney_finds_a_shift_and_not_a_null() -> None:
    rng = np.random.default_rng(2)
    a = rng.lognormal(6.7, 0.3, 2000)
    shifted = compare_samples(a * 1.2, a[::-1].copy())
    assert shifted.p_value < 1e-6 and shifted.rank_biserial > 0.1 and shifted.median_difference > 0
    assert shifted.median_difference_ci_low is not None and shifted.median_difference_ci_low > 0
    nulls = [compare_samples(rng.lognormal(6.7, 0.3, 300), rng.lognormal(6.7, 0.3, 300)).p_value for _ in range(300)]
    assert 0.02 <= np.mean(np.array(nulls) <= 0.05) <= 0.09


def _counts(value: str, events: int, thumbs: int, down: int) -> OutcomeCounts:
    return OutcomeCounts(STREAM, "locale", value, events, thumbs, down, 0, events, 0, events, 0, events, 0, None, None)


@pytest.mark.parametrize("margin", [0.0, 0.05])
def test_disparity_false_positive_rate_under_no_effect_is_at_most_alpha(margin: float) -> None:
    """Many windows of six segments with one true rate: windows with any disparity stay near or below alpha."""
    rng = np.random.default_rng(3)
    settings = SegmentSettings(alpha=0.05, margin=margin, metrics=["thumbs_down"], min_count=30)
    shares = np.array([0.42, 0.22, 0.09, 0.08, 0.12, 0.07])
    windows_flagged = raw_rejections = raw_tests = 0
    runs = 400
    for i in range(runs):
        thumbs = rng.multinomial(1500, shares)
        counts = [_counts(f"v{j}", int(t * 2), int(t), int(rng.binomial(t, 0.15))) for j, t in enumerate(thumbs)]
        disparities, _ = disparity_tests(counts, settings, STREAM, T0 + timedelta(hours=i), T0 + timedelta(hours=i + 1))
        windows_flagged += any(d.disparate for d in disparities)
        raw_rejections += sum(d.comparison.p_value <= 0.05 for d in disparities)
        raw_tests += len(disparities)
    if margin == 0.0:
        assert 0.03 <= raw_rejections / raw_tests <= 0.07  # each test alone holds its level
        assert windows_flagged / runs <= 0.08  # BH across the window's family: about alpha under no effect
    else:
        assert windows_flagged / runs <= 0.01


def test_disparity_names_the_worse_segment_with_rates_intervals_and_sizes() -> None:
    counts = [_counts("en-US", 2000, 900, 110), _counts("en-GB", 1000, 450, 55), _counts("en-IN", 500, 220, 90)]
    disparities, results = disparity_tests(counts, SegmentSettings(metrics=["thumbs_down"]), STREAM, T0, T0)
    found = [d for d in disparities if d.disparate]
    assert [(d.tag, d.value, d.metric) for d in found] == [("locale", "en-IN", "thumbs_down")]
    d = found[0]
    assert d.comparison.first.n == 220 and d.comparison.second.n == 1350
    assert d.comparison.first.ci_low < d.comparison.first.rate < d.comparison.first.ci_high
    assert "en-IN" in d.summary and "n=220" in d.summary and "n=1350" in d.summary
    assert len(results) == 3 and all(r.adjusted_p_value is not None for r in results)
