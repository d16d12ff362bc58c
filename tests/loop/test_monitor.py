"""Window evaluation on the real embedded ClickHouse engine, on a compressed clock (10-second windows)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from driftloop.service import Running
from monitor.alerting import PolicyState
from monitor.windows import Monitor, set_reference
from schemas import AlertState, DriftDecision, StreamKey
from tests.loop.conftest import PER_WINDOW, WINDOW_S, loop_settings

pytestmark = pytest.mark.integration

STABLE = StreamKey(app="stable-bot", model="m", model_version="1")
SHIFTED = StreamKey(app="shifted-bot", model="m", model_version="1")
BASE = [0, 1, 2, 3]
SHIFT = [0, 1, 2, 3, 4, 4]  # a new topic takes a third of the traffic


def test_stable_stream_raises_nothing_and_every_window_is_recorded(store, write_traffic, t0, tmp_path: Path) -> None:
    write_traffic(STABLE, [BASE] * 12, seed=1)
    monitor = Monitor(loop_settings(tmp_path), store, sinks=[])
    summary = monitor.catch_up(now=t0 + timedelta(seconds=12 * WINDOW_S))

    assert summary.windows == 12 and summary.alerts == []
    results = store.drift.results(STABLE, limit=1000)
    assert len(results) == 12 * 2
    # the reference of the first windows would end before the stream's first event
    first_decided = t0 + timedelta(seconds=(monitor.settings.monitor.trailing_gap_windows + 1) * WINDOW_S)
    early = [r for r in results if r.window_start < first_decided]
    assert len(early) == 6 and {r.decision for r in early} == {DriftDecision.INSUFFICIENT_DATA}
    assert all(r.n_reference == 0 and r.n_current == 100 for r in early)
    decided = [r for r in results if r.window_start >= first_decided]
    assert all(r.adjusted_p_value is not None and r.config["correction"]["n_tests"] == 2 for r in decided)
    gap = timedelta(seconds=monitor.settings.monitor.trailing_gap_windows * WINDOW_S)
    assert all(r.reference_end == r.window_start - gap for r in decided)
    assert store.alerts.page(STABLE) == []
    # nothing left: a second run evaluates no window
    assert monitor.run_once(now=t0 + timedelta(seconds=12 * WINDOW_S)).windows == 0


def test_small_and_open_windows_are_insufficient_or_not_evaluated(store, write_traffic, t0, tmp_path: Path) -> None:
    write_traffic(STABLE, [BASE] * 4, seed=2)
    write_traffic(STABLE, [None] * 4 + [BASE], seed=3, per_window=10)
    write_traffic(STABLE, [None] * 5 + [BASE] * 2, seed=4)
    settings = loop_settings(tmp_path, grace_s=5)
    summary = Monitor(settings, store, sinks=[]).run_once(now=t0 + timedelta(seconds=7 * WINDOW_S + 4))

    assert summary.windows == 6  # the seventh window ended 4 s ago, inside the 5 s grace period
    small = store.drift.results(STABLE, t0 + timedelta(seconds=4 * WINDOW_S), t0 + timedelta(seconds=5 * WINDOW_S))
    assert [(r.decision, r.n_current) for r in small] == [(DriftDecision.INSUFFICIENT_DATA, 10)] * 2
    assert "insufficient data" in small[0].explanation


def test_a_new_topic_fires_within_the_hysteresis_bound_with_clusters_examples_and_report(
    store, write_traffic, t0, tmp_path: Path
) -> None:
    onset = 6
    write_traffic(SHIFTED, [BASE] * onset + [SHIFT] * 4, seed=5)
    settings = loop_settings(tmp_path)
    summary = Monitor(settings, store, sinks=[]).catch_up(now=t0 + timedelta(seconds=10 * WINDOW_S))

    firing = [a for a in summary.alerts if a.state is AlertState.FIRING]
    assert firing, "the shift raised no alert"
    bound = t0 + timedelta(seconds=(onset + settings.monitor.default_policy.fire_after) * WINDOW_S)
    topic = next(a for a in firing if a.detector == "topic")
    assert topic.drift is not None and topic.drift.window_end <= bound
    assert topic.drift.stream == SHIFTED and topic.drift.adjusted_p_value <= 0.05
    grown = max(topic.drift.clusters, key=lambda c: c.change)
    assert grown.current_share - grown.reference_share > 0.1
    assert any("write a poem about the sea" in text for text in grown.examples)
    assert topic.report_path is not None and Path(topic.report_path).is_file()
    assert Path(topic.report_path).parent == tmp_path / "reports"
    html = Path(topic.report_path).read_text()
    assert "prompt_chars" in html and "prompt_embedding_pc1" in html
    # stored with the same evidence
    stored = store.alerts.page(SHIFTED, state=AlertState.FIRING)
    assert {a.alert_id for a in stored} == {a.alert_id for a in firing}


def test_re_evaluation_after_a_restart_does_not_double_write(store, write_traffic, t0, tmp_path: Path) -> None:
    write_traffic(SHIFTED, [BASE] * 5 + [SHIFT] * 3, seed=6)
    settings = loop_settings(tmp_path, reports=False)
    now = t0 + timedelta(seconds=8 * WINDOW_S)
    first = Monitor(settings, store, sinks=[]).catch_up(now=now)
    assert first.alerts
    counts = store.table_counts()

    # a crash before progress and policy state were saved: both go back to the start
    store.drift.set_progress(SHIFTED, t0)
    store.alerts.save_policy_states(
        {k: PolicyState(dedup_key=k).model_dump_json() for k in store.alerts.policy_states()}
    )
    again = Monitor(settings, store, sinks=[]).catch_up(now=now)

    assert again.windows == 8
    assert [a.alert_id for a in again.alerts] == [a.alert_id for a in first.alerts]  # same decisions, same ids
    after = store.table_counts()
    for table in ("drift_scores", "alerts", "alert_outbox"):
        assert after[table] == counts[table], table


def test_windows_wait_for_the_ingest_watermark_however_old(store, write_traffic, t0, tmp_path: Path) -> None:
    write_traffic(STABLE, [BASE] * 8, seed=9)
    watermark = t0 + timedelta(seconds=3 * WINDOW_S + 4)
    monitor = Monitor(loop_settings(tmp_path, grace_s=2), store, sinks=[], watermark=lambda now: min(now, watermark))
    now = t0 + timedelta(seconds=20 * WINDOW_S)

    # Every window is an hour old, but only those the watermark passed by the grace period are stored whole.
    assert monitor.catch_up(now=now).windows == 3
    assert {r.window_start for r in store.drift.results(STABLE, limit=100)} == {
        t0 + timedelta(seconds=w * WINDOW_S) for w in range(3)
    }
    # The status says how far windows could be evaluated, and how far the watermark held them back.
    shown = Running(loop_settings(tmp_path), bootstrap_servers="", monitor=monitor).drift_windows()
    assert shown is not None and shown.evaluable_before == watermark and shown.last_run_at == now
    assert shown.held_back_s == (now - watermark).total_seconds() and shown.windows_evaluated == 3
    watermark = now
    monitor.catch_up(now=now)
    traffic_end = t0 + timedelta(seconds=8 * WINDOW_S)
    stored = [r for r in store.drift.results(STABLE, limit=1000) if r.window_start < traffic_end]
    assert len({r.window_start for r in stored}) == 8 and all(r.n_current == PER_WINDOW for r in stored)


def test_a_pinned_reference_replaces_the_trailing_one(store, write_traffic, t0, tmp_path: Path) -> None:
    # the stream drifts slowly from topic set A to B; against the pinned start, the change shows
    write_traffic(SHIFTED, [[0, 1]] * 3 + [[0, 1, 4]] * 3, seed=7)
    settings = loop_settings(tmp_path, reports=False)
    pin = set_reference(store, SHIFTED, t0, t0 + timedelta(seconds=2 * WINDOW_S), min_samples=30, note="launch")
    assert pin.enough and pin.events == 2 * PER_WINDOW
    Monitor(settings, store, sinks=[]).catch_up(now=t0 + timedelta(seconds=6 * WINDOW_S))
    late = store.drift.results(SHIFTED, t0 + timedelta(seconds=3 * WINDOW_S), detector="topic")
    assert all(r.reference_start == t0 and r.reference_end == t0 + timedelta(seconds=2 * WINDOW_S) for r in late)
    assert all(r.decision is DriftDecision.DRIFT for r in late)


def test_the_scheduler_catches_up_in_the_background_and_stops(store, write_traffic, t0, tmp_path: Path) -> None:
    write_traffic(STABLE, [BASE] * 6, seed=8)
    monitor = Monitor(loop_settings(tmp_path, interval_s=0.2, max_windows_per_run=2), store, sinks=[])
    monitor.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(store.drift.results(STABLE, t0, t0 + timedelta(seconds=60))) < 12:
            time.sleep(0.2)
    finally:
        monitor.shutdown()
    assert not monitor.running and monitor.stats.last_error is None
    assert len(store.drift.results(STABLE, t0, t0 + timedelta(seconds=60))) == 12
    assert monitor.stats.runs >= 3  # two windows per run, rescheduled at once while behind
