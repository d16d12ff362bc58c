"""Rates compared: Wilson score intervals, the two-proportion z-test, Fisher's exact test for small counts.

A disparity is a difference of rates beyond a ``margin``. With ``margin > 0`` the z-test is a
minimum-effect test of ``H0: |p1 - p2| <= margin`` against ``H1: |p1 - p2| > margin``, evaluated at the
boundary of the null (unpooled standard error):

    p = Phi(-(|d| - m) / se) + Phi(-(|d| + m) / se)

which is the usual two-sided pooled test when ``m = 0`` (then the pooled standard error is used) and
conservative for every ``|p1 - p2| < m``. When an expected cell count is below ``fisher_below``,
Fisher's exact test runs instead and a difference within the margin gets ``p = 1``.

The interval of the difference is Newcombe's hybrid score interval, built from the two Wilson intervals.
"""

from __future__ import annotations

import math
from typing import Literal

from scipy import stats

from schemas.analytics import DEFAULT_COMPARISON_TESTING, RateComparison, RateEstimate, RateTest


def wilson_interval(k: int, n: int, confidence: float = DEFAULT_COMPARISON_TESTING.confidence) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n``; ``(0, 1)`` when ``n == 0``.

    Examples
    --------
    >>> [round(x, 4) for x in wilson_interval(10, 100)]
    [0.0552, 0.1744]
    >>> wilson_interval(0, 0)
    (0.0, 1.0)
    """
    if k < 0 or n < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return 0.0, 1.0
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_estimate(k: int, n: int, confidence: float = DEFAULT_COMPARISON_TESTING.confidence) -> RateEstimate:
    """``k`` of ``n`` with its rate and Wilson interval (no rate when ``n == 0``).

    >>> rate_estimate(3, 12).rate
    0.25
    """
    if n == 0:
        return RateEstimate(k=k, n=n)
    low, high = wilson_interval(k, n, confidence)
    return RateEstimate(k=k, n=n, rate=k / n, ci_low=low, ci_high=high)


def cohens_h(p1: float, p2: float) -> float:
    """Cohen's h, the difference of arcsine-transformed proportions (0.2 small, 0.5 medium, 0.8 large).

    >>> round(cohens_h(0.5, 0.3), 3)
    0.412
    """
    return 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))


def compare_rates(
    k1: int,
    n1: int,
    k2: int,
    n2: int,
    *,
    margin: float = 0.0,
    confidence: float = DEFAULT_COMPARISON_TESTING.confidence,
    fisher_below: float = DEFAULT_COMPARISON_TESTING.fisher_below,
    alternative: Literal["two-sided", "greater"] = "two-sided",
) -> RateComparison:
    """Test rate ``k1/n1`` against ``k2/n2`` (see the module docstring).

    Parameters
    ----------
    margin
        Differences up to this (absolute, in rate units) are not a finding.
    confidence
        Level of the Wilson intervals and of the interval of the difference.
    fisher_below
        Fisher's exact test runs when any expected cell count of the 2x2 table is below this.
    alternative
        ``greater``: only a first rate above the second (by more than ``margin``) is a finding, with the
        one-sided p-value ``Phi(-(d - m) / se)``.

    Examples
    --------
    >>> r = compare_rates(60, 200, 100, 1000)
    >>> r.test.value, round(r.difference, 2), r.p_value < 1e-9
    ('two_proportion_z', 0.2, True)
    >>> compare_rates(60, 200, 100, 1000, margin=0.25).p_value > 0.5
    True
    >>> compare_rates(3, 10, 0, 10).test.value
    'fisher_exact'
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError(f"both samples need events, got n1={n1}, n2={n2}")
    if margin < 0 or margin >= 1:
        raise ValueError(f"margin must be in [0, 1), got {margin}")
    first, second = rate_estimate(k1, n1, confidence), rate_estimate(k2, n2, confidence)
    p1, p2 = k1 / n1, k2 / n2
    d = p1 - p2
    pooled = (k1 + k2) / (n1 + n2)
    expected = min(pooled * n1, (1 - pooled) * n1, pooled * n2, (1 - pooled) * n2)
    if expected < fisher_below:
        test = RateTest.FISHER
        _, p_exact = stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]], alternative=alternative)
        beyond = d > margin if alternative == "greater" else abs(d) > margin
        p_value = float(p_exact) if beyond else 1.0
        statistic = d
    else:
        test = RateTest.Z_TEST
        if margin == 0:
            se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
            statistic = d / se if se > 0 else 0.0
            if alternative == "greater":
                p_value = float(stats.norm.sf(statistic))
            else:
                p_value = float(2 * stats.norm.sf(abs(statistic)))
        else:
            se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
            se = se if se > 0 else math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
            if se <= 0:
                statistic, p_value = 0.0, 1.0
            elif alternative == "greater":
                statistic = (d - margin) / se
                p_value = float(stats.norm.sf(statistic))
            else:
                statistic = (abs(d) - margin) / se
                p_value = float(stats.norm.sf(statistic) + stats.norm.sf((abs(d) + margin) / se))
    assert first.ci_low is not None and first.ci_high is not None
    assert second.ci_low is not None and second.ci_high is not None
    low = d - math.sqrt((p1 - first.ci_low) ** 2 + (second.ci_high - p2) ** 2)
    high = d + math.sqrt((first.ci_high - p1) ** 2 + (p2 - second.ci_low) ** 2)
    return RateComparison(
        first=first,
        second=second,
        test=test,
        statistic=float(statistic),
        p_value=min(1.0, max(0.0, p_value)),
        difference=d,
        difference_ci_low=max(-1.0, low),
        difference_ci_high=min(1.0, high),
        margin=margin,
        cohens_h=cohens_h(p1, p2),
        confidence=confidence,
    )
