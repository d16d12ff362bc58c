"""Segments on stored demo traffic: a segment with worse feedback raises an alert naming it; no effect, none."""

from __future__ import annotations

from datetime import timedelta

import pytest

from driftloop.demo import DemoConfig, SegmentEffect
from infra.settings import AlertPolicySettings, SegmentSettings, Settings
from infra.store import Store
from monitor.segments import SegmentMonitor
from schemas import AlertKind, AlertState, StreamKey
from tests.analytics.traffic import only, recent_start, store_demo

APP = "bank-support"
STREAM = StreamKey(app=APP, model="nimbus-8b", model_version="2026-02")
HOURS = 3


def _settings(tmp_path, **segments: object) -> Settings:  # noqa: ANN001
    policy = AlertPolicySettings(fire_after=2, resolve_after=2, min_count=30, cooldown_s=0)
    return Settings(data_dir=tmp_path, segments=SegmentSettings(window_s=3600, grace_s=0, policy=policy, **segments))


def _demo(seed: int, effects: tuple[SegmentEffect, ...] = ()) -> DemoConfig:
    return DemoConfig(
        seed=seed,
        count=5400,
        rate=5400 / (HOURS * 3600),
        start=recent_start(HOURS + 1),
        apps=(APP,),
        arrivals="even",
        feedback_fraction=0.6,
        deployment_weights=only(["nimbus-8b/2026-02"], APP),
        segment_effects=effects,
    )


def test_segment_with_worse_feedback_raises_an_alert_naming_it(store: Store, tmp_path) -> None:  # noqa: ANN001
    store_demo(store, _demo(11, (SegmentEffect(tag="locale", value="en-IN", thumbs_down=0.3),)))
    monitor = SegmentMonitor(_settings(tmp_path), store)
    run = monitor.run_once()
    assert run.windows >= HOURS
    flagged = {(d.tag, d.value, d.metric) for d in run.disparities}
    assert flagged == {("locale", "en-IN", "thumbs_down")}
    one = run.disparities[0]
    assert one.comparison.first.rate > one.comparison.second.rate + 0.05
    assert one.comparison.first.n >= 30 and one.comparison.second.n > one.comparison.first.n
    firing = [a for a in run.alerts if a.state is AlertState.FIRING]
    assert firing and {a.dedup_key for a in firing} == {f"{STREAM}:disparity:thumbs_down:locale=en-IN"}
    assert all(a.kind is AlertKind.DISPARITY for a in firing)  # a second one only when it escalates
    summary = firing[0].summary
    evidence = firing[0].drift
    assert evidence is not None
    for needle in (
        "locale=en-IN",
        "thumbs_down",
        f"(n={evidence.n_current})",
        f"(n={evidence.n_reference})",
        "vs rest",
    ):
        assert needle in summary
    stored = store.segments.results(STREAM, disparate_only=True)
    assert {(d.value, d.metric) for d in stored} == {("en-IN", "thumbs_down")}
    assert store.alerts.page(STREAM)[0].kind is AlertKind.DISPARITY
    assert monitor.run_once().windows == 0  # progress is kept: nothing evaluated twice


@pytest.mark.slow
@pytest.mark.parametrize("seed", [21, 22, 23, 24, 25])
def test_no_effect_no_disparity(store: Store, tmp_path, seed: int) -> None:  # noqa: ANN001
    store_demo(store, _demo(seed))
    run = SegmentMonitor(_settings(tmp_path), store).run_once()
    assert run.windows >= HOURS and run.results
    assert run.disparities == [] and run.alerts == []


def test_rare_values_are_pooled_under_other(store: Store, tmp_path) -> None:  # noqa: ANN001
    store_demo(store, _demo(5))
    monitor = SegmentMonitor(_settings(tmp_path, max_values=2, tags=["locale"]), store)
    start = recent_start(HOURS + 1)
    counts = store.aggregates.outcome_counts(
        [STREAM], start, start + timedelta(hours=HOURS), segment_tags=["locale"], max_values=2
    )
    assert {c.value for c in counts} == {"en-US", "en-GB", "other"}
    assert sum(c.events for c in counts) == store.events.count(app=APP)
    assert monitor.run_once().windows >= HOURS
