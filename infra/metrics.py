"""Prometheus metrics of one driftloop process, served at ``/metrics`` by the HTTP API.

Counters and histograms here are observed where the work happens (workers, sink, monitor,
the API's ingest routes); what the store and the broker already know (rows stored, dead
letters, open alerts, retrain runs by status, consumer lag) is read at scrape time by the
API's collector instead of being counted twice.

>>> m = Metrics()
>>> m.events_ingested.labels(kind="inference", source="http").inc(3)
>>> with m.batch_seconds.labels(stage="embed").time():
...     pass
>>> b"driftloop_events_ingested_total" in m.render()
True
"""

from __future__ import annotations

from functools import lru_cache

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """One registry with driftloop's own metrics; ``default_metrics()`` is the process's instance."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.events_ingested = Counter(
            "driftloop_events_ingested",
            "Events accepted: source=http is the API's ingest routes, source=worker the workers' valid events.",
            ["kind", "source"],
            registry=self.registry,
        )
        self.last_stored = Gauge(
            "driftloop_worker_last_stored_timestamp_seconds",
            "Unix time at which this process's worker last stored (or forwarded to the store writer) a batch, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "driftloop_dead_letters",
            "Messages rejected to the dead-letter topic, by rejection kind.",
            ["error_kind"],
            registry=self.registry,
        )
        self.ingest_rejected = Counter(
            "driftloop_http_ingest_rejected",
            "Ingest requests refused by the API, by HTTP status.",
            ["status"],
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "driftloop_batch_seconds",
            "Time to process one batch, by stage (embed; detect: safety detectors and rows; insert: sink write).",
            ["stage"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "driftloop_batch_events",
            "Events per processed batch, by stage.",
            ["stage"],
            buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000),
            registry=self.registry,
        )
        self.detector_seconds = Histogram(
            "driftloop_detector_seconds",
            "Time one detector took on one batch (safety) or one window (drift).",
            ["detector"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.http_request_seconds = Histogram(
            "driftloop_http_request_seconds",
            "HTTP request latency by route template and status class.",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def register(self, collector: Collector) -> None:
        """Add a scrape-time collector (e.g. the API's store and broker gauges)."""
        self.registry.register(collector)

    def unregister(self, collector: Collector) -> None:
        self.registry.unregister(collector)

    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


@lru_cache(maxsize=1)
def default_metrics() -> Metrics:
    """The process's metrics, created on first use; workers, sink and API observe the same objects."""
    return Metrics()
