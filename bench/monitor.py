"""The window monitor's signals: false alerts on stable traffic, detection of degradations, CPU per stream-window.

Prints one JSON object:

- ``false_alerts_per_1000_stream_windows``: firing alerts (every signal and the default embedding tests,
  default settings) per 1000 evaluated stream-windows of stable generated traffic;
- ``detection_rate.<degradation>``: share of trials whose alert fires within ``fire_after`` windows of
  the change, at ``--per-window`` calls per window;
- ``monitor_cpu_ms_per_stream_window``: process CPU of the monitor per stream-window, signals alone and
  with the default embedding tests; ``streams_per_core_at_300s_windows`` follows from the latter.

Traffic is the synthetic calls of ``tests/loop/signal_traffic.py`` (outcomes drawn per call), written to
an embedded store under a temporary directory. ``--quick`` runs a few trials only, to check it works.

    python bench/monitor.py --quick
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from infra.settings import DriftSettings, MonitorSettings, Settings  # noqa: E402
from infra.store import Store  # noqa: E402
from monitor.windows import Monitor, MonitorRun, floor_time  # noqa: E402
from schemas import AlertState, StreamKey  # noqa: E402
from tests.loop.signal_traffic import Calls, write_calls  # noqa: E402

WINDOW_S = 300
DEGRADATIONS: dict[str, tuple[str, Calls | None]] = {
    "latency_p95_up_50pct": ("signal.latency_p95", Calls(latency_factor=1.5)),
    "thumbs_down_12_to_20pct": ("signal.thumbs_down_rate", Calls(thumbs_down=0.20)),
    "refusal_rate_x3": ("signal.refusal_rate", Calls(refusal=0.09)),
    "jailbreak_breach_0_5_to_3pct": ("signal.jailbreak_rate", Calls(jailbreak=0.03)),
    "cost_per_call_up_30pct": ("signal.cost_per_call", Calls(cost_factor=1.3)),
    "silence": ("signal.silence", None),
}


def settings(data_dir: Path, embedding_tests: bool) -> Settings:
    """Defaults, but for the window size (300 s) and, without ``embedding_tests``, no drift tests."""
    monitor = {"reports": False} if embedding_tests else {"reports": False, "tests": []}
    return Settings(data_dir=data_dir, drift=DriftSettings(window_s=WINDOW_S), monitor=MonitorSettings(**monitor))


def run_monitor(store: Store, config: Settings, now: datetime) -> tuple[MonitorRun, float]:
    """Every closed window evaluated; what the run did and the process CPU seconds it took."""
    cpu = time.process_time()
    summary = Monitor(config, store, sinks=[]).catch_up(now=now)
    return summary, time.process_time() - cpu


def stable(args: argparse.Namespace, root: Path, t0: datetime, now: datetime, embedding_tests: bool) -> dict:
    """False alerts and CPU per stream-window over stable streams."""
    config = settings(root / f"stable-{embedding_tests}", embedding_tests)
    with Store.open(f"chdb://{root / f'stable-{embedding_tests}' / 'clickhouse'}") as store:
        for i in range(args.stable_streams):
            plan = [Calls(n=args.per_window)] * int((now - t0).total_seconds() // WINDOW_S)
            write_calls(store, StreamKey(app=f"stable-{i}", model="m", model_version="1"), t0, WINDOW_S, plan,
                        seed=1000 + i, exact=False, embedding_dim=16 if embedding_tests else 0)  # fmt: skip
        summary, cpu_s = run_monitor(store, config, now)
    stream_windows = summary.windows
    firing = [a for a in summary.alerts if a.state is AlertState.FIRING]
    return {
        "stream_windows": stream_windows,
        "false_alerts": len(firing),
        "false_alerts_by_detector": sorted({a.detector for a in firing}),
        "cpu_ms_per_stream_window": 1000 * cpu_s / stream_windows,
    }


def detection(args: argparse.Namespace, root: Path, t0: datetime, now: datetime) -> dict[str, float]:
    """Per degradation, the share of trials whose signal alert fired within ``fire_after`` windows."""
    config = settings(root / "degraded", embedding_tests=False)
    fire_after = config.monitor.signals.policy.fire_after
    onset = args.windows - fire_after
    with Store.open(f"chdb://{root / 'degraded' / 'clickhouse'}") as store:
        streams: dict[StreamKey, tuple[str, str]] = {}
        for name in args.degradations:
            detector, change = DEGRADATIONS[name]
            for trial in range(args.trials):
                stream = StreamKey(app=f"{name}-{trial}", model="m", model_version="1")
                base = Calls(n=args.per_window)
                after = None if change is None else replace(change, n=args.per_window)
                plan = [base] * onset + [after] * fire_after
                write_calls(store, stream, t0, WINDOW_S, plan, seed=trial, exact=False)
                streams[stream] = (name, detector)
        alerts = run_monitor(store, config, now)[0].alerts
    bound = t0 + timedelta(seconds=(onset + fire_after) * WINDOW_S)
    fired = {
        (a.stream, a.detector)
        for a in alerts
        if a.state is AlertState.FIRING and a.drift is not None and a.drift.window_end <= bound
    }
    hits = dict.fromkeys(args.degradations, 0)
    for stream, (name, detector) in streams.items():
        hits[name] += (stream, detector) in fired
    return {name: hits[name] / args.trials for name in args.degradations}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--stable-streams", type=int, default=50)
    parser.add_argument("--windows", type=int, default=12, help="windows of traffic per stream")
    parser.add_argument("--per-window", type=int, default=400)
    parser.add_argument(
        "--degradations",
        type=lambda text: text.split(","),
        default=list(DEGRADATIONS),
        help=f"comma-separated, of {', '.join(DEGRADATIONS)}",
    )
    parser.add_argument("--quick", action="store_true", help="2 trials, 3 stable streams: checks that it runs")
    args = parser.parse_args()
    unknown = set(args.degradations) - set(DEGRADATIONS)
    if unknown:
        parser.error(f"unknown degradation {sorted(unknown)}: choose from {', '.join(DEGRADATIONS)}")
    logging.disable(logging.WARNING)  # each alert is logged; the JSON says what fired
    if args.quick:
        args.trials, args.stable_streams = 2, 3
    # the degraded windows are closed, feedback grace included; all inside the store's retention
    now = floor_time(datetime.now(UTC), WINDOW_S)
    t0 = now - timedelta(seconds=(args.windows + 4) * WINDOW_S)
    with tempfile.TemporaryDirectory(prefix="driftloop-bench-monitor-") as tmp:
        root = Path(tmp)
        signals_only = stable(args, root, t0, now, embedding_tests=False)
        with_embedding = stable(args, root, t0, now, embedding_tests=True)
        rates = detection(args, root, t0, now)
    cpu_ms = with_embedding["cpu_ms_per_stream_window"]
    print(
        json.dumps(
            {
                "false_alerts_per_1000_stream_windows": 1000
                * with_embedding["false_alerts"]
                / with_embedding["stream_windows"],
                "false_alert_detectors": with_embedding["false_alerts_by_detector"],
                "stable_stream_windows": with_embedding["stream_windows"],
                "detection_rate": rates,
                "trials": args.trials,
                "per_window": args.per_window,
                "monitor_cpu_ms_per_stream_window": {
                    "signals": signals_only["cpu_ms_per_stream_window"],
                    "signals_and_embedding_tests": cpu_ms,
                },
                "streams_per_core_at_300s_windows": WINDOW_S * 1000 / cpu_ms if cpu_ms else None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
