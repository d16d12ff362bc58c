"""Embedding drift of each segment against the segment's own reference.

A segment (``locale=de-DE``) can change what it asks while the stream as a whole barely moves: the
stream-level drift tests dilute it among every other segment's traffic. Here each segment's embeddings
of a window are tested against *the same segment's* embeddings in the stream's reference period, with
the drift monitor's pieces:

- the reference range is the drift monitor's (:meth:`~monitor.windows.WindowEvaluator.reference_for`):
  the stream's pinned window, or ``monitor.trailing_windows`` segment windows ending
  ``monitor.trailing_gap_windows`` segment windows before the current one, per ``monitor.reference``;
- each test of ``segments.drift_tests`` is built by :func:`~monitor.windows.build_detector`, with
  ``segments.alpha`` and ``segments.drift_min_samples`` per side (fewer: INSUFFICIENT_DATA, no test);
- every segment's tests of one window form one family, corrected together (``segments.correction``,
  Benjamini-Hochberg by default), as a window's stream-level tests are.

Both sides are capped at ``segments.drift_max_samples`` embeddings per segment, a deterministic sample by
event id, so a window evaluated again gives the same results. With ``segments.drift_one_per_session`` (the
default) a session contributes one event: its turns share a topic, so they are not independent draws, and
counting them as such makes the permutation tests alarm about three times too often on demo traffic.

A result is a :class:`~schemas.DriftResult` of the detector that ran, whose ``feature`` names the segment
(``prompt_embedding:locale=de-DE``): it is stored in ``drift_scores`` beside the stream's own results and
moves the alert policy like them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np

from detectors.drift import correct
from infra.settings import DriftTestSpec, Settings
from infra.store import Store
from infra.store.aggregates import OutcomeCounts
from monitor.segments.disparity import feature_name
from monitor.windows.drift_tests import build_detector
from monitor.windows.evaluate import WindowEvaluator, insufficient_result, too_few_samples
from monitor.windows.windows import Window
from schemas import DriftResult, StreamKey

Segment = tuple[str, str]
"""``(tag, value)``."""
Sample = tuple[np.ndarray, list[str]]
"""Embeddings (one row per event) and their texts."""
Samples = Mapping[str, Mapping[Segment, Sample]]
"""Per embedding feature, per segment."""

_EMPTY: Sample = (np.zeros((0, 0), dtype=np.float32), [])


def drift_segments(counts: Sequence[OutcomeCounts], other_label: str) -> list[Segment]:
    """The segments whose drift is tested: every named value of every tag that has more than one.

    The pooled ``other_label`` value is left out (its members change with each window's ranking, so it
    has no reference of its own), and so is a tag with a single value (that segment is the whole stream,
    whose drift the drift monitor tests).
    """
    by_tag: dict[str, list[str]] = {}
    for c in counts:
        by_tag.setdefault(c.tag, []).append(c.value)
    return [
        (tag, value)
        for tag in sorted(by_tag)
        if len(by_tag[tag]) > 1
        for value in sorted(by_tag[tag])
        if value != other_label
    ]


def segment_spec(spec: DriftTestSpec, settings: Settings, segment: Segment) -> DriftTestSpec:
    """``spec`` for one segment: the segments' alpha and minimum sample, and a feature naming the segment.

    >>> s = segment_spec(DriftTestSpec(detector="mmd"), Settings(), ("locale", "de-DE"))
    >>> s.params["feature"], s.params["min_current"], s.params["alpha"]
    ('prompt_embedding:locale=de-DE', 100, 0.05)
    """
    seg = settings.segments
    params = {
        "alpha": seg.alpha,
        "min_reference": seg.drift_min_samples,
        "min_current": seg.drift_min_samples,
        **spec.params,
        "feature": feature_name(spec.feature, *segment),
    }
    return spec.model_copy(update={"params": params})


def _run_test(
    spec: DriftTestSpec, settings: Settings, segment: Segment, current: Samples, reference: Samples | None
) -> DriftResult:
    detector = build_detector(segment_spec(spec, settings, segment), settings)
    cur, cur_texts = current.get(spec.feature, {}).get(segment, _EMPTY)
    if reference is None:
        return insufficient_result(detector, 0, len(cur), "no pinned reference for this stream")
    ref, ref_texts = reference.get(spec.feature, {}).get(segment, _EMPTY)
    if (too_few := too_few_samples(detector, ref, cur, f"segment {segment[0]}={segment[1]}: ")) is not None:
        return too_few
    result = detector.fit(ref, ref_texts).test(cur, cur_texts)
    return result.model_copy(update={"explanation": f"segment {segment[0]}={segment[1]}: {result.explanation}"})


def segment_drift_tests(
    segments: Sequence[Segment],
    current: Samples,
    reference: Samples | None,
    settings: Settings,
    *,
    stream: StreamKey,
    window_start: datetime,
    window_end: datetime,
    reference_start: datetime | None = None,
    reference_end: datetime | None = None,
) -> list[DriftResult]:
    """Every test of ``segments.drift_tests`` on every segment, corrected together, stamped with the window.

    ``reference`` is ``None`` when the stream has no reference range (``monitor.reference = "pinned"``
    without a pin): every result is then INSUFFICIENT_DATA. Results are ordered by test, then segment.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> rng = np.random.default_rng(0)
    >>> ref = {"prompt_embedding": {("locale", "a"): (rng.normal(size=(120, 4)), ["r"] * 120),
    ...                             ("locale", "b"): (rng.normal(size=(120, 4)), ["r"] * 120)}}
    >>> cur = {"prompt_embedding": {("locale", "a"): (rng.normal(size=(120, 4)), ["c"] * 120),
    ...                             ("locale", "b"): (rng.normal(size=(120, 4)) + 3.0, ["c"] * 120)}}
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> results = segment_drift_tests([("locale", "a"), ("locale", "b")], cur, ref, Settings(),
    ...                               stream=StreamKey(app="a", model="m", model_version="1"),
    ...                               window_start=t, window_end=t)
    >>> [(r.feature, r.decision.value) for r in results]
    [('prompt_embedding:locale=a', 'no_drift'), ('prompt_embedding:locale=b', 'drift')]
    """
    seg = settings.segments
    results = [_run_test(spec, settings, s, current, reference) for spec in seg.drift_tests for s in segments]
    results = correct(results, seg.correction, alpha=seg.alpha)
    stamp = {
        "stream": stream,
        "window_start": window_start,
        "window_end": window_end,
        "reference_start": reference_start,
        "reference_end": reference_end,
    }
    return [r.model_copy(update=stamp) for r in results]


class SegmentDriftEvaluator:
    """Reads each segment's samples of a window and of its reference from the store, and tests them."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._references = WindowEvaluator(settings, store)

    def _samples(
        self, stream: StreamKey, window: Window, segments: Sequence[Segment]
    ) -> dict[str, dict[Segment, Sample]]:
        seg = self.settings.segments
        return {
            feature: self.store.events.segment_embedding_samples(
                stream,
                window.start,
                window.end,
                segments,
                feature=feature,
                limit=seg.drift_max_samples,
                unset_label=seg.unset_label,
                one_per_session=seg.drift_one_per_session,
            )
            for feature in sorted({spec.feature for spec in seg.drift_tests})
        }

    def evaluate(self, stream: StreamKey, window: Window, segments: Sequence[Segment]) -> list[DriftResult]:
        """The drift results of ``segments`` in one window of ``stream`` (not stored, no alerts)."""
        if not self.settings.segments.drift_tests or not segments:
            return []
        reference, _ = self._references.reference_for(stream, window, self.store.drift.reference_pin(stream))
        current = self._samples(stream, window, segments)
        ref_samples = None if reference is None else self._samples(stream, reference, segments)
        return segment_drift_tests(
            segments,
            current,
            ref_samples,
            self.settings,
            stream=stream,
            window_start=window.start,
            window_end=window.end,
            reference_start=None if reference is None else reference.start,
            reference_end=None if reference is None else reference.end,
        )
