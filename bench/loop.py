"""Drift windows and alert policy end to end on stored windows: false alerts and time to alert.

Stable traffic: every window of a stream is an iid draw of CLINC150 in-scope queries (all-MiniLM-L6-v2
embeddings, cached by ``bench/drift_quality.py`` under ``bench/out/``); shifted streams replace a share of
each window after the onset with CLINC's out-of-scope queries (a new topic). Events are stored in a
temporary embedded ClickHouse store and evaluated by the real :class:`~monitor.windows.Monitor` with
the default settings (detectors, correction, trailing reference, alert policy), on past event times
(catch-up mode). Without the data folder, synthetic Gaussian topics stand in (``--random``).

Prints JSON: false alerts per 1,000 stable windows with the default policy and, measured on the same
stored results, with a policy that fires on every breaching window (the ratio is what hysteresis buys);
and windows from shift onset to the alert for each shifted stream.

    python bench/loop.py [--stable-windows 150] [--per-window 200] [--shift-streams 3] [--data DIR]
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
from rich.console import Console

from infra.settings import AlertPolicySettings, Settings
from infra.store import Store
from monitor.alerting import AlertPolicy, PolicyState
from monitor.windows import Monitor, floor_time
from schemas import AlertState, DriftDecision, InferenceEvent, ScoredInference, StreamKey

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
err = Console(stderr=True)


def pools(data: Path, random: bool, seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """In-scope and new-topic embeddings."""
    if not random and (data / "clinc150").exists():
        sys.path.insert(0, str(REPO))
        from bench.drift_quality import load_pools

        p = load_pools(data)
        return p.in_scope, p.out_of_scope, "clinc150 all-MiniLM-L6-v2"
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, size=(40, 64))
    base = centres[rng.integers(0, 30, 6000)] + rng.normal(0, 0.6, size=(6000, 64))
    new = centres[rng.integers(30, 40, 1200)] + rng.normal(0, 0.6, size=(1200, 64))
    return base.astype(np.float32), new.astype(np.float32), "synthetic gaussian topics"


def window_rows(
    stream: StreamKey, start: datetime, window_s: int, vectors: np.ndarray, labels: list[str], tag: str
) -> list[ScoredInference]:
    rows = []
    for i, (vector, label) in enumerate(zip(vectors, labels, strict=True)):
        when = start + timedelta(seconds=window_s * (i + 0.5) / len(vectors))
        event = InferenceEvent(
            event_id=f"{tag}-{i}",
            event_time=when,
            app=stream.app,
            model=stream.model,
            model_version=stream.model_version,
            prompt=label,
            response="",
        )
        rows.append(
            ScoredInference(event=event, received_at=when, prompt_embedding=vector.tolist(), embedding_model="bench")
        )
    return rows


def replay(results: list, policy: AlertPolicySettings) -> int:
    """Firing transitions a policy would raise on stored results of one detector (oldest first)."""
    engine, state, fired = AlertPolicy(policy), PolicyState(dedup_key="replay"), 0
    for result in results:
        state, transition = engine.observe(state, result)
        fired += transition is not None and transition.state is AlertState.FIRING and not transition.escalated
    return fired


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stable-windows", type=int, default=150)
    parser.add_argument("--per-window", type=int, default=200)
    parser.add_argument("--shift-streams", type=int, default=3, help="shifted streams per new-topic share")
    parser.add_argument("--shares", type=float, nargs="+", default=[0.1, 0.2])
    parser.add_argument("--shift-windows", type=int, default=8)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--random", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    base, new, source = pools(args.data, args.random, args.seed)
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        monitor_settings = settings.monitor.model_copy(update={"reports": False})
        settings = settings.model_copy(update={"monitor": monitor_settings})
        window_s = settings.drift.window_s
        warmup = settings.monitor.trailing_windows + settings.monitor.trailing_gap_windows
        t0 = floor_time(datetime.now(UTC) - timedelta(days=2), window_s)
        store = Store.open(f"chdb://{tmp}/clickhouse")
        try:
            stable = StreamKey(app="stable", model="bench", model_version="1")
            n_stable = args.stable_windows + warmup
            for w in range(n_stable):
                idx = rng.integers(0, len(base), args.per_window)
                store.events.insert(
                    window_rows(
                        stable,
                        t0 + timedelta(seconds=w * window_s),
                        window_s,
                        base[idx],
                        [f"in-scope {i}" for i in idx],
                        f"s{w}",
                    )
                )
            shifted: dict[str, list[StreamKey]] = {}
            onset = warmup + 2
            # shifted streams end with the stable one, so every stream is active (not idle) at the end
            shift_t0 = t0 + timedelta(seconds=max(0, n_stable - onset - args.shift_windows) * window_s)
            for share in args.shares:
                for k in range(args.shift_streams):
                    stream = StreamKey(app=f"shift-{share:.2f}-{k}", model="bench", model_version="1")
                    shifted.setdefault(f"{share:.0%}", []).append(stream)
                    for w in range(onset + args.shift_windows):
                        idx = rng.integers(0, len(base), args.per_window)
                        vectors, labels = base[idx], [f"in-scope {i}" for i in idx]
                        if w >= onset:
                            m = int(round(share * args.per_window))
                            new_idx = rng.integers(0, len(new), m)
                            vectors = np.vstack([vectors[m:], new[new_idx]])
                            labels = labels[m:] + [f"new topic {i}" for i in new_idx]
                        store.events.insert(
                            window_rows(
                                stream,
                                shift_t0 + timedelta(seconds=w * window_s),
                                window_s,
                                vectors,
                                labels,
                                f"{stream.app}-{w}",
                            )
                        )
            err.print(f"stored {store.events.count()} events; evaluating ({source})")
            monitor = Monitor(settings, store, sinks=[])
            end = t0 + timedelta(seconds=(max(n_stable, onset + args.shift_windows) + 1) * window_s)
            started = time.perf_counter()
            summary = monitor.catch_up(now=end + timedelta(seconds=settings.monitor.grace_s))
            elapsed = time.perf_counter() - started

            policy = settings.monitor.default_policy
            decided_from = t0 + timedelta(seconds=warmup * window_s)
            stable_alerts = [a for a in store.alerts.page(stable, state=AlertState.FIRING, limit=10_000)]
            per_detector = {}
            eager = policy.model_copy(update={"fire_after": 1, "resolve_after": 1, "cooldown_s": 0})
            eager_alerts = 0
            for spec in settings.monitor.tests:
                stable_end = t0 + timedelta(seconds=n_stable * window_s)
                results = store.drift.results(stable, decided_from, stable_end, detector=spec.detector, limit=100_000)
                results = [r for r in results if r.decision is not DriftDecision.INSUFFICIENT_DATA]
                breaches = sum(r.decision is DriftDecision.DRIFT for r in results)
                fired = replay(results, eager)
                eager_alerts += fired
                per_detector[spec.detector] = {"windows": len(results), "breach_rate": breaches / max(1, len(results))}
            windows = args.stable_windows
            to_alert: dict[str, list[int | None]] = {}
            for share, streams in shifted.items():
                for stream in streams:
                    fired = store.alerts.page(stream, state=AlertState.FIRING, limit=1000)
                    first = min((a.drift.window_end for a in fired if a.drift is not None), default=None)
                    onset_end = shift_t0 + timedelta(seconds=(onset + 1) * window_s)
                    to_alert.setdefault(share, []).append(
                        None if first is None else int((first - onset_end) / timedelta(seconds=window_s)) + 1
                    )
        finally:
            store.close()

    default_rate = len(stable_alerts) * 1000 / windows
    eager_rate = eager_alerts * 1000 / windows
    print(
        json.dumps(
            {
                "source": source,
                "per_window_events": args.per_window,
                "window_s": window_s,
                "detectors": [s.detector for s in settings.monitor.tests],
                "policy": policy.model_dump(),
                "stable_windows": windows,
                "false_alerts_default_policy": len(stable_alerts),
                "false_alerts_per_1000_windows": round(default_rate, 2),
                "false_alerts_per_1000_windows_fire_on_every_breach": round(eager_rate, 2),
                "hysteresis_reduction_ratio": None if default_rate == 0 else round(eager_rate / default_rate, 1),
                "per_window_breach_rate": per_detector,
                "false_alerts_per_1000_windows_if_windows_were_independent": round(
                    1000 * sum(d["breach_rate"] ** policy.fire_after for d in per_detector.values()), 3
                ),
                "false_alerts_per_1000_windows_95pct_upper_bound": round(
                    1000 * (3.0 if not stable_alerts else len(stable_alerts) + 2 * len(stable_alerts) ** 0.5) / windows,
                    2,
                ),
                "windows_from_onset_to_alert": to_alert,
                "windows_evaluated": summary.windows,
                "seconds_per_window": round(elapsed / max(1, summary.windows), 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
