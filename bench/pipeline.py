"""Fully scored throughput: events/s through `driftloop up` with embedding and every safety detector.

Beside it, in the same run, the standalone embedder on the same texts (a fresh embedder with the
same settings, cache included), so the ratio shows what the pipeline costs on top of embedding.
Each event has two texts (prompt and response), so the embedder's rate in events/s is half its
texts/s. Traffic is the project's demo generator (prompts repeat as they do in real apps). Prints JSON.

    python bench/pipeline.py --events 3000
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime

import numpy as np
import psutil
from _harness import running_service

from driftloop import Publisher
from driftloop.demo import DemoConfig, generate
from driftloop.startup import build_scorer, scorer_embedder
from infra.kafka import kafka_consumer
from infra.settings import Settings


def safety_alert_latencies(service, samples: int) -> list[float]:
    """Publish unsafe prompts one at a time (a quiet pipeline) and time each until its alert is on the topic."""
    unsafe = [
        item.event
        for item in generate(
            DemoConfig(seed=9, count=samples * 4, start=datetime.now(UTC), unsafe_at=0, unsafe_fraction=1.0)
        )
        if item.event is not None and item.truth.unsafe_kind in ("jailbreak", "prompt_injection")
    ][:samples]
    consumer = kafka_consumer(
        service.settings.kafka,
        service.bootstrap_servers,
        service.settings.topic("alerts"),
        auto_offset_reset="latest",
        enable_auto_commit=False,
        group_id=None,
    )
    consumer.poll(timeout_ms=2000)  # assignment, positioned at the end
    latencies = []
    with Publisher(service.bootstrap_servers, service.settings, linger_ms=0) as publisher:
        for event in unsafe:
            sent = time.perf_counter()
            publisher.publish_inference(event)
            publisher.flush()
            deadline = sent + 30
            found = False
            while not found and time.perf_counter() < deadline:
                for records in consumer.poll(timeout_ms=100).values():
                    found = found or any(json.loads(r.value).get("event_id") == event.event_id for r in records)
            if found:
                latencies.append(time.perf_counter() - sent)
    consumer.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--alert-samples", type=int, default=30)
    args = parser.parse_args()
    calls = [
        item.event
        for item in generate(DemoConfig(seed=3, count=args.events, start=datetime.now(UTC), feedback_fraction=0.0))
        if item.event is not None
    ]
    settings = Settings()
    with running_service(
        DRIFTLOOP_EMBEDDING__ENABLED="true", DRIFTLOOP_EMBEDDING__BACKEND=settings.embedding.backend
    ) as service:
        cpu_before = service.cpu_seconds()
        started = time.time()  # wall clock: wait_stored answers with the service's own Unix time
        with Publisher(service.bootstrap_servers, service.settings) as publisher:
            for event in calls:
                publisher.publish_inference(event)
        pipeline_rate = len(calls) / (service.wait_stored(len(calls), "scored and stored") - started)
        service_cpu_s = service.cpu_seconds() - cpu_before
        latencies = safety_alert_latencies(service, args.alert_samples)

    embedder = scorer_embedder(build_scorer(settings))
    texts = [e.prompt for e in calls] + [e.response for e in calls]
    this_process = psutil.Process()
    cpu_before = sum(this_process.cpu_times()[:2])
    started = time.perf_counter()
    for i in range(0, len(texts), 2 * settings.ingest.batch_size):
        embedder.embed(texts[i : i + 2 * settings.ingest.batch_size])
    embed_texts_rate = len(texts) / (time.perf_counter() - started)
    embedder_cpu_s = sum(this_process.cpu_times()[:2]) - cpu_before

    print(
        json.dumps(
            {
                "events": len(calls),
                "embedding_backend": embedder.name,
                "pipeline_scored_events_per_s": round(pipeline_rate, 1),
                "embedder_texts_per_s": round(embed_texts_rate, 1),
                "embedder_events_per_s": round(embed_texts_rate / 2, 1),
                "pipeline_vs_embedder": round(pipeline_rate / (embed_texts_rate / 2), 3),
                "target_pipeline_vs_embedder": 0.8,
                # CPU time per event, all threads: less disturbed by other load on the machine than rates.
                "service_cpu_ms_per_event": round(service_cpu_s / len(calls) * 1000, 2),
                "embedder_cpu_ms_per_event": round(embedder_cpu_s / len(calls) * 1000, 2),
                "publish_to_safety_alert_s": {
                    "samples": len(latencies),
                    "p50": round(float(np.percentile(latencies, 50)), 3) if latencies else None,
                    "p95": round(float(np.percentile(latencies, 95)), 3) if latencies else None,
                    "target_p95": 2.0,
                },
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
