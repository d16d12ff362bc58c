"""Ingest through HTTP: validated like the workers validate, published to the real broker, 202 with ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from infra.settings import Settings
from tests.api.conftest import consume, inference

pytestmark = pytest.mark.integration


def test_single_inference_is_published_and_acknowledged(client: TestClient, settings: Settings) -> None:
    body = inference(1, datetime.now(UTC), **{"gen_ai.usage.input_tokens": 7})
    body.pop("app")
    body["service.name"] = "otel-app"
    response = client.post("/v1/inference", json=body)
    assert response.status_code == 202, response.text
    receipt = response.json()
    assert receipt == {
        "kind": "inference",
        "accepted": 1,
        "ids": [body["event_id"]],
        "topic": settings.topic("inference"),
    }
    [message] = consume(settings, "inference", 1)
    published = json.loads(message)
    assert published["event_id"] == body["event_id"]
    assert published["app"] == "otel-app" and published["tokens_in"] == 7


def test_feedback_batch_keeps_order_of_ids(client: TestClient, settings: Settings) -> None:
    now = datetime.now(UTC).isoformat()
    batch = [
        {"feedback_id": f"f{i}", "event_id": f"e{i}", "feedback_time": now, "kind": "thumbs", "value": (-1) ** i}
        for i in range(5)
    ]
    response = client.post("/v1/feedback", json=batch)
    assert response.status_code == 202, response.text
    assert response.json()["ids"] == [f"f{i}" for i in range(5)]
    published = [json.loads(m)["feedback_id"] for m in consume(settings, "feedback", 5)]
    assert sorted(published) == sorted(f"f{i}" for i in range(5))


def test_invalid_event_in_batch_names_its_index_and_field_and_publishes_nothing(
    client: TestClient, settings: Settings
) -> None:
    now = datetime.now(UTC)
    good, bad = inference(0, now), inference(1, now)
    del bad["prompt"]
    bad["latency_ms"] = -5
    response = client.post("/v1/inference", json=[good, bad])
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    fields = {f["field"] for f in body["fields"]}
    assert fields == {"[1].prompt", "[1].latency_ms"}
    assert "[1].prompt" in body["message"]
    assert consume(settings, "inference", 1, timeout_s=3) == []


def test_feedback_rule_violation_is_explained(client: TestClient) -> None:
    now = datetime.now(UTC).isoformat()
    response = client.post(
        "/v1/feedback", json={"feedback_id": "f", "event_id": "e", "feedback_time": now, "kind": "thumbs", "value": 0}
    )
    assert response.status_code == 422
    assert "thumbs feedback needs value +1" in response.json()["fields"][0]["message"]


@pytest.mark.parametrize(
    ("content", "status", "error"),
    [
        pytest.param(b"{not json", 400, "not_json", id="not-json"),
        pytest.param(b"[1, 2]", 400, "bad_shape", id="array-of-numbers"),
        pytest.param(b'"text"', 400, "bad_shape", id="string"),
        pytest.param(b"[]", 422, "invalid_request", id="empty-batch"),
    ],
)
def test_malformed_bodies(client: TestClient, content: bytes, status: int, error: str) -> None:
    response = client.post("/v1/inference", content=content, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert response.json()["error"] == error


def test_batch_longer_than_the_limit_is_refused(client: TestClient, settings: Settings) -> None:
    now = datetime.now(UTC)
    batch = [inference(i, now) for i in range(settings.api.max_batch_events + 1)]
    response = client.post("/v1/inference", json=batch)
    assert response.status_code == 422
    assert "api.max_batch_events" in response.json()["message"]


def test_text_limit_comes_from_settings(make_client, settings: Settings) -> None:
    small = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"max_text_bytes": 1024})})
    client = make_client(settings=small)
    response = client.post("/v1/inference", json=inference(0, datetime.now(UTC), prompt="x" * 2000))
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "prompt"
    assert "larger than 1024 bytes" in response.json()["fields"][0]["message"]


def test_body_over_the_size_limit_is_413_declared_or_streamed(client: TestClient, settings: Settings) -> None:
    big = b"[" + b" " * settings.api.max_body_bytes + b"]"
    declared = client.post("/v1/inference", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert declared.json()["error"] == "payload_too_large"

    def chunks():
        for _ in range(settings.api.max_body_bytes // 4096 + 2):
            yield b" " * 4096

    streamed = client.post("/v1/inference", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


@pytest.mark.parametrize("bootstrap_servers", [None, ""], ids=["none", "empty (driftloop api without a broker)"])
def test_no_broker_is_503_not_a_crash(make_client, bootstrap_servers: str | None) -> None:
    client = make_client(bootstrap_servers=bootstrap_servers)
    response = client.post("/v1/inference", json=inference(0, datetime.now(UTC)))
    assert response.status_code == 503
    assert response.json()["error"] == "broker_unavailable"


def test_ingest_is_counted_in_metrics(client: TestClient) -> None:
    now = datetime.now(UTC)
    assert client.post("/v1/inference", json=[inference(i, now) for i in range(3)]).status_code == 202
    assert client.post("/v1/inference", content=b"nope").status_code == 400
    text = client.get("/metrics").text
    assert 'driftloop_events_ingested_total{kind="inference",source="http"} 3.0' in text
    assert 'driftloop_http_ingest_rejected_total{status="400"} 1.0' in text
