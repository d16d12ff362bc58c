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
import time

from _harness import make_events, running_service

from driftloop import Publisher
from infra.kafka import aiokafka_consumer
from infra.settings import KafkaSettings


async def bare_consume_rate(kafka: KafkaSettings, bootstrap: str, topic: str, expected: int) -> float:
    consumer = aiokafka_consumer(
        kafka, bootstrap, topic, group_id=None, auto_offset_reset="earliest", enable_auto_commit=False
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

    with running_service(DRIFTLOOP_EMBEDDING__ENABLED="false") as service:
        cpu_before = service.cpu_seconds()
        started = time.time()  # wall clock: wait_stored answers with the service's own Unix time
        with Publisher(service.bootstrap_servers, service.settings) as publisher:
            for i, payload in enumerate(payloads):
                publisher.publish_raw("inference", payload, key=f"bench-{i}")
        published_s = time.time() - started
        pipeline_s = service.wait_stored(args.events) - started
        service_cpu_s = service.cpu_seconds() - cpu_before
        bare_rate = asyncio.run(
            bare_consume_rate(
                service.settings.kafka, service.bootstrap_servers, service.settings.topic("inference"), args.events
            )
        )

    pipeline_rate = args.events / pipeline_s
    print(
        json.dumps(
            {
                "events": args.events,
                "publish_events_per_s": round(args.events / published_s),
                "stored_events_per_s_one_worker": round(pipeline_rate),
                "bare_consumer_events_per_s": round(bare_rate),
                "pipeline_vs_bare_consumer": round(pipeline_rate / bare_rate, 3),
                # Less sensitive to other load than a rate: what one event costs the service process.
                "service_cpu_us_per_event": round(service_cpu_s / args.events * 1e6),
                "target_stored_events_per_s": 5000,
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
