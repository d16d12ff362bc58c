"""How fast the demo generator produces traffic (it feeds the ingest benchmarks).

Prints JSON: inference events per second for ``generate`` and ``generate_wire`` (wall clock and CPU time of
this process, since the machine may be shared), and their ratio to the cost of only validating a fixed
``InferenceEvent`` the same number of times, measured in the same run.

    .venv/bin/python bench/demo_generator.py [--count 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from driftloop.demo import DemoConfig, generate, generate_wire
from schemas import InferenceEvent


def _timed(make: Callable[[], Iterable[object]], repeat: int) -> tuple[float, float, int]:
    """Best wall and CPU seconds over ``repeat`` runs, and the number of items of one run."""
    best_wall = best_cpu = float("inf")
    items = 0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        items = sum(1 for _ in make())
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu, items


def _baseline(count: int) -> Iterable[InferenceEvent]:
    fields = dict(
        event_id="0" * 32,
        event_time=datetime(2026, 1, 5, tzinfo=UTC),
        app="bank-support",
        model="nimbus-8b",
        model_version="2026-02",
        prompt="How do I freeze my debit card in the mobile app?",
        response="You can freeze your debit card straight away in the mobile app under Cards > Freeze.",
        latency_ms=812.5,
        tokens_in=433,
        tokens_out=21,
        cost_usd=7.7e-05,
        user_id="u_0123456789ab",
        session_id="s_0123456789abcdef",
        tags={"locale": "en-GB", "user_tier": "retail", "channel": "ios"},
    )
    for _ in range(count):
        yield InferenceEvent(**fields)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000, help="inference events per run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = DemoConfig(
        seed=args.seed,
        count=args.count,
        shift_at=args.count // 2,
        shift_fraction=0.1,
        unsafe_fraction=0.02,
        pii_fraction=0.02,
    )
    results: dict[str, object] = {"count": args.count, "repeat": args.repeat}
    runs = {
        "baseline_validate_only": lambda: _baseline(args.count),
        "generate": lambda: generate(config),
        "generate_wire": lambda: generate_wire(config),
    }
    for name, make in runs.items():
        print(f"running {name}...", file=sys.stderr)
        wall, cpu, items = _timed(make, args.repeat)
        results[name] = {
            "items": items,
            "inference_per_s_wall": round(args.count / wall),
            "inference_per_s_cpu": round(args.count / cpu),
        }
    base = results["baseline_validate_only"]["inference_per_s_cpu"]  # type: ignore[index]
    for name in ("generate", "generate_wire"):
        entry = results[name]
        entry["cpu_time_vs_baseline"] = round(base / entry["inference_per_s_cpu"], 2)  # type: ignore[index]
    results["meets_20k_per_s_cpu"] = results["generate_wire"]["inference_per_s_cpu"] >= 20_000  # type: ignore[index]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
