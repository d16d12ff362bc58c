"""``GET /v1/signals``: the latest result of each signal rule per stream, kept apart from drift verdicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from driftloop.signals_cli import print_signals
from infra.store import Store
from schemas import DriftDecision, DriftResult, StreamKey
from tests.api.conftest import STREAM, STREAM_V2
from tests.api.test_reads import q

pytestmark = pytest.mark.integration


def signal(
    detector: str, window: int, value: float, decision: DriftDecision, stream: StreamKey = STREAM
) -> DriftResult:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=5 * window)
    return DriftResult(
        detector=detector,
        detector_version="1",
        feature=detector.split(".")[1],
        statistic=value,
        alpha=0.05,
        decision=decision,
        n_reference=2400,
        n_current=400,
        explanation=f"p95 latency {value:,.0f} ms",
        config={"rule": "change", "reference": 900.0},
        stream=stream,
        window_start=start,
        window_end=start + timedelta(minutes=5),
    )


def test_latest_result_of_each_signal_rule(client: TestClient, store: Store) -> None:
    store.drift.insert(
        [
            signal("signal.latency_p95", 0, 900, DriftDecision.NO_DRIFT),
            signal("signal.latency_p95", 1, 2400, DriftDecision.DRIFT),
            signal("signal.refusal_rate", 0, 0.03, DriftDecision.NO_DRIFT),
            signal("signal.latency_p95", 0, 800, DriftDecision.NO_DRIFT, stream=STREAM_V2),
        ]
    )

    latest = client.get(f"/v1/signals?{q(STREAM)}").json()
    assert [(r["detector"], r["statistic"], r["decision"]) for r in latest] == [
        ("signal.latency_p95", 2400, "drift"),
        ("signal.refusal_rate", 0.03, "no_drift"),
    ]
    assert latest[0]["config"]["reference"] == 900
    assert len(client.get("/v1/signals").json()) == 3
    assert client.get("/v1/drift").json() == []  # drift verdicts are the drift tests' only


def test_the_signals_table_shows_value_reference_and_verdict(store: Store) -> None:
    store.drift.insert([signal("signal.latency_p95", 1, 2400, DriftDecision.DRIFT)])
    console = Console(record=True, width=200)
    print_signals(store.drift.latest_signals(STREAM), console)
    text = console.export_text()
    assert "latency_p95" in text and "p95 latency 2,400 ms" in text and "breach" in text
