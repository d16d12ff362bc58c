"""The API as ``driftloop up`` serves it: HTTP ingest flows through the broker and workers into the store."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import STREAM, inference

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_http_ingest_reaches_the_store_of_a_running_service(service_factory) -> None:
    service = service_factory()
    now = datetime.now(UTC)
    batch = [inference(i, now, latency_ms=50.0 + i) for i in range(40)]
    response = httpx.post(f"{service.api_url}/v1/inference", json=batch, timeout=30)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 40
    feedback = [
        {
            "feedback_id": f"f{i}",
            "event_id": batch[i]["event_id"],
            "feedback_time": now.isoformat(),
            "kind": "thumbs",
            "value": -1 if i < 10 else 1,
        }
        for i in range(20)
    ]
    assert httpx.post(f"{service.api_url}/v1/feedback", json=feedback, timeout=30).status_code == 202
    bad = httpx.post(f"{service.api_url}/v1/inference", json={**batch[0], "tokens_in": -1}, timeout=30)
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "tokens_in"

    service.wait_for(lambda s: s["table_counts"]["inference"] == 40 and s["table_counts"]["feedback"] == 20)
    [stream] = httpx.get(f"{service.api_url}/v1/streams", timeout=30).json()
    assert stream["stream"] == STREAM.model_dump()
    assert stream["events"] == 40 and stream["thumbs_down_rate"] == pytest.approx(0.5)
    metrics = httpx.get(f"{service.api_url}/metrics", timeout=30).text
    assert 'driftloop_events_ingested_total{kind="inference",source="http"} 40.0' in metrics
    assert 'driftloop_stored_rows{table="inference"} 40.0' in metrics
    assert 'driftloop_sink_rows_total{kind="inferences"} 40.0' in metrics
    assert "driftloop_consumer_lag{" in metrics
    last_stored = {
        sample.labels["kind"]: sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "driftloop_worker_last_stored_timestamp_seconds"
    }
    assert now.timestamp() <= last_stored["inference"] <= datetime.now(UTC).timestamp()
    assert now.timestamp() <= last_stored["feedback"] <= datetime.now(UTC).timestamp()
    assert httpx.get(f"{service.api_url}/readyz", timeout=30).status_code == 200
