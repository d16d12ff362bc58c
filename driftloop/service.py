"""The composition root: starts broker, store, workers, sink and API in the right order.

``driftloop up`` runs everything in one process on one machine (the embedded default):
the local broker (unless ``kafka.bootstrap_servers`` is set), the store (it owns the chdb
data dir), the worker agents, the sink that writes for every worker, and the HTTP API.
``driftloop worker`` runs worker agents only: start as many as the topics have partitions.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import faust
import uvicorn
from threadpoolctl import threadpool_limits

from consumers.agents import Worker
from consumers.app import create_faust_app
from consumers.scoring import BatchScorer, UnscoredBatch
from consumers.sink import Sink
from driftloop.api import ApiContext, check_binding, create_api
from driftloop.errors import ServiceNotRunning
from driftloop.runtime_file import RuntimeInfo, clear_runtime, read_runtime, write_runtime
from driftloop.startup import scorer_embedder
from infra.kafka import LocalBroker, ensure_topics
from infra.kafka.lag import LagReader
from infra.settings import Settings
from infra.store import Store, connect
from monitor.alerting import alert_producer
from monitor.segments import SegmentMonitor
from monitor.signals import firing_signals
from monitor.windows import Monitor
from retrain import RetrainService
from schemas import ConsumerLag, DriftWindowsStatus, ServiceStatus

log = logging.getLogger(__name__)


TOPIC_CHECK_S = 10.0


@dataclass
class Running:
    """What a running service holds; read by the status endpoint."""

    settings: Settings
    bootstrap_servers: str
    store: Store | None = None
    worker: Worker | None = None
    sink: Sink | None = None
    retrain: RetrainService | None = None
    monitor: Monitor | None = None
    api_url: str | None = None
    started_at: float = field(default_factory=time.time)
    lag_reader: LagReader = field(init=False)

    def __post_init__(self) -> None:
        self.lag_reader = LagReader(self.settings, self.bootstrap_servers)

    def consumer_lag(self) -> list[ConsumerLag]:
        """Messages not yet committed, per group and topic: the workers' sources and the sink's."""
        kafka = self.settings.kafka
        groups = {
            kafka.consumer_group: [self.settings.topic("inference"), self.settings.topic("feedback")],
            kafka.sink_group: [self.settings.topic("scored"), self.settings.topic("dlq")],
        }
        return [
            ConsumerLag(group=group, topic=topic, lag=lag)
            for (group, topic), lag in self.lag_reader.read(groups).items()
        ]

    def status(self) -> ServiceStatus:
        problems = []
        counts: dict[str, int] = {}
        dead = 0
        firing: list[str] = []
        if self.store is not None:
            try:
                counts = self.store.table_counts()
                dead = counts.get("dead_letters", 0)
                firing = firing_signals(self.store.alerts.policy_states())
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                problems.append(f"store: {exc}")
        for part in (self.worker, self.sink):
            if part is not None and not part.health.ready:
                problems.append(part.health.last_error or "not ready")
        lags: list[ConsumerLag] = []
        try:
            lags = self.consumer_lag()
        except Exception as exc:  # noqa: BLE001
            problems.append(f"broker: {exc}")
        return ServiceStatus(
            ready=not problems,
            bootstrap_servers=self.bootstrap_servers,
            clickhouse=self.store.dsn if self.store is not None else "",
            table_counts=counts,
            dead_letters=dead,
            consumer_lag=lags,
            problems=problems,
            drift_windows=self.drift_windows(),
            firing_signals=firing,
        )

    def drift_windows(self) -> DriftWindowsStatus | None:
        if self.monitor is None:
            return None
        stats = self.monitor.stats
        held_back = None
        if stats.last_run_at is not None and stats.horizon is not None:
            held_back = max((stats.last_run_at - stats.horizon).total_seconds(), 0.0)
        return DriftWindowsStatus(
            runs=stats.runs,
            windows_evaluated=stats.windows,
            alerts_raised=stats.alerts,
            last_run_at=stats.last_run_at,
            evaluable_before=stats.horizon,
            held_back_s=held_back,
            last_error=stats.last_error,
        )


@contextlib.contextmanager
def broker_for(settings: Settings) -> Iterator[str]:
    """The configured Kafka, or a local broker for the lifetime of the block."""
    if settings.kafka.bootstrap_servers:
        yield settings.kafka.bootstrap_servers
        return
    with LocalBroker(log_path=settings.data_dir / "logs" / "broker.log") as broker:
        yield broker.bootstrap_servers


def discover_bootstrap(settings: Settings) -> str:
    """The broker address for client commands: configured, or the running ``driftloop up``'s."""
    if settings.kafka.bootstrap_servers:
        return settings.kafka.bootstrap_servers
    info = read_runtime(settings)
    if info is None:
        raise ServiceNotRunning(
            f"no broker configured (kafka.bootstrap_servers) and no `driftloop up` running with data dir "
            f"{settings.data_dir}"
        )
    return info.bootstrap_servers


YOUNG_OBJECTS_PER_COLLECTION = 20_000
"""Python's default (700) makes the per-event objects of a batch trigger a collection every few events."""


def settle_heap() -> None:
    """Hide what start-up loaded from the garbage collector, and collect young objects less often.

    Start-up leaves millions of long-lived objects (torch, scikit-learn, the model, the API);
    every collection of the older generations walks them all, and a batch's short-lived
    objects trigger such collections all the time. Frozen, they are never walked again: on
    the ingest path this halves the CPU spent per event (``bench/ingest.py``).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS_PER_COLLECTION, *gc.get_threshold()[1:])


def one_blas_thread() -> None:
    """Run BLAS on one thread in a worker process: the embedder's inference streams own the cores.

    The safety detectors' matrix products are small, and OpenBLAS's second thread spun between
    them on the embedder's cores (0.11 ms of CPU per scored event, about 4 % of the process, with
    the embedder itself slowed by as much again; ``bench/pipeline.py``).
    """
    threadpool_limits(limits=1, user_api="blas")


def run_faust(app: faust.App, loglevel: str = "warning") -> None:
    """Run the faust worker until SIGINT/SIGTERM; returns after a graceful shutdown."""
    settle_heap()
    one_blas_thread()
    worker = faust.Worker(app, loglevel=loglevel, redirect_stdouts=False, override_logging=False)
    try:
        with contextlib.suppress(SystemExit):
            worker.execute_from_commandline()
    finally:
        # Shutdown must see every object again: native libraries' objects left frozen were found
        # torn down out of order at exit (a segfault after a clean stop).
        gc.unfreeze()


def start_api(running: Running) -> threading.Thread:
    """Serve the API from a thread of this process, sharing its store."""
    settings = running.settings
    config = uvicorn.Config(
        create_api(ApiContext.from_running(running)),
        host=settings.api.host,
        port=settings.api.port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="driftloop-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1] if server.started else settings.api.port
    running.api_url = f"http://{settings.api.host}:{port}"
    return thread


@dataclass
class Monitoring:
    """The scheduler's monitors with the clients they hold: the alerts producer and the ingest-watermark reader."""

    monitor: Monitor
    alert_sink: Any
    progress: LagReader

    def shutdown(self) -> None:
        self.monitor.shutdown()
        self.alert_sink.close()
        self.progress.close()


def start_monitoring(settings: Settings, store: Store, bootstrap: str) -> Monitoring:
    """Drift windows, alert delivery and segment checks on one background scheduler.

    Both monitors wait for the ingest watermark, so windows still on the broker are not evaluated empty.
    """
    alert_sink = alert_producer(settings, bootstrap)
    progress = LagReader(settings, bootstrap)
    monitor = Monitor(settings, store, alert_sink, watermark=progress.ingest_watermark)
    monitor.start()
    if settings.segments.enabled:
        segments = SegmentMonitor(settings, store, monitor.outbox, watermark=progress.ingest_watermark)
        monitor.schedule(segments.run_once, settings.segments.interval_s, "segments")
    return Monitoring(monitor, alert_sink, progress)


def serve(
    settings: Settings,
    scorer: BatchScorer | None = None,
    on_ready: Callable[[Running], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> None:
    """``driftloop up``: everything in this process until interrupted.

    ``on_ready`` runs once everything is up; ``on_stop`` runs when the worker has stopped, while the
    broker and the store are still there.
    """
    check_binding(settings.api)
    existing = read_runtime(settings)
    if existing is not None and existing.pid != os.getpid():
        raise ServiceNotRunning(f"driftloop is already running (pid {existing.pid}) with data dir {settings.data_dir}")
    with broker_for(settings) as bootstrap, connect(settings) as store:
        ensure_topics(settings, bootstrap)
        app = create_faust_app(settings, bootstrap)
        running = Running(settings=settings, bootstrap_servers=bootstrap, store=store)
        running.sink = Sink(settings, bootstrap, store)
        running.worker = Worker(app, settings, scorer or UnscoredBatch(), sink=running.sink)
        app.task(running.sink.run)
        monitoring = start_monitoring(settings, store, bootstrap)
        running.monitor = monitoring.monitor
        # A restarted in-memory broker comes back without topics: put them back so clients can resume.
        running.monitor.schedule(lambda: ensure_topics(settings, bootstrap), TOPIC_CHECK_S, "topics")
        if settings.retrain.enabled:
            running.retrain = RetrainService(
                settings, store, bootstrap_servers=bootstrap, embedder=scorer_embedder(running.worker.scorer)
            ).start()
        start_api(running)
        write_runtime(
            settings,
            RuntimeInfo(
                pid=os.getpid(),
                bootstrap_servers=bootstrap,
                api_url=running.api_url,
                clickhouse_dsn=store.dsn,
                broker_log=str(settings.data_dir / "logs" / "broker.log")
                if not settings.kafka.bootstrap_servers
                else None,
            ),
        )
        if on_ready is not None:
            on_ready(running)
        try:
            run_faust(app)
        finally:
            if on_stop is not None:
                on_stop()
            clear_runtime(settings)
            running.lag_reader.close()
            monitoring.shutdown()
            if running.retrain is not None:
                running.retrain.shutdown()
        log.warning("worker stopped: %s", running.worker.stats)


def run_api(settings: Settings) -> None:
    """``driftloop api``: the HTTP API alone, for a store nobody else owns (a server, or an idle data dir)."""
    check_binding(settings.api)
    existing = read_runtime(settings)
    if existing is not None:
        raise ServiceNotRunning(f"driftloop up (pid {existing.pid}) already serves the API at {existing.api_url}")
    bootstrap = settings.kafka.bootstrap_servers or ""
    with connect(settings) as store:
        running = Running(settings=settings, bootstrap_servers=bootstrap, store=store)
        thread = start_api(running)
        log.warning("driftloop API at %s (Ctrl-C stops it)", running.api_url)
        with contextlib.suppress(KeyboardInterrupt):
            thread.join()


def run_scheduler(settings: Settings) -> None:
    """``driftloop scheduler``: drift windows, segment checks, alert delivery and retraining, without workers.

    For deployments with a ClickHouse server; with the embedded store, ``driftloop up`` runs these itself.
    """
    if settings.embedded_store and read_runtime(settings) is not None:
        raise ServiceNotRunning("driftloop up already runs the scheduler on this embedded store")
    bootstrap = discover_bootstrap(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with connect(settings) as store:
        monitoring = start_monitoring(settings, store, bootstrap)
        retrain = (
            RetrainService(settings, store, bootstrap_servers=bootstrap).start() if settings.retrain.enabled else None
        )
        try:
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
        finally:
            monitoring.shutdown()
            if retrain is not None:
                retrain.shutdown()


def run_worker(settings: Settings, scorer: BatchScorer | None = None) -> None:
    """``driftloop worker``: worker agents only, against a running broker."""
    bootstrap = discover_bootstrap(settings)
    app = create_faust_app(settings, bootstrap)
    worker = Worker(app, settings, scorer or UnscoredBatch())
    run_faust(app)
    log.warning("worker stopped: %s", worker.stats)
