"""Scale-out on this machine: events/s from publish to stored with 1 and 2 worker processes.

Each configuration gets a fresh local broker, topics with ``--partitions`` partitions, ``driftloop up``
(which runs worker agents itself and owns the store) and N ``driftloop worker`` processes, all in one
consumer group. Run with embedding off (validate, forward,
insert) and on (the workers embed every prompt and response: CPU-bound). Prints JSON with the
ratio 2 workers / 1 worker, measured in the same run.

    python bench/scale.py --events 20000 --embed-events 2000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil
from _harness import make_events
from rich.console import Console

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from driftloop import Publisher  # noqa: E402
from infra.kafka import LocalBroker, ensure_topics  # noqa: E402
from infra.settings import KafkaSettings, Settings  # noqa: E402

err = Console(stderr=True)


def run_config(workers: int, events: int, partitions: int, embedding: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp, LocalBroker(Path(tmp) / "broker.log") as broker:
        prefix = f"scale{uuid.uuid4().hex[:6]}"
        env = {
            **os.environ,
            "DRIFTLOOP_DATA_DIR": str(Path(tmp) / "data"),
            "DRIFTLOOP_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "DRIFTLOOP_KAFKA__TOPIC_PREFIX": prefix,
            "DRIFTLOOP_KAFKA__PARTITIONS": str(partitions),
            "DRIFTLOOP_API__PORT": "0",
            "DRIFTLOOP_EMBEDDING__ENABLED": "true" if embedding else "false",
        }
        settings = Settings(
            kafka=KafkaSettings(bootstrap_servers=broker.bootstrap_servers, topic_prefix=prefix, partitions=partitions)
        )
        ensure_topics(settings, broker.bootstrap_servers)
        logs = Path(tmp)
        procs = [_start(["up"], env, logs / "up.log")]
        runtime = Path(tmp) / "data" / "runtime.json"
        while not runtime.exists():
            if procs[0].poll() is not None:
                sys.exit(f"driftloop up exited: {(logs / 'up.log').read_text()[-3000:]}")
            time.sleep(0.2)
        api = json.loads(runtime.read_text())["api_url"]
        procs += [_start(["worker"], env, logs / f"worker-{i}.log") for i in range(workers)]
        try:
            _wait_assigned([logs / f"worker-{i}.log" for i in range(workers)])
            time.sleep(5)
            batch = make_events(events, prefix)
            began = time.monotonic()
            with Publisher(broker.bootstrap_servers, settings) as publisher:
                for i, payload in enumerate(batch):
                    publisher.publish_raw("inference", payload, key=f"{prefix}-{i}")
            while httpx.get(f"{api}/v1/status", timeout=60).json()["table_counts"]["inference"] < events:
                time.sleep(0.25)
            seconds = time.monotonic() - began
        finally:
            for proc in reversed(procs):
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=120)
    result = {"workers": workers, "embedding": embedding, "events": events, "seconds": round(seconds, 2)}
    result["events_per_s"] = round(events / seconds, 1)
    err.print(result)
    return result


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "driftloop.cli", *args], env=env, stdout=out, stderr=out, cwd=REPO
        )


def _wait_assigned(logs: list[Path], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not all("worker assigned" in p.read_text(errors="replace") for p in logs):
        if time.monotonic() > deadline:
            sys.exit("workers did not join the group")
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="events per run without embedding")
    parser.add_argument("--embed-events", type=int, default=2_000, help="events per run with embedding")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--max-workers", type=int, default=2)
    args = parser.parse_args()
    runs = []
    for embedding, events in ((False, args.events), (True, args.embed_events)):
        for workers in range(1, args.max_workers + 1):
            runs.append(run_config(workers, events, args.partitions, embedding))
    ratios = {}
    for embedding in (False, True):
        rates = {r["workers"]: r["events_per_s"] for r in runs if r["embedding"] is embedding}
        ratios["embedding" if embedding else "no_embedding"] = {
            f"{n}_vs_1": round(rates[n] / rates[1], 2) for n in rates if n > 1
        }
    print(
        json.dumps(
            {
                "cpu_cores": psutil.cpu_count(),
                "partitions": args.partitions,
                "note": "`driftloop up` also runs worker agents in the same group, so N extra workers means N+1 "
                "members; all processes share this machine's cores",
                "runs": runs,
                "speedup": ratios,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
