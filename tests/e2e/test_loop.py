"""The whole loop through `driftloop up` on a compressed clock: stable traffic, a topic shift, an alert, a retrain.

Real local broker, real embedded ClickHouse, real embeddings and detectors; traffic from the demo
generator with event times in the recent past, so every one-minute window is already closed and the
monitor catches up on them as fast as it can.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from driftloop import Publisher
from driftloop.demo import DemoConfig, generate_wire
from infra.store import connect
from schemas import AlertKind, AlertState, RetrainStatus, StreamKey
from tests.conftest import settings_from

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WINDOW_S = 60
PER_WINDOW = 200
STABLE_WINDOWS = 12
SHIFTED_WINDOWS = 6
FIRE_AFTER = 3
STREAM = StreamKey(app="bank-support", model="nimbus-8b", model_version="2026-02")


def test_stable_then_shift_then_alert_then_retrain(service_factory, isolated_env, local_broker):
    total = (STABLE_WINDOWS + SHIFTED_WINDOWS) * PER_WINDOW
    start = (datetime.now(UTC) - timedelta(minutes=STABLE_WINDOWS + SHIFTED_WINDOWS + 4)).replace(
        second=0, microsecond=0
    )
    shift_time = start + timedelta(seconds=STABLE_WINDOWS * WINDOW_S)
    config = DemoConfig(
        seed=5,
        count=total,
        rate=PER_WINDOW / WINDOW_S,
        arrivals="even",
        start=start,
        apps=("bank-support",),
        deployment_weights={"bank-support/nimbus-8b/2026-05": 0, "bank-support/nimbus-70b/2026-03": 0},
        shift_at=shift_time,
        shift_fraction=0.25,
        unsafe_at=0,
        unsafe_fraction=0.25,
        feedback_fraction=0.8,
    )
    # Users flag unsafe prompts as such, and ordinary ones for quality problems: for the harmful-request probe
    # a quality flag on a prompt is evidence that the prompt was not harmful.
    labels = (
        '{"target": "prompt", "positive_flags": ["unsafe", "abuse", "policy_violation"], '
        '"negative_flags": ["incorrect", "unhelpful", "outdated", "off_topic", "too_long", "safe"]}'
    )
    service = service_factory(
        DRIFTLOOP_EMBEDDING__ENABLED="true",
        DRIFTLOOP_DRIFT__WINDOW_S=str(WINDOW_S),
        DRIFTLOOP_MONITOR__INTERVAL_S="2",
        DRIFTLOOP_MONITOR__GRACE_S="5",
        DRIFTLOOP_MONITOR__DEFAULT_POLICY__FIRE_AFTER=str(FIRE_AFTER),
        DRIFTLOOP_RETRAIN__MIN_LABELLED_FEEDBACK="0",
        DRIFTLOOP_RETRAIN__COOLDOWN_S="0",
        DRIFTLOOP_RETRAIN__LABELS=labels,
    )
    settings = settings_from(isolated_env)
    with Publisher(local_broker.bootstrap_servers, settings) as publisher:
        for record in generate_wire(config):
            publisher.publish_raw(record.stream, record.value, key=record.key.decode())
    service.wait_for(lambda s: s["table_counts"]["inference"] >= total * 0.99, timeout_s=900)
    service.wait_for(lambda s: s["table_counts"]["alerts"] >= 1, timeout_s=600)
    service.wait_for(lambda s: s["table_counts"]["retrain_runs"] >= 3, timeout_s=900)  # requested, running, final
    time.sleep(3)
    assert service.stop() == 0

    with connect(settings) as store:
        results = store.drift.results(STREAM, limit=10_000)
        alerts = [a for a in store.alerts.page(STREAM, limit=100) if a.kind is AlertKind.DRIFT]
        runs = store.retrain.runs(limit=100)

    evaluated = {r.window_start for r in results if r.window_start is not None}
    assert len(evaluated) >= STABLE_WINDOWS + SHIFTED_WINDOWS - 2, "every closed window is evaluated"
    firing = [a for a in alerts if a.state is AlertState.FIRING]
    assert firing, "the topic shift raised a drift alert"
    first = min(firing, key=lambda a: a.drift.window_start)
    assert first.drift.window_start >= shift_time, "no alert during stable traffic"
    windows_late = (first.drift.window_start - shift_time).total_seconds() / WINDOW_S
    assert windows_late <= FIRE_AFTER, f"alert {windows_late:.0f} windows after the shift began"
    explained = [a for a in firing if a.drift.clusters]
    assert explained and any(c.examples for c in explained[0].drift.clusters), "the alert names clusters with texts"

    final = {RetrainStatus.SUCCEEDED, RetrainStatus.REJECTED, RetrainStatus.FAILED}
    finished = [r for r in runs if r.status in final]
    assert finished, f"a retraining run followed the alert: {runs}"
    assert all(r.snapshot_sha256 for r in finished if r.status is not RetrainStatus.FAILED)
    assert any(r.status in (RetrainStatus.SUCCEEDED, RetrainStatus.REJECTED) for r in finished), [
        r.message for r in finished
    ]
