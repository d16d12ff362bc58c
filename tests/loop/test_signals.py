"""Stream signals on the real embedded ClickHouse engine, through the window monitor, on a compressed clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from infra.settings import AlertPolicySettings, DriftSettings, MonitorSettings, Settings, SignalSettings
from infra.store import Store
from monitor.signals import firing_signals
from monitor.windows import Monitor
from schemas import AlertKind, AlertState, DriftDecision, StreamKey
from tests.loop.signal_traffic import Calls, write_calls

pytestmark = pytest.mark.integration

WINDOW_S = 10
FIRE_AFTER = 2
ONSET = 8


def signal_settings(data_dir: Path, **monitor: object) -> Settings:
    """10-second windows, signals only (no embedding tests), feedback evaluated at once unless set."""
    base: dict = {
        "grace_s": 0,
        "feedback_grace_s": 0,
        "tests": [],
        "default_policy": AlertPolicySettings(fire_after=FIRE_AFTER, resolve_after=2, min_count=30, cooldown_s=0),
        "reports": False,
    }
    base.update(monitor)
    return Settings(data_dir=data_dir, drift=DriftSettings(window_s=WINDOW_S), monitor=MonitorSettings(**base))


def stream(app: str) -> StreamKey:
    return StreamKey(app=app, model="m", model_version="1")


def firing(alerts: list, detector: str) -> list:
    return [a for a in alerts if a.state is AlertState.FIRING and a.detector == detector]


def run(store: Store, t0: datetime, windows: int, tmp_path: Path, **monitor: object) -> list:
    summary = Monitor(signal_settings(tmp_path, **monitor), store, sinks=[]).catch_up(
        now=t0 + timedelta(seconds=windows * WINDOW_S)
    )
    return summary.alerts


def test_stable_traffic_raises_no_signal_alert_and_every_window_is_stored(store: Store, t0, tmp_path: Path) -> None:
    s = stream("stable-bot")
    write_calls(store, s, t0, WINDOW_S, [Calls()] * 14, seed=1)

    assert run(store, t0, 14, tmp_path) == []
    results = store.drift.results(s, signals=True, limit=10_000)
    latency = [r for r in results if r.detector == "signal.latency_p95"]
    assert len(latency) == 14
    decided = [r for r in latency if r.decision is not DriftDecision.INSUFFICIENT_DATA]
    assert len(decided) >= 8 and all(r.adjusted_p_value is not None for r in decided)
    assert all(600 < r.statistic < 3000 and r.config["reference"] > 0 for r in decided)
    thumbs = [r for r in results if r.detector == "signal.thumbs_down_rate" and r.config.get("effect") is not None]
    assert thumbs and all(r.config["feedback_coverage"] == pytest.approx(0.25) for r in thumbs)
    volume = [r for r in results if r.detector == "signal.volume"]
    assert {r.statistic for r in volume if r.decision is not DriftDecision.INSUFFICIENT_DATA} == {400.0}


@pytest.mark.parametrize(
    ("detector", "change"),
    [
        ("signal.latency_p95", Calls(latency_factor=1.5)),
        ("signal.thumbs_down_rate", Calls(thumbs_down=0.20)),
        ("signal.refusal_rate", Calls(refusal=0.09)),
        ("signal.jailbreak_rate", Calls(jailbreak=0.03)),
        ("signal.cost_per_call", Calls(cost_factor=1.3)),
    ],
)
def test_a_degradation_fires_its_signal_within_fire_after_windows(
    store: Store, t0, tmp_path: Path, detector: str, change: Calls
) -> None:
    s = stream("degraded-bot")
    write_calls(store, s, t0, WINDOW_S, [Calls()] * ONSET + [change] * 3, seed=2)

    alerts = firing(run(store, t0, ONSET + 3, tmp_path), detector)
    assert len(alerts) == 1, f"{detector} did not fire"
    alert = alerts[0]
    assert alert.kind is AlertKind.SIGNAL and alert.dedup_key == f"{s}:signal:{detector}"
    assert alert.drift.window_end <= t0 + timedelta(seconds=(ONSET + FIRE_AFTER) * WINDOW_S)
    assert alert.drift.config["floor_met"] and "reference" in alert.summary
    stored = store.alerts.page(s)
    assert any(a.detector == detector for a in stored)


def test_a_volume_spike_fires_and_a_small_change_does_not(store: Store, t0, tmp_path: Path) -> None:
    spike, drift = stream("spike-bot"), stream("busier-bot")
    write_calls(store, spike, t0, WINDOW_S, [Calls(n=100)] * ONSET + [Calls(n=300)] * 3, seed=8)
    write_calls(store, drift, t0, WINDOW_S, [Calls(n=100)] * ONSET + [Calls(n=140)] * 3, seed=9)

    alerts = firing(run(store, t0, ONSET + 3, tmp_path), "signal.volume")
    assert [a.stream for a in alerts] == [spike]
    assert "300 events (reference 100.0 per window, +200%)" in alerts[0].summary
    busier = [
        r
        for r in store.drift.results(drift, signals=True, detector="signal.volume")
        if r.window_start >= t0 + timedelta(seconds=ONSET * WINDOW_S)
    ]
    assert busier and all(r.decision is DriftDecision.NO_DRIFT for r in busier)
    assert any(r.adjusted_p_value < 0.05 for r in busier)  # significant, but below the effect floor


def test_latency_down_is_not_an_alert(store: Store, t0, tmp_path: Path) -> None:
    s = stream("faster-bot")
    write_calls(store, s, t0, WINDOW_S, [Calls()] * ONSET + [Calls(latency_factor=0.5)] * 3, seed=3)

    alerts = run(store, t0, ONSET + 3, tmp_path)
    assert firing(alerts, "signal.latency_p95") == [] and firing(alerts, "signal.latency_p50") == []


def test_silence_fires_within_two_windows(store: Store, t0, tmp_path: Path) -> None:
    s = stream("silent-bot")
    write_calls(store, s, t0, WINDOW_S, [Calls(n=100)] * ONSET, seed=4)

    alerts = firing(run(store, t0, ONSET + 4, tmp_path), "signal.silence")
    assert len(alerts) == 1
    assert alerts[0].drift.window_end <= t0 + timedelta(seconds=(ONSET + 2) * WINDOW_S)
    assert "silent" in alerts[0].summary
    # as driftloop status lists them: the volume collapse fires beside the silence
    assert firing_signals(store.alerts.policy_states()) == [f"{s} signal.silence", f"{s} signal.volume"]


def test_small_windows_are_insufficient_data_and_never_alert(store: Store, t0, tmp_path: Path) -> None:
    s = stream("small-bot")
    write_calls(store, s, t0, WINDOW_S, [Calls(n=12)] * ONSET + [Calls(n=12, latency_factor=3, refusal=0.5)] * 3)

    assert run(store, t0, ONSET + 3, tmp_path) == []
    results = store.drift.results(s, signals=True, limit=10_000)
    for detector in ("signal.latency_p95", "signal.refusal_rate", "signal.thumbs_down_rate"):
        decisions = {r.decision for r in results if r.detector == detector}
        assert decisions == {DriftDecision.INSUFFICIENT_DATA}, detector
    assert DriftDecision.DRIFT not in {r.decision for r in results if r.detector == "signal.silence"}


def test_an_absolute_threshold_fires_on_the_streams_it_names(store: Store, t0, tmp_path: Path) -> None:
    slow, other = stream("slow-bot"), stream("other-bot")
    write_calls(store, slow, t0, WINDOW_S, [Calls(n=100)] * 4, seed=5)
    write_calls(store, other, t0, WINDOW_S, [Calls(n=100)] * 4, seed=6)
    rules = SignalSettings(rules=[{"signal": "latency_p95", "streams": "slow-*/*@*", "above": 1000}])

    alerts = firing(run(store, t0, 4, tmp_path, signals=rules), "signal.latency_p95.threshold")
    assert [a.stream for a in alerts] == [slow]
    assert alerts[0].drift.threshold == 1000 and alerts[0].drift.window_end == t0 + timedelta(seconds=20)
    assert "above 1,000 ms" in alerts[0].summary


def test_feedback_signals_wait_for_feedback_grace(store: Store, t0, tmp_path: Path) -> None:
    s = stream("late-bot")
    write_calls(store, s, t0, WINDOW_S, [Calls(n=100)] * 8, seed=7)
    settings = signal_settings(tmp_path, feedback_grace_s=3 * WINDOW_S)
    Monitor(settings, store, sinks=[]).catch_up(now=t0 + timedelta(seconds=8 * WINDOW_S))

    calls = store.drift.latest_windows(["signal.latency_p95"])
    feedback = store.drift.latest_windows(["signal.thumbs_down_rate"])
    assert calls[s] == t0 + timedelta(seconds=8 * WINDOW_S)
    assert feedback[s] == t0 + timedelta(seconds=5 * WINDOW_S)
