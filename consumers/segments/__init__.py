"""User segments, disparity alerts and model-version comparison, read from the store.

- :class:`SegmentMonitor` evaluates every closed segment window of every stream and raises disparity and drift
  alerts through the drift alert policy;
- :func:`disparity_tests` tests one window's segments against the rest of their stream;
- :func:`segment_drift_tests` tests each segment's embeddings against the segment's own reference
  (:class:`SegmentDriftEvaluator` reads both from the store);
- :func:`compare_versions` compares two versions of an app's model over a time range.
"""

from consumers.segments.compare import compare_versions, parse_version
from consumers.segments.disparity import disparity_tests, segment_rates
from consumers.segments.drift import SegmentDriftEvaluator, drift_segments, segment_drift_tests
from consumers.segments.monitor import SegmentMonitor, SegmentRun, disparity_alert, disparity_dedup_key
from consumers.segments.usage import overall_usage, usage_report

__all__ = [
    "SegmentDriftEvaluator",
    "SegmentMonitor",
    "SegmentRun",
    "compare_versions",
    "disparity_alert",
    "disparity_dedup_key",
    "disparity_tests",
    "drift_segments",
    "parse_version",
    "segment_drift_tests",
    "segment_rates",
    "overall_usage",
    "usage_report",
]
