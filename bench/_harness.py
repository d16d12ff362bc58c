"""Shared by the benchmarks: a local broker and `driftloop up` as a subprocess, polled until rows are stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families
from rich.progress import Progress

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from infra.kafka import LocalBroker, ensure_topics  # noqa: E402
from infra.settings import KafkaSettings, Settings  # noqa: E402
from schemas import InferenceEvent  # noqa: E402

WORKER_INFERENCE = {"kind": "inference", "source": "worker"}


def bench_event(i: int, start: datetime, prefix: str = "bench") -> InferenceEvent:
    """The benchmarks' event number ``i``: a support-bot call, ``i`` milliseconds after ``start``.

    Start from now: the store's retention drops events older than ``events_ttl_days`` at insert.
    """
    return InferenceEvent(
        event_id=f"{prefix}-{i}",
        event_time=start + timedelta(milliseconds=i),
        app="bench-app",
        model="bench-model",
        model_version="v1",
        prompt=f"How can I change the delivery address of order {i}? It is going to my old flat.",
        response="You can change it under Orders > Delivery until the parcel is dispatched. " * 3,
        latency_ms=350.0,
        tokens_in=22,
        tokens_out=60,
        cost_usd=0.0002,
        user_id=f"user-{i % 500}",
        tags={"locale": "en-GB", "channel": "web"},
    )


def make_events(count: int, prefix: str = "bench") -> list[bytes]:
    """``count`` benchmark events from now on, serialised as a producer sends them."""
    start = datetime.now(UTC)
    return [bench_event(i, start, prefix).model_dump_json().encode() for i in range(count)]


@dataclass
class BenchService:
    settings: Settings
    bootstrap_servers: str
    api_url: str
    process: subprocess.Popen[bytes]

    def cpu_seconds(self) -> float:
        """User + system CPU time the service process has used so far."""
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def stored(self) -> int:
        return httpx.get(f"{self.api_url}/v1/status", timeout=60).json()["table_counts"]["inference"]

    def worker_progress(self) -> tuple[int, float]:
        """Inference events the service's worker has stored, and the Unix time of its last stored batch."""
        text = httpx.get(f"{self.api_url}/metrics", timeout=60).text
        stored, last_stored_at = 0, 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "driftloop_events_ingested_total" and sample.labels == WORKER_INFERENCE:
                    stored = int(sample.value)
                elif sample.name == "driftloop_worker_last_stored_timestamp_seconds" and sample.labels == {
                    "kind": "inference"
                }:
                    last_stored_at = sample.value
        return stored, last_stored_at

    def wait_stored(self, expected: int, label: str = "stored") -> float:
        """Wait until ``expected`` events are stored; return the Unix time (``time.time()``) when they were.

        The time is the worker's own record of its last stored batch, so polling can be slow: every
        two seconds, because a scrape costs the service about 20 ms of CPU (once a second took 2% of a
        core from the pipeline being measured). The store's own count is then checked too.
        """
        with Progress(transient=True) as progress:
            task = progress.add_task(label, total=expected)
            stored, done = 0, 0.0
            while stored < expected:
                time.sleep(2.0)
                stored, done = self.worker_progress()
                progress.update(task, completed=stored)
        while self.stored() < expected:
            time.sleep(0.5)
        return done


@contextmanager
def running_service(**env_overrides: str) -> Iterator[BenchService]:
    """A fresh local broker and data dir, topics created, `driftloop up` started and its groups joined."""
    with tempfile.TemporaryDirectory() as tmp, LocalBroker(Path(tmp) / "broker.log") as broker:
        prefix = f"bench{uuid.uuid4().hex[:6]}"
        env = {
            **os.environ,
            "DRIFTLOOP_DATA_DIR": str(Path(tmp) / "data"),
            "DRIFTLOOP_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "DRIFTLOOP_KAFKA__TOPIC_PREFIX": prefix,
            "DRIFTLOOP_API__PORT": "0",
            **env_overrides,
        }
        settings = Settings(kafka=KafkaSettings(bootstrap_servers=broker.bootstrap_servers, topic_prefix=prefix))
        ensure_topics(settings, broker.bootstrap_servers)
        log_path = Path(tmp) / "service.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "driftloop.cli", "up"], env=env, stdout=log, stderr=log, cwd=REPO
            )
        runtime = Path(tmp) / "data" / "runtime.json"
        try:
            while not runtime.exists():
                if process.poll() is not None:
                    sys.exit(f"driftloop up exited: {log_path.read_text()[-3000:]}")
                time.sleep(0.2)
            api_url = json.loads(runtime.read_text())["api_url"]
            time.sleep(6)  # consumer group joins on the local broker
            yield BenchService(settings, broker.bootstrap_servers, api_url, process)
        finally:
            process.terminate()
            process.wait(timeout=120)
