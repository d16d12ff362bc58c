"""Typed results of segment disparity tests, model-version comparisons and usage analytics.

Each test result names what was compared, the test that ran, both sides' estimates with their sample
sizes and confidence intervals, the raw and corrected p-values, and an effect size.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.drift import DriftResult, StreamKey


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MetricKind(StrEnum):
    RATE = "rate"
    """A share of events (thumbs-down, refusal, ...): two-proportion z-test or Fisher's exact test."""
    CONTINUOUS = "continuous"
    """A per-event number (latency, tokens, cost, relevance): Mann-Whitney U with a bootstrap CI."""
    EMBEDDING = "embedding"
    """Embeddings of responses: a drift detector, version A as reference."""


class Direction(StrEnum):
    """Which way of a metric is worse."""

    HIGHER_IS_WORSE = "higher_is_worse"
    LOWER_IS_WORSE = "lower_is_worse"
    NEUTRAL = "neutral"
    """A difference is reported, never judged (e.g. responses that differ in content)."""


class Verdict(StrEnum):
    BETTER = "better"
    WORSE = "worse"
    MIXED = "mixed"
    """Significantly better on some metrics and worse on others."""
    DIFFERENT = "different"
    """Significantly different on a metric without a better or worse direction only."""
    NO_SIGNIFICANT_DIFFERENCE = "no_significant_difference"
    INSUFFICIENT_DATA = "insufficient_data"


class RateTest(StrEnum):
    Z_TEST = "two_proportion_z"
    FISHER = "fisher_exact"


class RateTesting(_Frozen):
    """How two rates are compared: the level of the reported intervals and when Fisher's exact test runs.

    The one place these defaults live: ``detectors.compare`` defaults to them, and the service's
    ``segments`` and ``compare`` settings are built on this model.
    """

    confidence: float = Field(default=0.95, gt=0, lt=1, description="Level of the reported intervals.")
    fisher_below: float = Field(
        default=5.0, ge=0, description="Fisher's exact test when an expected cell count is below this."
    )


class ComparisonTesting(RateTesting):
    """:class:`RateTesting`, and how continuous metrics (latency, tokens, cost) are compared."""

    n_bootstrap: int = Field(default=200, ge=0, description="Bootstrap resamples of a median's interval.")


DEFAULT_COMPARISON_TESTING = ComparisonTesting()


class RateEstimate(_Frozen):
    """``k`` of ``n`` events, their share and its Wilson score interval."""

    k: int = Field(ge=0)
    n: int = Field(ge=0)
    rate: float | None = Field(default=None, ge=0, le=1)
    ci_low: float | None = Field(default=None, ge=0, le=1)
    ci_high: float | None = Field(default=None, ge=0, le=1)


class SampleSummary(_Frozen):
    """A continuous metric on one side: sample size, mean, median and the median's bootstrap CI."""

    n: int = Field(ge=0)
    mean: float | None = None
    median: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


class RateComparison(_Frozen):
    """Two rates tested against each other (``first`` minus ``second``), optionally beyond a margin."""

    first: RateEstimate
    second: RateEstimate
    test: RateTest
    statistic: float
    p_value: float = Field(ge=0, le=1)
    difference: float
    difference_ci_low: float
    difference_ci_high: float
    margin: float = Field(ge=0)
    cohens_h: float
    confidence: float = Field(gt=0, lt=1)


class SampleComparison(_Frozen):
    """Two samples of a continuous metric: Mann-Whitney U, rank-biserial effect, median shift with bootstrap CI."""

    first: SampleSummary
    second: SampleSummary
    test: str = "mann_whitney_u"
    statistic: float
    p_value: float = Field(ge=0, le=1)
    rank_biserial: float = Field(ge=-1, le=1, description="P(first > second) - P(first < second).")
    median_difference: float | None = None
    median_difference_ci_low: float | None = None
    median_difference_ci_high: float | None = None
    confidence: float = Field(gt=0, lt=1)


class MetricComparison(_Frozen):
    """One metric of a version comparison: B against A, with its test, effect size and verdict."""

    metric: str
    kind: MetricKind
    direction: Direction
    rates: RateComparison | None = None
    samples: SampleComparison | None = None
    drift: DriftResult | None = None
    p_value: float | None = Field(default=None, ge=0, le=1)
    adjusted_p_value: float | None = Field(default=None, ge=0, le=1)
    effect_size: float | None = None
    effect_size_name: str = ""
    verdict: Verdict
    explanation: str = ""


class VersionComparison(_Frozen):
    """Version B of an app's model against version A over one time range, metric by metric."""

    app: str
    a: StreamKey
    b: StreamKey
    start: datetime | None = None
    end: datetime | None = None
    experiment: dict[str, str] = Field(default_factory=dict, description="Tag filter both versions' events share.")
    alpha: float = Field(gt=0, lt=1)
    correction: str
    events_a: int = Field(ge=0)
    events_b: int = Field(ge=0)
    metrics: list[MetricComparison]
    verdict: Verdict
    evidence: list[str] = Field(default_factory=list, description="One line per significant metric.")
    seconds: float | None = Field(default=None, ge=0, description="How long the comparison took.")


class SegmentDisparity(_Frozen):
    """One segment against the rest of its stream on one metric in one window."""

    stream: StreamKey
    window_start: datetime
    window_end: datetime
    tag: str
    value: str = Field(description="The tag's value; rare values are pooled as the configured 'other' label.")
    metric: str
    comparison: RateComparison
    adjusted_p_value: float | None = Field(default=None, ge=0, le=1)
    alpha: float = Field(gt=0, lt=1)
    disparate: bool
    summary: str


class SegmentRates(_Frozen):
    """Every metric of one segment in one window, with the segment's latency."""

    tag: str
    value: str
    events: int = Field(ge=0)
    rates: dict[str, RateEstimate] = Field(default_factory=dict)
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None


class UsageTotals(_Frozen):
    """Usage of one group (an app, a model, a version, or everything) over a time range."""

    app: str | None = None
    model: str | None = None
    model_version: str | None = None
    requests: int = Field(ge=0)
    users: int = Field(ge=0, description="Distinct user ids (events without one are not counted).")
    sessions: int = Field(ge=0)
    requests_per_user: float | None = None
    requests_per_session: float | None = None
    tokens_in: int = Field(ge=0)
    tokens_out: int = Field(ge=0)
    cost_usd: float = Field(ge=0)


class UsagePoint(_Frozen):
    """Usage of one group in one time bucket."""

    bucket: datetime
    app: str | None = None
    model: str | None = None
    model_version: str | None = None
    requests: int = Field(ge=0)
    users: int = Field(ge=0)
    sessions: int = Field(ge=0)
    tokens_in: int = Field(ge=0)
    tokens_out: int = Field(ge=0)
    cost_usd: float = Field(ge=0)


class UsageReport(_Frozen):
    """Usage over ``[start, end)``: overall totals, per app/model/version, over time, and the top spenders."""

    start: datetime
    end: datetime
    bucket_s: int = Field(gt=0)
    total: UsageTotals
    by_version: list[UsageTotals]
    series: list[UsagePoint]
    top_apps: list[UsageTotals]
    top_models: list[UsageTotals]


__all__ = [
    "Direction",
    "MetricComparison",
    "MetricKind",
    "RateComparison",
    "RateEstimate",
    "RateTest",
    "SampleComparison",
    "SampleSummary",
    "SegmentDisparity",
    "SegmentRates",
    "UsagePoint",
    "UsageReport",
    "UsageTotals",
    "Verdict",
    "VersionComparison",
]
