"""The monitor: evaluates every closed window of every stream once, applies the alert policy, sends alerts.

It runs as two apscheduler jobs in the store-owning process: *evaluate* (every ``monitor.interval_s``)
walks the closed windows each stream has not had evaluated yet, oldest first (a catch-up after downtime,
or over past event times, runs as fast as the windows can be computed, ``max_windows_per_run`` per
stream and run, repeated at once while behind), and *deliver* (every ``monitor.delivery_interval_s``)
retries pending alert deliveries.

Per window, in this order: drift results are written (``drift_scores`` replaces a re-evaluated
window's rows), the policy moves (alerts and outbox rows have deterministic ids, so a replay writes the
same rows again), the policy state is saved, then the stream's progress. A crash anywhere in between
repeats the window without a second copy of anything.

After the drift windows, each run evaluates the due windows of the stream signals (latency, cost,
feedback, safety rates, volume, silence: :mod:`monitor.signals`) and feeds them to the same policy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from infra.audit import record_alert_transition
from infra.settings import AlertPolicySettings, Settings
from infra.store import Store
from monitor.alerting import (
    AlertOutbox,
    AlertPolicy,
    AlertSink,
    DeliveryReport,
    PolicyState,
    Transition,
    alert_id,
    configured_sinks,
    drift_alert,
    drift_dedup_key,
    write_drift_report,
)
from monitor.windows.evaluate import WindowEvaluation, WindowEvaluator
from monitor.windows.windows import Watermark, closed_windows, evaluation_horizon, floor_time
from schemas import Alert, AlertState, DriftDecision, DriftResult

log = logging.getLogger(__name__)

EVALUATE_JOB = "driftloop-monitor-evaluate"
DELIVER_JOB = "driftloop-monitor-deliver"


@dataclass
class MonitorRun:
    """What one run of the monitor evaluated and raised (``run_once``; ``catch_up`` adds its runs up)."""

    windows: int = 0
    results: int = 0
    insufficient: int = 0
    alerts: list[Alert] = field(default_factory=list)
    backlog: bool = False
    """A stream had more closed windows than ``max_windows_per_run``: run again."""

    def add(self, other: MonitorRun) -> None:
        self.windows += other.windows
        self.results += other.results
        self.insufficient += other.insufficient
        self.alerts.extend(other.alerts)
        self.backlog = other.backlog


@dataclass
class MonitorStats:
    runs: int = 0
    windows: int = 0
    alerts: int = 0
    last_run_at: datetime | None = None
    horizon: datetime | None = None
    """The latest run's ``now`` for closing windows: the earlier of the wall clock and the ingest watermark."""
    last_error: str | None = None


class Monitor:
    """Window evaluation, alert policy and alert delivery for the process that owns the store.

    Parameters
    ----------
    settings
        ``drift`` (window size, alpha, minimum sample, correction) and ``monitor``.
    store
        The open store (shared with the sink and the API).
    producer
        A kafka-python ``KafkaProducer`` for the alerts topic (see ``monitor.alerting.alert_producer``);
        ``None`` leaves the Kafka sink out.
    sinks
        Replaces the sinks built from settings (the Kafka sink from ``producer`` and the webhooks).
    clock
        Wall clock (UTC); tests move it to compress time.
    watermark
        The ingest watermark (``LagReader.ingest_watermark``): windows it has not passed by the grace
        period wait, however old. ``None`` trusts the clock alone (a store written by other means).
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        producer: Any | None = None,
        *,
        sinks: Sequence[AlertSink] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        watermark: Watermark | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.watermark = watermark
        self.evaluator = WindowEvaluator(settings, store)
        from monitor.signals.monitor import SignalMonitor  # here: monitor.signals builds on monitor.windows

        self.signals = SignalMonitor(settings, store)
        monitor = settings.monitor
        self.outbox = AlertOutbox(
            store,
            configured_sinks(settings, producer) if sinks is None else sinks,
            attempts=monitor.delivery_attempts,
            backoff_s=monitor.delivery_backoff_s,
            backoff_max_s=monitor.delivery_backoff_max_s,
            clock=clock,
        )
        self.report_dir = settings.data_dir / "reports"
        self.stats = MonitorStats()
        self._states: dict[str, PolicyState] | None = None
        self._lock = threading.Lock()
        self._scheduler: BackgroundScheduler | None = None
        self._stopping = threading.Event()

    # ---- evaluation -------------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> MonitorRun:
        """Evaluate the closed, not yet evaluated windows of every active stream; send the alerts raised."""
        now = now or self.clock()
        summary = MonitorRun()
        monitor = self.settings.monitor
        size = self.settings.drift.window_s
        with self._lock:
            states = self._policy_states()
            progress = self.store.drift.progress()
            spans = self.store.events.stream_spans(since=now - timedelta(seconds=monitor.idle_after_s))
            horizon = evaluation_horizon(now, self.watermark, active=bool(spans))
            for span in spans:
                stream = span.stream
                start = progress.get(stream) or floor_time(span.first_event, size)
                pin = self.store.drift.reference_pin(stream)
                windows = list(closed_windows(start, horizon, size, monitor.grace_s, limit=monitor.max_windows_per_run))
                for window in windows:
                    evaluation = self.evaluator.evaluate(stream, window, pin)
                    summary.alerts.extend(self._record(evaluation, states))
                    summary.windows += 1
                    summary.results += len(evaluation.results)
                    summary.insufficient += evaluation.insufficient
                if len(windows) == monitor.max_windows_per_run:
                    summary.backlog = True
            if monitor.signals.enabled:
                self._run_signals(spans, horizon, states, summary)
            self.stats.runs += 1
            self.stats.windows += summary.windows
            self.stats.alerts += len(summary.alerts)
            self.stats.last_run_at = now
            self.stats.horizon = horizon
        if summary.alerts:
            self.deliver()
        return summary

    def catch_up(self, now: datetime | None = None, max_runs: int = 10_000) -> MonitorRun:
        """Run until every window closed at ``now`` is evaluated (the compressed-clock mode for past events)."""
        total = MonitorRun()
        for _ in range(max_runs):
            summary = self.run_once(now)
            total.add(summary)
            if not summary.backlog:
                break
        return total

    def _run_signals(self, spans: list, horizon: datetime, states: dict[str, PolicyState], summary: MonitorRun) -> None:
        from monitor.signals.monitor import alerting, signal_alert, signal_dedup_key

        policy = self.settings.monitor.signals.policy
        for span, line, windows in self.signals.due(spans, horizon):
            stream = span.stream
            pin = self.store.drift.reference_pin(stream)
            for _, results in self.signals.evaluator.evaluate(stream, windows, pin, line.names, span.first_event):
                keyed = [(signal_dedup_key(stream, r.detector), r) for r in results if alerting(r)]
                alerts, touched = self._move_policies(keyed, states, lambda t, key, _r: signal_alert(t, key), policy)
                self.store.drift.insert(results)  # last: a stored window is a finished one (monitor.signals)
                states.update(touched)
                summary.alerts.extend(alerts)
                summary.results += len(results)
            if len(windows) == self.settings.monitor.max_windows_per_run:
                summary.backlog = True

    def _record(self, evaluation: WindowEvaluation, states: dict[str, PolicyState]) -> list[Alert]:
        self.store.drift.insert(evaluation.results)
        keyed = [
            (drift_dedup_key(evaluation.stream, r.detector, r.feature), r)
            for r in evaluation.results
            if self.settings.monitor.policy(r.detector).enabled
        ]
        alerts, touched = self._move_policies(keyed, states, lambda t, key, _r: self._alert(t, key, evaluation))
        self.store.drift.set_progress(evaluation.stream, evaluation.window.end)
        states.update(touched)  # only once everything is stored: a failed window is replayed from the old state
        return alerts

    def _move_policies(
        self,
        keyed: list[tuple[str, DriftResult]],
        states: dict[str, PolicyState],
        alert_of: Callable[[Transition, str, DriftResult], Alert],
        policy: AlertPolicySettings | None = None,
    ) -> tuple[list[Alert], dict[str, PolicyState]]:
        """Each keyed result through its policy; the alerts raised are stored and queued, the states saved."""
        alerts: list[Alert] = []
        touched: dict[str, PolicyState] = {}
        for key, result in keyed:
            rules = policy or self.settings.monitor.policy(result.detector)
            if not rules.enabled:
                continue
            state, transition = AlertPolicy(rules).observe(states.get(key) or PolicyState(dedup_key=key), result)
            if state != states.get(key):
                touched[key] = state
            if transition is not None:
                alerts.append(alert_of(transition, key, result))
        if alerts:
            self.store.alerts.insert(alerts)
            self.outbox.enqueue(alerts)
            for alert in alerts:
                record_alert_transition(self.store, alert)
        if touched:
            self.store.alerts.save_policy_states({k: s.model_dump_json() for k, s in touched.items()})
        return alerts, touched

    def _alert(self, transition: Transition, key: str, evaluation: WindowEvaluation) -> Alert:
        report = None
        if transition.state is AlertState.FIRING and self.settings.monitor.reports:
            report = self._report(transition, key, evaluation)
        return drift_alert(transition, key, evaluation.results, report)

    def _report(self, transition: Transition, key: str, evaluation: WindowEvaluation) -> str | None:
        if evaluation.reference_sample is None or transition.result.decision is DriftDecision.INSUFFICIENT_DATA:
            return None
        assert evaluation.window.end is not None
        ident = alert_id(key, transition.state, evaluation.window.end, transition.escalated)
        try:
            path = write_drift_report(
                self.report_dir,
                ident,
                evaluation.reference_sample,
                evaluation.current,
                transition.result.feature,
                self.settings.monitor.report_max_rows,
                embedding_map=self.settings.monitor.report_embedding_map,
            )
        except Exception:  # noqa: BLE001 - an alert without its report beats no alert
            log.exception("could not write the drift report of alert %s", ident)
            return None
        return str(Path(path).absolute())

    def _policy_states(self) -> dict[str, PolicyState]:
        if self._states is None:
            self._states = {
                key: PolicyState.model_validate_json(raw) for key, raw in self.store.alerts.policy_states().items()
            }
        return self._states

    # ---- delivery ---------------------------------------------------------------------------------

    def deliver(self) -> DeliveryReport:
        """Send the due pending deliveries (new alerts and retries)."""
        return self.outbox.deliver_due()

    # ---- scheduling -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the evaluate and deliver jobs in a background scheduler; the first evaluation runs now."""
        if self._scheduler is not None:
            return
        monitor = self.settings.monitor
        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.add_job(
            self._evaluate_job,
            "interval",
            seconds=monitor.interval_s,
            id=EVALUATE_JOB,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )
        scheduler.add_job(
            self._deliver_job,
            "interval",
            seconds=monitor.delivery_interval_s,
            id=DELIVER_JOB,
            max_instances=1,
            coalesce=True,
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info(
            "monitor started: %ss windows, %ss grace, evaluated every %ss",
            self.settings.drift.window_s,
            monitor.grace_s,
            monitor.interval_s,
        )

    def schedule(self, job: Callable[[], object], seconds: float, job_id: str) -> None:
        """Run another periodic job (e.g. segment evaluation) on this monitor's scheduler."""
        if self._scheduler is None:
            raise RuntimeError("start the monitor before scheduling jobs on it")
        self._scheduler.add_job(job, "interval", seconds=seconds, id=job_id, max_instances=1, coalesce=True)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the jobs; with ``wait``, a running evaluation finishes its window first."""
        if self._scheduler is not None:
            self._stopping.set()
            self._scheduler.shutdown(wait=wait)
            self._scheduler = None
            self._stopping.clear()

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def _evaluate_job(self) -> None:
        """One run, repeated at once while streams are behind (a catch-up) until shutdown."""
        while not self._stopping.is_set():
            try:
                summary = self.run_once()
            except Exception as exc:
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("drift window evaluation failed; retried at the next run")
                return
            self.stats.last_error = None
            if not summary.backlog:
                return

    def _deliver_job(self) -> None:
        try:
            self.deliver()
        except Exception:
            log.exception("alert delivery round failed; retried at the next round")
