"""Segment drift on stored demo traffic embedded by the real embedder.

One locale's prompts move to new topics (the demo's topic shift, kept for that locale only): that segment's
drift against its own reference is flagged and named, and the other locales are not. Without a shift, no
segment drift alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from detectors.embedding import Embedder, build_embedder
from driftloop.demo import DemoConfig, generate
from infra.settings import AlertPolicySettings, DriftTestSpec, SegmentSettings, Settings
from infra.store import Store
from monitor.segments import SegmentDriftEvaluator, SegmentMonitor, segment_drift_tests
from monitor.windows import Window, set_reference
from schemas import AlertKind, AlertState, DriftDecision, ScoredInference, StreamKey
from tests.analytics.traffic import only, recent_start

APP = "bank-support"
STREAM = StreamKey(app=APP, model="nimbus-8b", model_version="2026-02")
HOURS = 4
SHIFTED = "en-GB"


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    yield build_embedder("auto", batch_size=64)


def _settings(tmp_path: Path, **segments: object) -> Settings:
    policy = AlertPolicySettings(fire_after=2, resolve_after=2, min_count=30, cooldown_s=0)
    base: dict = {
        "window_s": 3600,
        "grace_s": 0,
        "policy": policy,
        "tags": ["locale"],
        "drift_min_samples": 40,
        "drift_max_samples": 300,
    }
    return Settings(data_dir=tmp_path, segments=SegmentSettings(**(base | segments)))


def _demo(seed: int, shift: bool) -> DemoConfig:
    """Four hours of one stream; with ``shift``, 40% of prompts on new topics from the third hour on."""
    start = recent_start(HOURS + 1)
    return DemoConfig(
        seed=seed,
        count=6000,
        rate=6000 / (HOURS * 3600),
        start=start,
        apps=(APP,),
        arrivals="even",
        feedback_fraction=0.0,
        unsafe_fraction=0.0,
        deployment_weights=only(["nimbus-8b/2026-02"], APP),
        shift_at=start + timedelta(hours=2) if shift else None,
        shift_fraction=0.4 if shift else 0.0,
    )


def _store_embedded(store: Store, embedder: Embedder, config: DemoConfig, shifted_locale: str | None) -> int:
    """Store the demo's calls with real prompt embeddings; shifted prompts are kept only in ``shifted_locale``."""
    events = [
        item.event
        for item in generate(config)
        if item.event is not None and (not item.truth.is_shifted or item.event.tags["locale"] == shifted_locale)
    ]
    vectors = embedder.embed([e.prompt for e in events])
    rows = [
        ScoredInference(event=e, received_at=e.event_time, prompt_embedding=v.tolist(), embedding_model="test")
        for e, v in zip(events, vectors, strict=True)
    ]
    return store.events.insert(rows)


def _reference(config: DemoConfig) -> tuple[datetime, datetime]:
    """The second hour: in the first, every simulated session has just started (more first turns)."""
    return config.start + timedelta(hours=1), config.start + timedelta(hours=2)


def _pin_reference(store: Store, config: DemoConfig) -> None:
    set_reference(store, STREAM, *_reference(config), min_samples=100)


@pytest.mark.slow
def test_a_segment_that_shifts_topic_is_flagged_and_named(store: Store, tmp_path: Path, embedder: Embedder) -> None:
    config = _demo(31, shift=True)
    _store_embedded(store, embedder, config, SHIFTED)
    _pin_reference(store, config)
    monitor = SegmentMonitor(_settings(tmp_path), store)
    run = monitor.run_once()
    assert run.windows >= HOURS
    shifted_feature = f"prompt_embedding:locale={SHIFTED}"

    # The large locales were tested in every window; the shifted one drifts in both shifted windows only.
    decided = [r for r in run.drift if r.decision is not DriftDecision.INSUFFICIENT_DATA]
    assert {r.feature for r in decided} >= {f"prompt_embedding:locale={v}" for v in ("en-US", "en-GB", SHIFTED)}
    assert all(r.detector == "nearest_neighbour" and r.adjusted_p_value is not None for r in decided)
    shift_start = config.start + timedelta(hours=2)
    drifted = {(r.feature, r.window_start) for r in run.drifted}
    assert {w for f, w in drifted if f == shifted_feature} == {shift_start, shift_start + timedelta(hours=1)}
    # The other locales: at 5% FDR per window a single chance decision may happen, never an alert (below).
    assert len({(f, w) for f, w in drifted if f != shifted_feature}) <= 1
    # Each result compares the segment with its own events of the pinned reference hour.
    for r in decided:
        assert (r.reference_start, r.reference_end) == _reference(config)
        assert 40 <= r.n_reference <= 300 and 40 <= r.n_current <= 300

    firing = [a for a in run.alerts if a.state is AlertState.FIRING and a.kind is AlertKind.DRIFT]
    assert [a.dedup_key for a in firing] == [f"{STREAM}:drift:nearest_neighbour:{shifted_feature}"]
    assert f"locale={SHIFTED}" in firing[0].summary and firing[0].drift is not None
    assert firing[0].drift.feature == shifted_feature and firing[0].drift.config["feature"] == shifted_feature

    stored = store.drift.results(STREAM, detector="nearest_neighbour", limit=100_000)
    assert {(r.feature, r.window_start) for r in stored if r.decision is DriftDecision.DRIFT} == drifted
    assert {a.dedup_key for a in store.alerts.page(STREAM)} == {firing[0].dedup_key}
    assert monitor.run_once().windows == 0


@pytest.mark.slow
def test_no_shift_no_segment_drift_alert(store: Store, tmp_path: Path, embedder: Embedder) -> None:
    config = _demo(32, shift=False)
    _store_embedded(store, embedder, config, None)
    _pin_reference(store, config)
    # Every tag: more segments, more tests in each window's family.
    run = SegmentMonitor(_settings(tmp_path, tags=["locale", "user_tier", "channel"]), store).run_once()
    decided = [r for r in run.drift if r.decision is not DriftDecision.INSUFFICIENT_DATA]
    assert len(decided) >= 3 * 6
    assert run.alerts == []
    # BH at 5% across each window's tests: under no drift, a decision of DRIFT is rare, and never two in a row.
    assert len(run.drifted) <= 1


def test_small_segments_and_missing_reference_are_not_tested(store: Store, tmp_path: Path) -> None:
    """Below ``drift_min_samples`` a side records INSUFFICIENT_DATA; so does a stream without a pinned reference."""
    rng = np.random.default_rng(0)
    config = _demo(33, shift=False).model_copy(update={"count": 3000, "rate": 3000 / (HOURS * 3600)})
    events = [i.event for i in generate(config) if i.event is not None]
    rows = [
        ScoredInference(event=e, received_at=e.event_time, prompt_embedding=rng.normal(size=8).tolist()) for e in events
    ]
    store.events.insert(rows)
    settings = _settings(tmp_path, drift_min_samples=50).model_copy(
        update={"monitor": Settings().monitor.model_copy(update={"reference": "pinned"})}
    )
    window = Window(config.start + timedelta(hours=2), config.start + timedelta(hours=3))
    segments = [("locale", "en-US"), ("locale", "en-AU")]
    evaluator = SegmentDriftEvaluator(settings, store)

    unpinned = evaluator.evaluate(STREAM, window, segments)
    assert [r.decision for r in unpinned] == [DriftDecision.INSUFFICIENT_DATA] * 2
    assert all("no pinned reference" in r.explanation and r.reference_start is None for r in unpinned)

    _pin_reference(store, config)
    results = {r.feature: r for r in evaluator.evaluate(STREAM, window, segments)}
    us, au = results["prompt_embedding:locale=en-US"], results["prompt_embedding:locale=en-AU"]
    # One event per session: en-US has ~100 sessions an hour, en-AU ~20.
    assert us.n_current >= 50 and us.decision is not DriftDecision.INSUFFICIENT_DATA
    assert au.n_current < 50 and au.decision is DriftDecision.INSUFFICIENT_DATA
    assert "locale=en-AU" in au.explanation and au.p_value is None


def test_samples_are_capped_per_side_and_deterministic(store: Store, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    config = _demo(34, shift=False).model_copy(update={"count": 2000})
    events = [i.event for i in generate(config) if i.event is not None]
    store.events.insert(
        [
            ScoredInference(event=e, received_at=e.event_time, prompt_embedding=rng.normal(size=8).tolist())
            for e in events
        ]
    )
    segments = [("locale", "en-US"), ("locale", "en-GB"), ("locale", "nowhere")]
    start, end = config.start, config.start + timedelta(hours=HOURS)
    first = store.events.segment_embedding_samples(STREAM, start, end, segments, limit=40)
    again = store.events.segment_embedding_samples(STREAM, start, end, segments, limit=40)
    assert set(first) == {("locale", "en-US"), ("locale", "en-GB")}  # a segment without events is absent
    for key, (vectors, texts) in first.items():
        assert vectors.shape == (40, 8) and len(texts) == 40
        assert np.array_equal(vectors, again[key][0]) and texts == again[key][1]
    larger = store.events.segment_embedding_samples(STREAM, start, end, segments, limit=10_000)
    n_us = sum(e.tags["locale"] == "en-US" for e in events)
    assert len(larger[("locale", "en-US")][1]) == n_us


def test_one_family_per_window_corrects_across_segments() -> None:
    """Adding null segments to a window's family raises the adjusted p-value of a drifted one (BH)."""
    rng = np.random.default_rng(2)
    settings = _settings(Path("."), drift_tests=[DriftTestSpec(detector="mmd", params={"n_permutations": 200})])
    shifted = rng.normal(size=(80, 4)) + np.array([0.6, 0, 0, 0])
    reference = {"prompt_embedding": {("t", "x"): (rng.normal(size=(80, 4)), ["r"] * 80)}}
    current = {"prompt_embedding": {("t", "x"): (shifted, ["c"] * 80)}}
    for i in range(5):
        reference["prompt_embedding"][("t", f"n{i}")] = (rng.normal(size=(80, 4)), ["r"] * 80)
        current["prompt_embedding"][("t", f"n{i}")] = (rng.normal(size=(80, 4)), ["c"] * 80)
    stamp = {"stream": STREAM, "window_start": recent_start(2), "window_end": recent_start(1)}
    alone = segment_drift_tests([("t", "x")], current, reference, settings, **stamp)[0]
    segments = [("t", "x")] + [("t", f"n{i}") for i in range(5)]
    family = segment_drift_tests(segments, current, reference, settings, **stamp)
    assert alone.adjusted_p_value == alone.p_value
    assert family[0].p_value == alone.p_value
    assert family[0].adjusted_p_value is not None and family[0].adjusted_p_value > alone.p_value
    assert family[0].config["correction"]["n_tests"] == len(segments)
