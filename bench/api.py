"""HTTP ingest through the API of a running `driftloop up` on loopback: requests/s and latency.

Concurrent clients POST to ``/v1/inference`` (one event per request, then batches); a request
counts once the API answered 202, i.e. the broker acknowledged its events. Beside it, in the same
run, ``GET /healthz`` (the API's floor: HTTP and routing only), so the ratio shows what validation
and the broker acknowledgement cost per request. Prints JSON.

    python bench/api.py --seconds 8 --clients 8 --batch 100
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import UTC, datetime

import httpx
import numpy as np
from _harness import running_service


def event(i: int, worker: int) -> dict:
    return {
        "event_id": f"api-bench-{worker}-{i}",
        "event_time": datetime.now(UTC).isoformat(),
        "app": "bench-app",
        "model": "bench-model",
        "model_version": "v1",
        "prompt": f"How can I change the delivery address of order {i}? It is going to my old flat.",
        "response": "You can change it under Orders > Delivery until the parcel is dispatched.",
        "latency_ms": 350.0,
        "tokens_in": 22,
        "tokens_out": 60,
    }


def load(url: str, method: str, body_of, seconds: float, clients: int) -> dict:
    """``clients`` threads, each with a keep-alive connection, sending for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    stop = time.monotonic() + seconds

    def run(worker: int) -> None:
        with httpx.Client(timeout=30) as client:
            i = 0
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = client.request(method, url, json=body_of(i, worker) if body_of else None)
                latencies[worker].append(time.perf_counter() - started)
                failures[worker] += response.status_code >= 400
                i += 1

    threads = [threading.Thread(target=run, args=(w,)) for w in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    flat = np.array([x for per in latencies for x in per]) * 1000
    return {
        "requests": int(flat.size),
        "failed": int(sum(failures)),
        "requests_per_s": round(flat.size / elapsed, 1),
        "p50_ms": round(float(np.percentile(flat, 50)), 2),
        "p95_ms": round(float(np.percentile(flat, 95)), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with running_service(DRIFTLOOP_EMBEDDING__ENABLED="false") as service:
        base = service.api_url
        print(f"API at {base}", file=sys.stderr)
        health = load(f"{base}/healthz", "GET", None, args.seconds / 2, args.clients)
        single = load(f"{base}/v1/inference", "POST", event, args.seconds, args.clients)
        batched = load(
            f"{base}/v1/inference",
            "POST",
            lambda i, w: [event(i * args.batch + k, w + 1000) for k in range(args.batch)],
            args.seconds,
            args.clients,
        )
    batched["events_per_s"] = round(batched["requests_per_s"] * args.batch, 1)
    print(
        json.dumps(
            {
                "clients": args.clients,
                "healthz": health,
                "ingest_single": single,
                f"ingest_batch_{args.batch}": batched,
                "single_vs_healthz_rps": round(single["requests_per_s"] / health["requests_per_s"], 3),
                "batch_events_vs_single_events": round(batched["events_per_s"] / single["requests_per_s"], 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
