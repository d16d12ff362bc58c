"""The retraining service: alerts in, policy, snapshot, job, every transition recorded in the store.

It runs in the process that owns the store (``driftloop up``). :meth:`RetrainService.start` consumes
``driftloop.alerts`` (consumer group ``<kafka.consumer_group>-retrain``); :meth:`RetrainService.trigger`
is the manual trigger. Runs execute one at a time on a background thread, and never two for one stream.
A run's transitions: requested -> running (snapshot written) -> succeeded | rejected | failed.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from detectors.embedding.base import Embedder
from infra.audit import Actor, AuditAction, record_audit
from infra.settings import Settings
from infra.store import Store
from retrain.builtin import ProbeRetrainJob
from retrain.external import CommandJob, KafkaRequestJob, WebhookJob
from retrain.job import JobContext, JobOutcome, RetrainJob
from retrain.labels import event_labels, rules_for
from retrain.policy import PolicyDecision, RetrainPolicy, feedback_since
from retrain.registry import ProbeRegistry
from retrain.runs import summarise_runs
from retrain.snapshot import Snapshot, SnapshotQuery, take_snapshot
from schemas import Alert, DriftDecision, RetrainRun, RetrainRunSummary, RetrainStatus, StreamKey
from schemas.errors import ConfigError

log = logging.getLogger(__name__)


def now_ms() -> datetime:
    """The current UTC time at the store's millisecond precision (it round-trips exactly)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def build_job(
    settings: Settings,
    registry: ProbeRegistry,
    *,
    bootstrap_servers: str | None = None,
    embedder: Embedder | None = None,
) -> RetrainJob:
    """The job ``settings.retrain.job`` names; the built-in one builds the configured embedder if none is given."""
    r = settings.retrain
    if r.job == "builtin":
        if embedder is None:
            from detectors.embedding import build_embedder

            e = settings.embedding
            embedder = build_embedder(
                e.backend, batch_size=e.batch_size, max_seq_length=e.max_seq_length, cache_size=e.cache_size
            )
        return ProbeRetrainJob(registry, embedder, r)
    if r.job == "kafka":
        if bootstrap_servers is None:
            raise ConfigError("retrain.job 'kafka' needs a broker (kafka.bootstrap_servers or a running driftloop up)")
        return KafkaRequestJob(settings, bootstrap_servers)
    if r.job == "webhook":
        if not r.webhook_url:
            raise ConfigError("retrain.job 'webhook' needs retrain.webhook_url")
        secret = r.webhook_secret.get_secret_value() if r.webhook_secret else None
        return WebhookJob(r.webhook_url, secret=secret, timeout_s=r.webhook_timeout_s)
    return CommandJob(r.command, timeout_s=r.command_timeout_s)


@dataclass(frozen=True)
class TriggerResult:
    """What a trigger did: the run it started, or why none started."""

    run_id: str | None
    decision: PolicyDecision

    @property
    def started(self) -> bool:
        return self.run_id is not None


class RetrainService:
    """Turns alerts and manual triggers into recorded retraining runs.

    Parameters
    ----------
    settings
        ``settings.retrain`` is the policy and job; ``settings.data_dir`` holds snapshots and the registry.
    store
        The process's store (runs, feedback, drift windows, the probe registry table).
    bootstrap_servers
        The broker; needed to consume alerts (:meth:`start`) and for the ``kafka`` job.
    job
        Overrides the job built from settings (:func:`build_job`, built on the first run).
    embedder
        The built-in job's embedder (default: built from ``settings.embedding`` on the first run).
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        bootstrap_servers: str | None = None,
        job: RetrainJob | None = None,
        embedder: Embedder | None = None,
        clock: Callable[[], datetime] = now_ms,
    ) -> None:
        self.settings = settings
        self.store = store
        self.bootstrap_servers = bootstrap_servers
        self.policy = RetrainPolicy(settings.retrain)
        self.rules = rules_for(settings.retrain.task, settings.retrain.labels)
        self.registry = ProbeRegistry(settings.data_dir / "registry", store)
        self.snapshot_root = settings.data_dir / "snapshots"
        self._job = job
        self._embedder = embedder
        self._clock = clock
        self._lock = threading.Lock()
        self._active: set[StreamKey] = set()
        self._futures: dict[str, Future[RetrainRunSummary]] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="driftloop-retrain")
        self._stop = threading.Event()
        self._consumer_thread: threading.Thread | None = None
        self.consuming = threading.Event()
        """Set once the alert consumer has its partitions."""

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self) -> RetrainService:
        """Consume ``driftloop.alerts`` on a background thread (needs ``bootstrap_servers``)."""
        if self.bootstrap_servers is None:
            raise ValueError("RetrainService.start needs bootstrap_servers to consume alerts")
        self._consumer_thread = threading.Thread(target=self._consume, name="driftloop-retrain-alerts", daemon=True)
        self._consumer_thread.start()
        return self

    def shutdown(self, timeout_s: float = 60.0) -> None:
        """Stop consuming and wait for the run in progress (queued runs still finish)."""
        self._stop.set()
        if self._consumer_thread is not None:
            self._consumer_thread.join(timeout_s)
        self._executor.shutdown(wait=True)

    def __enter__(self) -> RetrainService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    @property
    def job(self) -> RetrainJob:
        if self._job is None:
            self._job = build_job(
                self.settings, self.registry, bootstrap_servers=self.bootstrap_servers, embedder=self._embedder
            )
        return self._job

    # ---- triggers -----------------------------------------------------------------------------

    def handle_alert(self, alert: Alert) -> TriggerResult:
        """Start a run when the policy lets ``alert`` trigger one."""
        decision = self.policy.alert_triggers(alert, self._clock())
        if not decision:
            log.debug("alert %s does not trigger retraining: %s", alert.alert_id, decision.reason)
            return TriggerResult(None, decision)
        return self.trigger(alert.stream, reason=decision.reason, alert=alert, manual=False, actor=Actor.scheduler())

    def runs(self, stream: StreamKey) -> list[RetrainRunSummary]:
        return summarise_runs(self.store.retrain.runs_of(stream))

    def new_labelled(self, stream: StreamKey, since: datetime | None, until: datetime) -> int:
        """Events of ``stream`` labelled by feedback in ``[since, until)``."""
        joined = self.store.events.feedback(
            since, until, stream=stream, limit=self.settings.retrain.max_snapshot_events
        )
        return len(event_labels((j.feedback for j in joined), self.rules))

    def trigger(
        self,
        stream: StreamKey,
        *,
        reason: str = "manual",
        alert: Alert | None = None,
        manual: bool = True,
        actor: Actor | None = None,
    ) -> TriggerResult:
        """Record a requested run and queue it, unless the policy says no (the reason is returned).

        ``actor`` is written to the audit trail (default: the scheduler for alerts, the command line otherwise).
        """
        now = self._clock()
        actor = actor or (Actor.cli() if manual else Actor.scheduler())
        with self._lock:
            if stream in self._active:
                return TriggerResult(None, PolicyDecision(False, f"a run of {stream} is in progress"))
            runs = self.runs(stream)
            since = feedback_since(runs)
            labelled = 0 if manual else self.new_labelled(stream, since, now)
            decision = self.policy.may_start(runs, labelled, now, manual=manual)
            if not decision:
                log.info("retraining %s not started: %s", stream, decision.reason)
                record_audit(
                    self.store,
                    AuditAction.RETRAIN_REFUSED,
                    actor,
                    stream=stream,
                    summary=decision.reason,
                    evidence={
                        "reason": reason,
                        "manual": manual,
                        "labelled": labelled,
                        "alert_id": alert.alert_id if alert else None,
                    },
                )
                return TriggerResult(None, decision)
            run_id = f"rt-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
            self._record(run_id, stream, RetrainStatus.REQUESTED, now, message=reason)
            record_audit(
                self.store,
                AuditAction.RETRAIN_REQUESTED,
                actor,
                stream=stream,
                subject=run_id,
                summary=reason,
                evidence={
                    "manual": manual,
                    "labelled": labelled,
                    "policy": decision.reason,
                    "alert_id": alert.alert_id if alert else None,
                },
            )
            self._active.add(stream)
        future = self._executor.submit(self._execute, run_id, stream, reason, alert, now, since, actor)
        self._futures = {k: f for k, f in self._futures.items() if not f.done()} | {run_id: future}
        log.warning("retraining %s requested as %s: %s", stream, run_id, reason)
        return TriggerResult(run_id, decision)

    def wait(self, run_id: str, timeout_s: float | None = None) -> RetrainRunSummary:
        """Block until the run ``trigger`` started has finished; returns its summary."""
        future = self._futures.get(run_id)
        if future is None:  # finished earlier and pruned: the store has it
            return summarise_runs(self.store.retrain.runs(run_id))[0]
        return future.result(timeout=timeout_s)

    # ---- a run --------------------------------------------------------------------------------

    def _job_name(self) -> str:
        return self._job.name if self._job is not None else self.settings.retrain.job

    def _record(
        self,
        run_id: str,
        stream: StreamKey,
        status: RetrainStatus,
        at: datetime | None = None,
        *,
        snapshot: Snapshot | None = None,
        outcome: JobOutcome | None = None,
        message: str = "",
    ) -> None:
        self.store.retrain.insert_runs(
            [
                RetrainRun(
                    run_id=run_id,
                    stream=stream,
                    status=status,
                    job=self._job_name(),
                    updated_at=at or self._clock(),
                    snapshot_sha256=snapshot.sha256 if snapshot else None,
                    champion_version=outcome.champion_version if outcome else None,
                    challenger_version=outcome.challenger_version if outcome else None,
                    metrics=outcome.metrics if outcome else {},
                    message=(outcome.message if outcome else message)[:4000],
                )
            ]
        )

    def snapshot_query(
        self, stream: StreamKey, since: datetime | None, until: datetime, alert: Alert | None
    ) -> SnapshotQuery:
        """The drifted windows of ``stream`` in ``[since, until)`` (and the alert's), and its feedback."""
        windows = {
            (r.window_start, r.window_end)
            for r in self.store.drift.results(stream, since, until)
            if r.decision is DriftDecision.DRIFT and r.window_start is not None and r.window_end is not None
        }
        drift = alert.drift if alert is not None else None
        if drift is not None and drift.window_start is not None and drift.window_end is not None:
            windows.add((drift.window_start, drift.window_end))
        return SnapshotQuery(
            stream=stream,
            since=since,
            until=until,
            drift_windows=sorted(windows),
            task=self.settings.retrain.task,
            label_rules=self.rules,
            max_events=self.settings.retrain.max_snapshot_events,
        )

    def _execute(
        self,
        run_id: str,
        stream: StreamKey,
        reason: str,
        alert: Alert | None,
        requested_at: datetime,
        since: datetime | None,
        actor: Actor | None = None,
    ) -> RetrainRunSummary:
        actor = actor or Actor.scheduler()
        try:
            job = self.job
            snapshot = take_snapshot(
                self.store, self.snapshot_query(stream, since, requested_at, alert), self.snapshot_root
            )
            self._record(run_id, stream, RetrainStatus.RUNNING, snapshot=snapshot, message=f"snapshot {snapshot.path}")
            context = JobContext(
                run_id=run_id,
                stream=stream,
                reason=reason,
                snapshot=snapshot,
                requested_at=requested_at,
                alert_id=alert.alert_id if alert else None,
            )
            outcome = job.run(context)
            self._record(run_id, stream, outcome.status, snapshot=snapshot, outcome=outcome)
            self._audit_outcome(run_id, stream, snapshot, outcome, actor)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the run
            log.exception("retraining run %s failed", run_id)
            self._record(run_id, stream, RetrainStatus.FAILED, message=f"{type(exc).__name__}: {exc}")
            record_audit(
                self.store,
                AuditAction.RETRAIN_FINISHED,
                actor,
                stream=stream,
                subject=run_id,
                summary=f"failed: {type(exc).__name__}",
                evidence={"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:2000]},
            )
        finally:
            with self._lock:
                self._active.discard(stream)
        return summarise_runs(self.store.retrain.runs(run_id))[0]

    def _audit_outcome(
        self, run_id: str, stream: StreamKey, snapshot: Snapshot, outcome: JobOutcome, actor: Actor
    ) -> None:
        """The run's verdict in the audit trail, and the promotion when the challenger became current."""
        task = self.settings.retrain.task
        versions = {"champion_version": outcome.champion_version, "challenger_version": outcome.challenger_version}
        record_audit(
            self.store,
            AuditAction.RETRAIN_FINISHED,
            actor,
            stream=stream,
            subject=run_id,
            summary=f"{outcome.status.value}: {outcome.message}"[:500],
            evidence={
                "status": outcome.status.value,
                "snapshot_sha256": snapshot.sha256,
                **versions,
                "metrics": outcome.metrics,
            },
        )
        promoted = outcome.challenger_version is not None and self.registry.current(task) == outcome.challenger_version
        if outcome.status is RetrainStatus.SUCCEEDED and promoted:
            record_audit(
                self.store,
                AuditAction.PROBE_PROMOTED,
                actor,
                stream=stream,
                subject=str(outcome.challenger_version),
                summary=f"{task} probe {outcome.challenger_version} replaces {outcome.champion_version}",
                evidence={"run_id": run_id, "task": task, **versions, "metrics": outcome.metrics},
            )

    # ---- alerts -------------------------------------------------------------------------------

    def _consume(self) -> None:
        from infra.kafka import kafka_consumer

        settings = self.settings
        assert self.bootstrap_servers is not None
        consumer = kafka_consumer(
            settings.kafka,
            self.bootstrap_servers,
            settings.topic("alerts"),
            group_id=f"{settings.kafka.consumer_group}-retrain",
            client_id="driftloop-retrain",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        try:
            while not self._stop.is_set():
                batches = consumer.poll(timeout_ms=500)
                if consumer.assignment():
                    self.consuming.set()
                for records in batches.values():
                    for record in records:
                        self._on_record(record.value)
                if batches:
                    consumer.commit()
        except Exception:
            log.exception("the retraining alert consumer stopped")
            raise
        finally:
            consumer.close()

    def _on_record(self, value: bytes | None) -> None:
        try:
            alert = Alert.model_validate_json(value or b"")
        except ValidationError as exc:
            log.error("unreadable alert on %s: %s", self.settings.topic("alerts"), exc)
            return
        try:
            self.handle_alert(alert)
        except Exception:  # noqa: BLE001 - one bad alert must not stop the consumer
            log.exception("could not handle alert %s", alert.alert_id)


def trigger_retrain(
    settings: Settings,
    store: Store,
    stream: StreamKey,
    *,
    reason: str = "manual",
    job: RetrainJob | None = None,
    embedder: Embedder | None = None,
    bootstrap_servers: str | None = None,
    timeout_s: float | None = None,
) -> RetrainRunSummary | PolicyDecision:
    """Run one manual retraining of ``stream`` to its end (``driftloop retrain <stream>``, no service running).

    Returns the run's summary, or the policy's refusal.
    """
    with RetrainService(settings, store, bootstrap_servers=bootstrap_servers, job=job, embedder=embedder) as service:
        result = service.trigger(stream, reason=reason, manual=True)
        if result.run_id is None:
            return result.decision
        return service.wait(result.run_id, timeout_s)
