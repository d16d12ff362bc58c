"""Scrape-time metrics: what the store, the broker and the running parts already know, read when scraped."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from driftloop.api.context import ApiContext

log = logging.getLogger(__name__)


class ServiceCollector(Collector):
    """Stored rows, dead letters, alerts by state, retrain runs by status, consumer lag, worker and sink counts."""

    def __init__(self, context: ApiContext) -> None:
        self.context = context

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        errors = GaugeMetricFamily(
            "driftloop_scrape_error", "1 when a source could not be read at this scrape.", labels=["source"]
        )
        for source, collect in (("store", self._store), ("broker", self._lag), ("process", self._process)):
            try:
                yield from collect()
                errors.add_metric([source], 0)
            except Exception as exc:  # noqa: BLE001 - a scrape reports the failure, it does not fail
                log.warning("metrics source %s failed: %s", source, exc)
                errors.add_metric([source], 1)
        yield errors

    def _store(self) -> Iterator[Metric]:
        store = self.context.store
        if store is None:
            return
        counts = store.table_counts(deduplicated=False)
        rows = GaugeMetricFamily(
            "driftloop_stored_rows",
            "Rows per store table; a redelivered row counts twice until a background merge drops it.",
            labels=["table"],
        )
        for table, count in sorted(counts.items()):
            rows.add_metric([table], count)
        yield rows
        dlq = GaugeMetricFamily("driftloop_dead_letters_stored", "Dead letters in the store.")
        dlq.add_metric([], counts.get("dead_letters", 0))
        yield dlq
        alerts = GaugeMetricFamily(
            "driftloop_alerts", "Alerts (dedup keys) by the state of their latest transition.", labels=["state"]
        )
        for count in store.alerts.counts():
            alerts.add_metric([count.state], count.count)
        yield alerts
        runs = GaugeMetricFamily("driftloop_retrain_runs", "Retraining runs by latest status.", labels=["status"])
        for status, count in store.retrain.status_counts().items():
            runs.add_metric([status], count)
        yield runs

    def _lag(self) -> Iterator[Metric]:
        if self.context.consumer_lag is None:
            return
        lag = GaugeMetricFamily(
            "driftloop_consumer_lag", "Messages not yet committed by a consumer group.", labels=["group", "topic"]
        )
        for entry in self.context.consumer_lag():
            lag.add_metric([entry.group, entry.topic], entry.lag)
        yield lag

    def _process(self) -> Iterator[Metric]:
        owner = self.context.owner
        worker_stats = getattr(getattr(owner, "worker", None), "stats", None)
        if worker_stats is not None:
            worker = CounterMetricFamily(
                "driftloop_worker_events", "Events handled by this process's worker agents.", labels=["outcome"]
            )
            for outcome in ("valid", "dead_letters", "alerts"):
                worker.add_metric([outcome], float(getattr(worker_stats, outcome, 0)))
            yield worker
        sink_stats = getattr(getattr(owner, "sink", None), "stats", None)
        if sink_stats is not None:
            sink = CounterMetricFamily("driftloop_sink_rows", "Rows the sink wrote to the store.", labels=["kind"])
            for kind in ("inferences", "feedback", "dead_letters"):
                sink.add_metric([kind], float(getattr(sink_stats, kind, 0)))
            yield sink
            batches = CounterMetricFamily("driftloop_sink_batches", "Store inserts by the sink.")
            batches.add_metric([], float(getattr(sink_stats, "batches", 0)))
            yield batches
