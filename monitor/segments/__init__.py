"""User segments: disparity and per-segment drift alerts, read from the store.

- :class:`SegmentMonitor` evaluates every closed segment window of every stream and raises disparity and drift
  alerts through the drift alert policy;
- :func:`disparity_tests` tests one window's segments against the rest of their stream;
- :func:`segment_drift_tests` tests each segment's embeddings against the segment's own reference
  (:class:`SegmentDriftEvaluator` reads both from the store).
"""

from monitor.segments.disparity import disparity_tests, segment_rates
from monitor.segments.drift import SegmentDriftEvaluator, drift_segments, segment_drift_tests
from monitor.segments.monitor import SegmentMonitor, SegmentRun, disparity_alert, disparity_dedup_key

__all__ = [
    "SegmentDriftEvaluator",
    "SegmentMonitor",
    "SegmentRun",
    "disparity_alert",
    "disparity_dedup_key",
    "disparity_tests",
    "drift_segments",
    "segment_drift_tests",
    "segment_rates",
]
