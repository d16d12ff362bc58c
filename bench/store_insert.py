"""Store insert and read throughput on the embedded engine (chdb), with 2x384-float embeddings per event.

Prints JSON to stdout; progress goes to stderr. Ratios compare runs made in this same process.

    python bench/store_insert.py --events 20000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from infra.store import Store
from schemas import InferenceEvent, SafetyScore, SafetyTarget, ScoredInference, StreamKey

STREAM = StreamKey(app="bench", model="m", model_version="v1")
T0 = datetime(2026, 11, 20, tzinfo=UTC)


def make_rows(n: int, dim: int, offset: int, rng: np.random.Generator) -> list[ScoredInference]:
    rows = []
    for i in range(offset, offset + n):
        event = InferenceEvent(
            event_id=f"e{i}",
            event_time=T0 + timedelta(milliseconds=50 * i),
            app=STREAM.app,
            model=STREAM.model,
            model_version=STREAM.model_version,
            prompt=f"how do I reset my password, attempt {i}? " * 3,
            response="Open settings, choose security, then reset. " * 4,
            latency_ms=120.0,
            tokens_in=40,
            tokens_out=60,
            tags={"tier": "gold"},
        )
        rows.append(
            ScoredInference(
                event=event,
                received_at=event.event_time,
                prompt_embedding=rng.random(dim, dtype=np.float32).tolist() if dim else [],
                response_embedding=rng.random(dim, dtype=np.float32).tolist() if dim else [],
                embedding_model="all-MiniLM-L6-v2" if dim else "",
                safety=[
                    SafetyScore(
                        event_id=event.event_id,
                        detector=d,
                        detector_version="1",
                        target=SafetyTarget.PROMPT,
                        score=0.1,
                        threshold=0.5,
                        breached=False,
                    )
                    for d in ("pii", "jailbreak", "toxicity")
                ],
            )
        )
    return rows


def insert_rate(store: Store, rows: list[ScoredInference], batch: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(rows), batch):
        store.events.insert(rows[i : i + batch])
    return len(rows) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=384)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    results: dict[str, object] = {"events": args.events, "dim": args.dim, "safety_scores_per_event": 3}
    with tempfile.TemporaryDirectory() as tmp, Store.open(f"chdb://{tmp}", database="bench") as store:
        store.events.insert(make_rows(200, args.dim, 10_000_000, rng))  # warm-up
        rows = make_rows(args.events, args.dim, 0, rng)  # given a fresh id range per batch size below
        plain = make_rows(args.events, 0, 20_000_000, rng)
        inserted: dict[int, list[ScoredInference]] = {}
        for batch in (500, 5000):
            print(f"inserting {args.events} events in batches of {batch}", file=sys.stderr)
            offset = 1_000_000 * batch
            shifted = [
                r.model_copy(update={"event": r.event.model_copy(update={"event_id": f"{offset}-{i}"})})
                for i, r in enumerate(rows)
            ]
            results[f"events_per_s_batch_{batch}"] = round(insert_rate(store, shifted, batch))
            inserted[batch] = shifted
        print("inserting without embeddings", file=sys.stderr)
        results["events_per_s_batch_500_no_embeddings"] = round(insert_rate(store, plain, 500))
        print("re-inserting duplicates", file=sys.stderr)
        results["duplicate_events_per_s_batch_500"] = round(insert_rate(store, inserted[500], 500))
        results["embedding_cost_ratio"] = round(
            results["events_per_s_batch_500_no_embeddings"] / results["events_per_s_batch_500"],
            2,  # type: ignore[operator]
        )
        print("reading a window", file=sys.stderr)
        end = T0 + timedelta(milliseconds=50 * args.events)
        start = time.perf_counter()
        window = store.events.window(STREAM, T0, end, limit=1000, embedding_model="all-MiniLM-L6-v2")
        results["window_read_1000_s"] = round(time.perf_counter() - start, 3)
        results["window_rows"] = len(window)
        start = time.perf_counter()
        results["table_counts"] = store.table_counts()
        results["table_counts_s"] = round(time.perf_counter() - start, 3)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
