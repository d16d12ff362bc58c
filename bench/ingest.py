"""Ingest throughput: events/s from publish to stored, one worker, no embedding.

Beside it, in the same run and on the same broker, the raw rate of a bare consumer reading
the same events, so the ratio shows what the pipeline (validate, forward, insert, commit)
costs on top of reading them. Prints JSON.

    python bench/ingest.py --events 50000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from driftloop import Publisher  # noqa: E402
from infra.kafka import LocalBroker, ensure_topics  # noqa: E402
from infra.settings import KafkaSettings, Settings  # noqa: E402
from schemas import InferenceEvent  # noqa: E402


def make_events(count: int) -> list[bytes]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        InferenceEvent(
            event_id=f"bench-{i}",
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
        .model_dump_json()
        .encode()
        for i in range(count)
    ]


async def bare_consume_rate(bootstrap: str, topic: str, expected: int) -> float:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        seen = 0
        first = None
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            if batches and first is None:
                first = time.perf_counter()
            seen += sum(len(records) for records in batches.values())
        return seen / (time.perf_counter() - (first or time.perf_counter()))
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args()
    payloads = make_events(args.events)

    with tempfile.TemporaryDirectory() as tmp, LocalBroker(Path(tmp) / "broker.log") as broker:
        prefix = f"bench{uuid.uuid4().hex[:6]}"
        env = {
            **os.environ,
            "DRIFTLOOP_DATA_DIR": str(Path(tmp) / "data"),
            "DRIFTLOOP_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "DRIFTLOOP_KAFKA__TOPIC_PREFIX": prefix,
            "DRIFTLOOP_API__PORT": "0",
            "DRIFTLOOP_EMBEDDING__ENABLED": "false",
        }
        settings = Settings(kafka=KafkaSettings(bootstrap_servers=broker.bootstrap_servers, topic_prefix=prefix))
        ensure_topics(settings, broker.bootstrap_servers)
        log = (Path(tmp) / "service.log").open("wb")
        service = subprocess.Popen([sys.executable, "-m", "driftloop.cli", "up"], env=env, stdout=log, stderr=log)
        runtime = Path(tmp) / "data" / "runtime.json"
        while not runtime.exists():
            if service.poll() is not None:
                sys.exit(f"driftloop up exited: {(Path(tmp) / 'service.log').read_text()[-3000:]}")
            time.sleep(0.2)
        api = json.loads(runtime.read_text())["api_url"]
        time.sleep(6)  # consumer group joins

        started = time.perf_counter()
        with Publisher(broker.bootstrap_servers, settings) as publisher:
            for i, payload in enumerate(payloads):
                publisher.publish_raw("inference", payload, key=f"bench-{i}")
        published_s = time.perf_counter() - started
        stored = 0
        with Progress(transient=True) as progress:
            task = progress.add_task("stored", total=args.events)
            while stored < args.events:
                time.sleep(0.25)
                stored = httpx.get(f"{api}/v1/status", timeout=30).json()["table_counts"]["inference"]
                progress.update(task, completed=stored)
        pipeline_s = time.perf_counter() - started
        service.terminate()
        service.wait(timeout=60)

        bare_rate = asyncio.run(bare_consume_rate(broker.bootstrap_servers, settings.topic("inference"), args.events))

    pipeline_rate = args.events / pipeline_s
    print(
        json.dumps(
            {
                "events": args.events,
                "publish_events_per_s": round(args.events / published_s),
                "stored_events_per_s_one_worker": round(pipeline_rate),
                "bare_consumer_events_per_s": round(bare_rate),
                "pipeline_vs_bare_consumer": round(pipeline_rate / bare_rate, 3),
                "target_stored_events_per_s": 5000,
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
