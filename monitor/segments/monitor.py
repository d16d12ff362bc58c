"""Segment windows: every closed window of every stream, its segments' rates, disparity and drift tests, and alerts.

:class:`SegmentMonitor` walks the closed ``segments.window_s`` windows of each active stream not yet
evaluated (progress in ``segment_progress``), writes every disparity result (``segment_results``) and
every segment drift result (``drift_scores``, feature ``prompt_embedding:tag=value``, see
:mod:`monitor.segments.drift`), and moves the same alert policy as drift windows
(:class:`~monitor.alerting.AlertPolicy`, settings ``segments.policy``) per (stream, tag, value, metric)
and per (stream, detector, segment). Alerts (kind ``disparity``, and kind ``drift`` for a segment's
embedding drift) go to the store and the alert outbox, whose deliveries the drift monitor's delivery job sends.

Wire it as one more job of the monitor's scheduler: ``SegmentMonitor(settings, store, monitor.outbox)``
and ``scheduler.add_job(segment_monitor.run_once, "interval", seconds=settings.segments.interval_s)``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from infra.settings import Settings
from infra.store import Store
from monitor.alerting import (
    AlertOutbox,
    AlertPolicy,
    PolicyState,
    Transition,
    drift_alert,
    drift_dedup_key,
    transition_alert,
)
from monitor.segments.disparity import disparity_tests
from monitor.segments.drift import SegmentDriftEvaluator, drift_segments
from monitor.windows.windows import Watermark, Window, closed_windows, evaluation_horizon, floor_time
from schemas import Alert, AlertKind, DriftDecision, DriftResult, SegmentDisparity, StreamKey

log = logging.getLogger(__name__)


def disparity_dedup_key(stream: StreamKey, feature: str) -> str:
    """Transitions of one disparity alert share this key.

    >>> disparity_dedup_key(StreamKey(app="a", model="m", model_version="1"), "thumbs_down:locale=de-DE")
    'a/m@1:disparity:thumbs_down:locale=de-DE'
    """
    return f"{stream}:disparity:{feature}"


def disparity_alert(transition: Transition, dedup_key: str, disparity: SegmentDisparity | None) -> Alert:
    """The alert of one transition; its summary names the segment, the metric, both rates and sample sizes."""
    result = transition.result
    detail = disparity.summary if disparity is not None else result.explanation
    summary = f"disparity on {result.stream}: {transition.state.value} ({transition.reason}); {detail}"
    return transition_alert(transition, dedup_key, AlertKind.DISPARITY, summary, result)


@dataclass
class SegmentRun:
    """What one run did."""

    windows: int = 0
    results: list[SegmentDisparity] = field(default_factory=list)
    drift: list[DriftResult] = field(default_factory=list)
    """Every segment drift result, INSUFFICIENT_DATA included."""
    alerts: list[Alert] = field(default_factory=list)

    @property
    def disparities(self) -> list[SegmentDisparity]:
        return [r for r in self.results if r.disparate]

    @property
    def drifted(self) -> list[DriftResult]:
        """The segment drift results that decided DRIFT (after correction)."""
        return [r for r in self.drift if r.decision is DriftDecision.DRIFT]


@dataclass(frozen=True)
class _WindowResults:
    disparities: list[SegmentDisparity]
    disparity_results: list[DriftResult]
    drift: list[DriftResult]


class SegmentMonitor:
    """Per-segment, per-window evaluation for the process that owns the store (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        outbox: AlertOutbox | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        watermark: Watermark | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.watermark = watermark
        self.drift = SegmentDriftEvaluator(settings, store)
        self._states: dict[str, PolicyState] | None = None
        self._lock = threading.Lock()

    def evaluate_window(self, stream: StreamKey, window: Window) -> list[SegmentDisparity]:
        """Disparity results of one window (not stored, no alerts)."""
        return self._evaluate(stream, window).disparities

    def evaluate_drift(self, stream: StreamKey, window: Window) -> list[DriftResult]:
        """Segment drift results of one window (not stored, no alerts)."""
        return self._evaluate(stream, window).drift

    def _evaluate(self, stream: StreamKey, window: Window) -> _WindowResults:
        seg = self.settings.segments
        counts = self.store.aggregates.outcome_counts(
            [stream],
            window.start,
            window.end,
            segment_tags=seg.tags,
            max_values=seg.max_values,
            other_label=seg.other_label,
            unset_label=seg.unset_label,
            refusal_detector=seg.refusal_detector,
            off_topic_detector=seg.off_topic_detector,
            breach_detectors=seg.breach_detectors,
        )
        disparities, results = disparity_tests(counts, seg, stream, window.start, window.end)
        drift = self.drift.evaluate(stream, window, drift_segments(counts, seg.other_label))
        return _WindowResults(disparities, results, drift)

    def run_once(self, now: datetime | None = None) -> SegmentRun:
        """Evaluate every closed, not yet evaluated segment window of every active stream."""
        seg = self.settings.segments
        run = SegmentRun()
        if not seg.enabled:
            return run
        now = now or self.clock()
        with self._lock:
            states = self._policy_states()
            progress = self.store.segments.progress()
            spans = self.store.events.stream_spans(since=now - timedelta(seconds=self.settings.monitor.idle_after_s))
            horizon = evaluation_horizon(now, self.watermark, active=bool(spans))
            for span in spans:
                start = progress.get(span.stream) or floor_time(span.first_event, seg.window_s)
                for window in closed_windows(start, horizon, seg.window_s, seg.grace_s, limit=seg.max_windows_per_run):
                    evaluated = self._evaluate(span.stream, window)
                    run.alerts.extend(self._record(span.stream, window, evaluated, states))
                    run.results.extend(evaluated.disparities)
                    run.drift.extend(evaluated.drift)
                    run.windows += 1
        return run

    def _record(
        self,
        stream: StreamKey,
        window: Window,
        evaluated: _WindowResults,
        states: dict[str, PolicyState],
    ) -> list[Alert]:
        self.store.segments.insert(evaluated.disparities)
        self.store.drift.insert(evaluated.drift)
        by_feature = {f"{d.metric}:{d.tag}={d.value}": d for d in evaluated.disparities}
        policy = AlertPolicy(self.settings.segments.policy)
        alerts: list[Alert] = []
        touched: dict[str, PolicyState] = {}
        keyed = [(AlertKind.DISPARITY, disparity_dedup_key(stream, r.feature), r) for r in evaluated.disparity_results]
        keyed += [(AlertKind.DRIFT, drift_dedup_key(stream, r.detector, r.feature), r) for r in evaluated.drift]
        for kind, key, result in keyed:
            state, transition = policy.observe(states.get(key) or PolicyState(dedup_key=key), result)
            if state != states.get(key):
                touched[key] = state
            if transition is None:
                continue
            if kind is AlertKind.DISPARITY:
                alerts.append(disparity_alert(transition, key, by_feature.get(result.feature)))
            else:
                alerts.append(drift_alert(transition, key, evaluated.drift))
        if alerts:
            self.store.alerts.insert(alerts)
            if self.outbox is not None:
                self.outbox.enqueue(alerts)
        if touched:
            self.store.alerts.save_policy_states({k: s.model_dump_json() for k, s in touched.items()})
        self.store.segments.set_progress(stream, window.end)
        states.update(touched)
        return alerts

    def _policy_states(self) -> dict[str, PolicyState]:
        if self._states is None:
            self._states = {
                key: PolicyState.model_validate_json(raw)
                for key, raw in self.store.alerts.policy_states().items()
                if ":disparity:" in key or ":drift:" in key  # segment drift keys: drift_dedup_key of a segment
            }
        return self._states
