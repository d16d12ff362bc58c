"""API fixtures: a real chdb store (one data dir per module, a fresh database per test), the real local
broker with per-test topics, and the API served through FastAPI's TestClient from a loopback address."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from driftloop.api import ApiContext, create_api
from infra.kafka import LocalBroker, ensure_topics, kafka_consumer
from infra.metrics import Metrics
from infra.settings import ApiToken, Settings
from infra.store import Store
from schemas import (
    Alert,
    AlertKind,
    AlertState,
    ClusterShift,
    DriftDecision,
    DriftResult,
    FeedbackEvent,
    InferenceEvent,
    RetrainRun,
    SafetyScore,
    ScoredFeedback,
    ScoredInference,
    Severity,
    StreamKey,
)

LOOPBACK = ("127.0.0.1", 50000)
STREAM = StreamKey(app="support-bot", model="gpt-x", model_version="v1")
STREAM_V2 = StreamKey(app="support-bot", model="gpt-x", model_version="v2")
TOKENS = {
    "ingest": "ingest-token-0123456789",
    "read": "read-token-0123456789ab",
    "admin": "admin-token-0123456789a",
}


@pytest.fixture
def settings(tmp_path: Path, local_broker: LocalBroker) -> Settings:
    suffix = uuid.uuid4().hex[:8]
    made = Settings(
        data_dir=tmp_path / "data",
        kafka={"bootstrap_servers": local_broker.bootstrap_servers, "topic_prefix": f"api{suffix}"},
        api={"max_body_bytes": 64 * 1024, "max_batch_events": 50},
    )
    ensure_topics(made, local_broker.bootstrap_servers)
    return made


@pytest.fixture
def make_client(settings: Settings, store: Store) -> Iterator[Callable[..., TestClient]]:
    """A TestClient over a fresh API; ``tokens=True`` configures one token per scope."""
    clients: list[TestClient] = []

    def make(*, tokens: bool = False, client: tuple[str, int] = LOOPBACK, **context: Any) -> TestClient:
        api_settings = settings
        if tokens:
            api_settings = settings.model_copy(
                update={
                    "api": settings.api.model_copy(
                        update={"tokens": [ApiToken(name=n, token=t, scopes=[n]) for n, t in TOKENS.items()]}
                    )
                }
            )
        values = {
            "settings": api_settings,
            "store": store,
            "bootstrap_servers": settings.kafka.bootstrap_servers,
            "metrics": Metrics(),
            **context,
        }
        made = TestClient(create_api(ApiContext(**values)), client=client)
        made.__enter__()
        clients.append(made)
        return made

    yield make
    for made in clients:
        made.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def inference(i: int, when: datetime, stream: StreamKey = STREAM, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"{stream.model_version}-e{i}",
        "event_time": when.isoformat(),
        "app": stream.app,
        "model": stream.model,
        "model_version": stream.model_version,
        "prompt": f"how do I reset my password, attempt {i}",
        "response": "Open settings, then security.",
        **extra,
    }


def consume(settings: Settings, role: str, n: int, timeout_s: float = 30) -> list[bytes]:
    """Read ``n`` messages of a topic from the start, from the real broker."""
    consumer = kafka_consumer(
        settings.kafka,
        settings.kafka.bootstrap_servers or "",
        settings.topic(role),  # type: ignore[arg-type]
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=1000,
    )
    values: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(values) < n and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                values.extend(record.value for record in batch)
    finally:
        consumer.close()
    return values


class Seeded:
    """What :func:`seed` stored, for the tests' expectations."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.events: dict[StreamKey, int] = {}
        self.breached: dict[StreamKey, int] = {}
        self.thumbs: dict[StreamKey, tuple[int, int]] = {}
        self.alerts: list[Alert] = []


def seed(store: Store, now: datetime) -> Seeded:
    """Two versions of one app: events with latency, tokens, cost and safety scores; feedback; drift
    verdicts with clusters; a drift alert that fired and one that fired then resolved; a retraining run."""
    out = Seeded(now)
    for stream, n, every in ((STREAM, 60, 6), (STREAM_V2, 30, 3)):
        rows = []
        for i in range(n):
            when = now - timedelta(minutes=i)
            event = InferenceEvent.model_validate(
                inference(i, when, stream, latency_ms=100.0 + i, tokens_in=10, tokens_out=20, cost_usd=0.001)
            )
            safety = [
                SafetyScore(
                    event_id=event.event_id,
                    detector=detector,
                    detector_version="1",
                    target="prompt",
                    score=0.9 if i % every == 0 and detector == "jailbreak" else 0.1,
                    threshold=0.5,
                    breached=i % every == 0 and detector == "jailbreak",
                )
                for detector in ("jailbreak", "pii")
            ]
            rows.append(ScoredInference(event=event, received_at=now, safety=safety))
        store.events.insert(rows)
        out.events[stream] = n
        out.breached[stream] = len(range(0, n, every))
        feedback = [
            ScoredFeedback(
                feedback=FeedbackEvent(
                    feedback_id=f"{stream.model_version}-f{i}",
                    event_id=f"{stream.model_version}-e{i}",
                    feedback_time=now - timedelta(minutes=i),
                    kind="thumbs",
                    value=-1 if i % 4 == 0 else 1,
                ),
                received_at=now,
            )
            for i in range(0, 20)
        ]
        store.events.insert_feedback(feedback)
        out.thumbs[stream] = (20, len(range(0, 20, 4)))
    drift = []
    for w in range(6):
        start = now - timedelta(minutes=60 - 10 * w)
        drifted = w >= 4
        drift.append(
            DriftResult(
                detector="topic",
                detector_version="1",
                statistic=0.5 if drifted else 0.05,
                p_value=0.001 if drifted else 0.5,
                alpha=0.05,
                decision=DriftDecision.DRIFT if drifted else DriftDecision.NO_DRIFT,
                n_reference=100,
                n_current=100,
                clusters=[
                    ClusterShift(cluster=0, reference_share=0.5, current_share=0.2, examples=["reset password"]),
                    ClusterShift(cluster=1, reference_share=0.0, current_share=0.3, examples=["crypto tax advice"]),
                ],
                stream=STREAM,
                window_start=start,
                window_end=start + timedelta(minutes=10),
                reference_start=now - timedelta(hours=3),
                reference_end=now - timedelta(hours=2),
            )
        )
    store.drift.insert(drift)
    fired = Alert(
        alert_id="al-fired",
        kind=AlertKind.DRIFT,
        state=AlertState.FIRING,
        severity=Severity.CRITICAL,
        stream=STREAM,
        detector="topic",
        dedup_key=f"{STREAM}:topic",
        created_at=now - timedelta(minutes=5),
        summary="topic drift on support-bot: new topic 'crypto tax advice'",
        drift=drift[-1],
    )
    old_fired = Alert(
        alert_id="al-old",
        kind=AlertKind.DRIFT,
        state=AlertState.FIRING,
        severity=Severity.WARNING,
        stream=STREAM_V2,
        detector="nearest_neighbour",
        dedup_key=f"{STREAM_V2}:nearest_neighbour",
        created_at=now - timedelta(hours=2),
        summary="older drift",
    )
    resolved = old_fired.model_copy(
        update={"alert_id": "al-old-resolved", "state": AlertState.RESOLVED, "created_at": now - timedelta(hours=1)}
    )
    out.alerts = [fired, old_fired, resolved]
    store.alerts.insert(out.alerts)
    store.retrain.insert_runs(
        [
            RetrainRun(
                run_id="rt-1",
                stream=STREAM,
                status=status,
                job="builtin",
                updated_at=now - timedelta(minutes=m),
                snapshot_sha256="ab" * 32 if status != "requested" else None,
                champion_version="p-1" if status == "succeeded" else None,
                challenger_version="p-2" if status == "succeeded" else None,
                metrics={"auroc": 0.91} if status == "succeeded" else {},
                message="challenger beat champion" if status == "succeeded" else "",
            )
            for status, m in (("requested", 4), ("running", 3), ("succeeded", 2))
        ]
    )
    return out


@pytest.fixture
def seeded(store: Store) -> Seeded:
    return seed(store, datetime.now(UTC).replace(microsecond=0))
