"""Seconds for a model-version comparison over N stored events per version on the embedded store (chdb).

Synthetic rows go in with column inserts (no Python objects per event): each event has latency, tokens,
cost, tags and user/session ids, two safety scores (refusal, relevance), 30% get thumbs feedback, and 1%
carry a 16-float response embedding (the drift test reads at most ``compare.max_embeddings`` per version).
Version B refuses a little more. The comparison runs twice (cold, then warm); a run over a tenth of
the range is reported beside it, so the ratio shows how the cost grows with the events compared.

    python bench/compare.py --events 1000000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics import compare_versions  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.store import Store  # noqa: E402
from schemas import StreamKey  # noqa: E402

A = StreamKey(app="bench", model="m", model_version="a")
B = StreamKey(app="bench", model="m", model_version="b")
SPAN = timedelta(hours=6)


def insert_version(store: Store, stream: StreamKey, n: int, start: datetime, chunk: int, refusal: float, seed: int,
                   progress: Progress, task: object) -> None:  # fmt: skip
    rng = np.random.default_rng(seed)
    step_us = SPAN / timedelta(microseconds=1) / n
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        idx = np.arange(lo, lo + m)
        ids = [f"{stream.model_version}-{i}" for i in idx]
        times = [start + timedelta(microseconds=float(t)) for t in idx * step_us]
        embedded = rng.random(m) < 0.01
        vectors = rng.normal(size=(m, 16)).astype(np.float32)
        inference = {
            "event_id": ids,
            "event_time": times,
            "app": [stream.app] * m,
            "model": [stream.model] * m,
            "model_version": [stream.model_version] * m,
            "prompt": ["how do I reset my card pin"] * m,
            "response": ["open cards, then security"] * m,
            "latency_ms": rng.lognormal(6.7, 0.3, m).tolist(),
            "tokens_in": rng.integers(300, 700, m).tolist(),
            "tokens_out": rng.integers(20, 120, m).tolist(),
            "cost_usd": (rng.random(m) * 1e-3).tolist(),
            "user_id": [f"u{u}" for u in rng.integers(0, 20_000, m)],
            "session_id": [f"s{s}" for s in rng.integers(0, 200_000, m)],
            "tags": [{"locale": "en-US", "channel": "web"}] * m,
            "schema_version": [1] * m,
            "received_at": times,
            "prompt_embedding": [[]] * m,
            "response_embedding": [v.tolist() if e else [] for v, e in zip(vectors, embedded, strict=True)],
            "embedding_model": ["bench" if e else "" for e in embedded],
        }
        refused = rng.random(m) < refusal
        relevance = rng.uniform(0.0, 0.8, m)
        scores = {
            "event_id": ids + ids,
            "event_time": times + times,
            "app": [stream.app] * 2 * m,
            "model": [stream.model] * 2 * m,
            "model_version": [stream.model_version] * 2 * m,
            "detector": ["refusal"] * m + ["relevance"] * m,
            "detector_version": ["1"] * 2 * m,
            "target": ["response"] * m + ["pair"] * m,
            "score": refused.astype(float).tolist() + relevance.tolist(),
            "threshold": [0.5] * m + [0.1] * m,
            "breached": refused.tolist() + (relevance < 0.1).tolist(),
            "details": [{}] * 2 * m,
            "explanation": [""] * 2 * m,
        }
        with_feedback = np.flatnonzero(rng.random(m) < 0.3)
        feedback = {
            "feedback_id": [f"f-{ids[i]}" for i in with_feedback],
            "event_id": [ids[i] for i in with_feedback],
            "feedback_time": [times[i] + timedelta(seconds=30) for i in with_feedback],
            "kind": ["thumbs"] * len(with_feedback),
            "value": np.where(rng.random(len(with_feedback)) < 0.15, -1.0, 1.0).tolist(),
            "labels": [[]] * len(with_feedback),
            "schema_version": [1] * len(with_feedback),
            "received_at": [times[i] for i in with_feedback],
        }
        for table, columns in (("inference", inference), ("safety_scores", scores), ("feedback", feedback)):
            store._client.insert(table, (list(columns), list(columns.values())))  # noqa: SLF001 - bulk column insert
        progress.advance(task, m)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="Stored events per version.")
    parser.add_argument("--chunk", type=int, default=100_000)
    args = parser.parse_args()
    start = (datetime.now(UTC) - SPAN - timedelta(hours=1)).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp, Store.open(f"chdb://{tmp}/ch", database="bench") as store:
        began = time.perf_counter()
        with Progress(transient=True, console=None) as progress:
            task = progress.add_task("inserting", total=2 * args.events)
            insert_version(store, A, args.events, start, args.chunk, 0.02, 1, progress, task)
            insert_version(store, B, args.events, start, args.chunk, 0.03, 2, progress, task)
        insert_s = time.perf_counter() - began
        settings = Settings(data_dir=Path(tmp))
        timings = []
        for _ in range(2):
            result = compare_versions(store, settings, A, B, start, start + SPAN)
            timings.append(result.seconds or 0.0)
        tenth = compare_versions(store, settings, A, B, start, start + SPAN / 10)
        print(
            json.dumps(
                {
                    "events_per_version": args.events,
                    "events_compared": [result.events_a, result.events_b],
                    "insert_seconds": round(insert_s, 2),
                    "compare_seconds_cold": round(timings[0], 3),
                    "compare_seconds_warm": round(timings[1], 3),
                    "compare_seconds_tenth_range": round(tenth.seconds or 0.0, 3),
                    "ratio_full_to_tenth": round(timings[1] / (tenth.seconds or 1e-9), 2),
                    "verdict": result.verdict.value,
                    "worse": [m.metric for m in result.metrics if m.verdict.value == "worse"],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
