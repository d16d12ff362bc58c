"""Comparisons of two groups of events: rates, continuous metrics, and verdicts.

Pure statistics used by segment disparity detection (a segment against the rest of its stream) and by
model-version comparison (version B against version A): :func:`compare_rates` (two-proportion z-test,
Fisher's exact test for small counts, Wilson intervals, an optional margin), :func:`compare_samples`
(Mann-Whitney U with effect sizes), :func:`metric_verdict` and :func:`overall_verdict`.
"""

from detectors.compare.rates import cohens_h, compare_rates, rate_estimate, wilson_interval
from detectors.compare.samples import compare_samples, sample_summary
from detectors.compare.verdict import metric_verdict, overall_verdict

__all__ = [
    "cohens_h",
    "compare_rates",
    "compare_samples",
    "metric_verdict",
    "overall_verdict",
    "rate_estimate",
    "sample_summary",
    "wilson_interval",
]
