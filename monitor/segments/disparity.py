"""Disparity tests of one stream's window: every segment against the rest of its stream, on every rate.

Per tag, the events of the window split into the tag's values (rare values pooled, see
``segments.max_values``); a segment's rate is compared with the rate of all other events of the stream
(:func:`detectors.compare.compare_rates`, beyond ``segments.margin``). The window's tests form one family
corrected together (``segments.correction``, Benjamini-Hochberg by default), as the drift tests of a
window are. Each test is also expressed as a :class:`~schemas.DriftResult` (detector ``disparity``,
feature ``metric:tag=value``, current = the segment, reference = the rest) so the alert policy of drift
windows (hysteresis, cooldown, minimum count) applies to it unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from detectors.compare import compare_rates, rate_estimate
from detectors.drift import correct
from detectors.drift.base import decide
from infra.settings import SegmentSettings
from infra.store.aggregates import OutcomeCounts
from schemas import DriftDecision, DriftResult, RateComparison, RateEstimate, SegmentDisparity, SegmentRates, StreamKey

DETECTOR = "disparity"
DETECTOR_VERSION = "1"


def feature_name(metric: str, tag: str, value: str) -> str:
    """The ``feature`` of a disparity result.

    >>> feature_name("thumbs_down", "locale", "de-DE")
    'thumbs_down:locale=de-DE'
    """
    return f"{metric}:{tag}={value}"


def _pct(r: RateEstimate) -> str:
    if r.rate is None:
        return f"n/a (n={r.n})"
    return f"{r.rate:.1%} [{r.ci_low:.1%}, {r.ci_high:.1%}] (n={r.n})"


def describe(tag: str, value: str, metric: str, comparison: RateComparison) -> str:
    """One line naming the segment, the metric, both rates with intervals and sample sizes, and the test.

    >>> from detectors.compare import compare_rates
    >>> for part in describe("locale", "de-DE", "thumbs_down", compare_rates(40, 100, 100, 1000)).split("; "):
    ...     print(part)
    segment locale=de-DE: thumbs_down 40.0% [30.9%, 49.8%] (n=100) vs rest 10.0% [8.3%, 12.0%] (n=1000)
    two_proportion_z p=9.3e-18
    """
    return (
        f"segment {tag}={value}: {metric} {_pct(comparison.first)} vs rest {_pct(comparison.second)}; "
        f"{comparison.test.value} p={comparison.p_value:.2g}"
    )


def segment_rates(counts: Sequence[OutcomeCounts], metrics: Sequence[str], confidence: float) -> list[SegmentRates]:
    """Every segment's rates (with Wilson intervals) and latency, for the dashboard and the API."""
    return [
        SegmentRates(
            tag=c.tag,
            value=c.value,
            events=c.events,
            rates={m: rate_estimate(*c.rate_counts(m), confidence) for m in metrics},
            latency_p50_ms=c.latency_p50_ms,
            latency_p95_ms=c.latency_p95_ms,
        )
        for c in counts
    ]


def disparity_tests(
    counts: Sequence[OutcomeCounts],
    settings: SegmentSettings,
    stream: StreamKey,
    window_start: datetime,
    window_end: datetime,
) -> tuple[list[SegmentDisparity], list[DriftResult]]:
    """Test every segment of ``counts`` (one stream, one window) against the rest; correct them together.

    Returns the disparity results of the tests that ran and, aligned with the tests that ran plus those
    skipped for lack of events (INSUFFICIENT_DATA), the drift-shaped results the alert policy consumes.
    """
    by_tag: dict[str, list[OutcomeCounts]] = defaultdict(list)
    for c in counts:
        by_tag[c.tag].append(c)
    comparisons: list[tuple[str, str, str, RateComparison | None]] = []
    results: list[DriftResult] = []
    stamp = {"stream": stream, "window_start": window_start, "window_end": window_end}
    for tag in sorted(by_tag):
        segments = by_tag[tag]
        if len(segments) < 2:
            continue
        for metric in settings.metrics:
            total_k = sum(s.rate_counts(metric)[0] for s in segments)
            total_n = sum(s.rate_counts(metric)[1] for s in segments)
            for s in segments:
                k, n = s.rate_counts(metric)
                k_rest, n_rest = total_k - k, total_n - n
                config = {"tag": tag, "value": s.value, "metric": metric, "margin": settings.margin}
                base = {
                    "detector": DETECTOR,
                    "detector_version": DETECTOR_VERSION,
                    "feature": feature_name(metric, tag, s.value),
                    "alpha": settings.alpha,
                    "n_reference": n_rest,
                    "n_current": n,
                    **stamp,
                }
                if n < settings.min_count or n_rest < settings.min_count:
                    comparisons.append((tag, s.value, metric, None))
                    results.append(
                        DriftResult(
                            **base,
                            statistic=0.0,
                            decision=DriftDecision.INSUFFICIENT_DATA,
                            explanation=f"insufficient data: segment n={n}, rest n={n_rest} "
                            f"(min {settings.min_count}); no test was run",
                            config=config,
                        )
                    )
                    continue
                comparison = compare_rates(
                    k,
                    n,
                    k_rest,
                    n_rest,
                    margin=settings.margin,
                    confidence=settings.confidence,
                    fisher_below=settings.fisher_below,
                    alternative="greater" if settings.worse_only else "two-sided",
                )
                comparisons.append((tag, s.value, metric, comparison))
                results.append(
                    DriftResult(
                        **base,
                        statistic=comparison.difference,
                        p_value=comparison.p_value,
                        decision=decide(comparison.p_value, settings.alpha),
                        explanation=describe(tag, s.value, metric, comparison),
                        config={**config, "comparison": comparison.model_dump(mode="json")},
                    )
                )
    results = correct(results, settings.correction, alpha=settings.alpha)
    disparities = []
    for (tag, value, metric, comparison), result in zip(comparisons, results, strict=True):
        if comparison is None:
            continue
        disparities.append(
            SegmentDisparity(
                stream=stream,
                window_start=window_start,
                window_end=window_end,
                tag=tag,
                value=value,
                metric=metric,
                comparison=comparison,
                adjusted_p_value=result.adjusted_p_value,
                alpha=settings.alpha,
                disparate=result.decision is DriftDecision.DRIFT,
                summary=describe(tag, value, metric, comparison)
                + (f", adjusted p={result.adjusted_p_value:.2g}" if result.adjusted_p_value is not None else ""),
            )
        )
    return disparities, results
