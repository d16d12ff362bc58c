"""Reads through HTTP over a real store: aggregates computed in ClickHouse match what was stored."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from schemas import StreamKey
from tests.api.conftest import STREAM, STREAM_V2, Seeded

pytestmark = pytest.mark.integration


def q(stream: StreamKey, **extra: object) -> str:
    return urlencode({"app": stream.app, "model": stream.model, "model_version": stream.model_version, **extra})


def test_empty_store_answers_empty_lists(client: TestClient) -> None:
    for path in ("/v1/streams", "/v1/drift", "/v1/alerts", "/v1/retrain/runs", "/v1/snapshots", "/v1/dead-letters"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.json() == [], path
    assert client.get(f"/v1/streams/usage?{q(STREAM)}").json() == []
    assert client.get(f"/v1/streams/topics?{q(STREAM)}").status_code == 404


def test_streams_overview_rates(client: TestClient, seeded: Seeded) -> None:
    streams = {StreamKey(**s["stream"]): s for s in client.get("/v1/streams").json()}
    assert set(streams) == {STREAM, STREAM_V2}
    for stream, s in streams.items():
        n = seeded.events[stream]
        assert s["events"] == s["window_events"] == n
        assert s["event_rate_per_min"] == pytest.approx(n / 60)
        assert s["safety_breach_rate"] == pytest.approx(seeded.breached[stream] / n)
        thumbs, down = seeded.thumbs[stream]
        assert (s["thumbs_feedback"], s["thumbs_down_rate"]) == (thumbs, pytest.approx(down / thumbs))
    assert streams[STREAM]["open_alerts"] == 1
    assert streams[STREAM_V2]["open_alerts"] == 0  # fired, then resolved
    narrow = {StreamKey(**s["stream"]): s for s in client.get("/v1/streams?window_s=630").json()}
    assert narrow[STREAM]["window_events"] == 11  # events at minutes 0..10 ago


def test_usage_buckets(client: TestClient, seeded: Seeded) -> None:
    start = (seeded.now - timedelta(hours=2)).isoformat()
    end = (seeded.now + timedelta(minutes=1)).isoformat()
    buckets = client.get(f"/v1/streams/usage?{q(STREAM, start=start, end=end, bucket_s=600)}").json()
    assert sum(b["events"] for b in buckets) == seeded.events[STREAM]
    assert all(b["tokens_in_mean"] == 10 and b["tokens_out_mean"] == 20 for b in buckets)
    assert sum(b["cost_usd"] for b in buckets) == pytest.approx(0.001 * seeded.events[STREAM])
    assert all(100 <= b["latency_p50_ms"] <= b["latency_p95_ms"] < 160 for b in buckets)


def test_safety_buckets_per_detector(client: TestClient, seeded: Seeded) -> None:
    start = (seeded.now - timedelta(hours=2)).isoformat()
    end = (seeded.now + timedelta(minutes=1)).isoformat()
    buckets = client.get(f"/v1/streams/safety?{q(STREAM, start=start, end=end, bucket_s=3600 * 3)}").json()
    by_detector = {}
    for b in buckets:
        by_detector.setdefault(b["detector"], [0, 0])
        by_detector[b["detector"]][0] += b["scored"]
        by_detector[b["detector"]][1] += b["breached"]
    assert by_detector == {"jailbreak": [60, seeded.breached[STREAM]], "pii": [60, 0]}


def test_feedback_by_model_version(client: TestClient, seeded: Seeded) -> None:
    rows = client.get(f"/v1/streams/feedback?app={STREAM.app}").json()
    by_version = {r["stream"]["model_version"]: r for r in rows}
    assert set(by_version) == {"v1", "v2"}
    for r in by_version.values():
        assert (r["thumbs"], r["thumbs_down"]) == (20, 5)
        assert r["thumbs_down_rate"] == pytest.approx(0.25)


def test_topic_clusters_of_the_latest_window(client: TestClient, seeded: Seeded) -> None:
    topics = client.get(f"/v1/streams/topics?{q(STREAM)}").json()
    assert topics["detector"] == "topic"
    assert topics["p_value"] == pytest.approx(0.001)
    assert [c["examples"] for c in topics["clusters"]] == [["reset password"], ["crypto tax advice"]]


def test_drift_results_filtered(client: TestClient, seeded: Seeded) -> None:
    results = client.get(f"/v1/drift?{q(STREAM)}").json()
    assert len(results) == 6
    assert [r["decision"] for r in results] == ["no_drift"] * 4 + ["drift"] * 2
    assert client.get(f"/v1/drift?{q(STREAM_V2)}").json() == []
    assert client.get("/v1/drift?detector=mmd").json() == []
    assert len(client.get("/v1/drift?limit=2").json()) == 2


def test_alerts_filtered_by_stream_state_and_time(client: TestClient, seeded: Seeded) -> None:
    def ids(path: str) -> set[str]:
        response = client.get(path)
        assert response.status_code == 200, response.text
        return {a["alert_id"] for a in response.json()}

    assert ids("/v1/alerts") == {"al-fired", "al-old", "al-old-resolved"}
    assert ids(f"/v1/alerts?{q(STREAM_V2)}") == {"al-old", "al-old-resolved"}
    assert ids("/v1/alerts?state=resolved") == {"al-old-resolved"}
    assert ids("/v1/alerts?open=true") == {"al-fired"}
    since = (seeded.now - timedelta(minutes=90)).isoformat()
    until = (seeded.now - timedelta(minutes=30)).isoformat()
    assert ids(f"/v1/alerts?{urlencode({'since': since, 'until': until})}") == {"al-old-resolved"}
    assert client.get("/v1/alerts?state=open").status_code == 422
    evidence = client.get("/v1/alerts/al-fired").json()[0]["drift"]
    assert evidence["p_value"] == pytest.approx(0.001) and evidence["clusters"]
    assert client.get("/v1/alerts/nope").status_code == 404
    counts = {c["state"]: c["count"] for c in client.get("/v1/alerts/counts").json()}
    assert counts == {"firing": 1, "resolved": 1}


def test_partial_stream_is_a_clear_422(client: TestClient) -> None:
    response = client.get("/v1/alerts?app=support-bot")
    assert response.status_code == 422
    assert {f["field"] for f in response.json()["fields"]} == {"model", "model_version"}


def test_retrain_runs_summarised_in_clickhouse(client: TestClient, seeded: Seeded) -> None:
    [run] = client.get("/v1/retrain/runs").json()
    assert run["status"] == "succeeded"
    assert (run["champion_version"], run["challenger_version"]) == ("p-1", "p-2")
    assert run["snapshot_sha256"] == "ab" * 32 and run["metrics"] == {"auroc": 0.91}
    assert run["requested_at"] < run["updated_at"]
    assert client.get("/v1/retrain/runs?status=failed").json() == []
    assert [t["status"] for t in client.get("/v1/retrain/runs/rt-1").json()] == ["succeeded", "running", "requested"]
    assert client.get("/v1/retrain/runs/none").status_code == 404


def test_alert_report_is_served_only_from_the_report_dir(client: TestClient, store, settings) -> None:
    from datetime import UTC, datetime

    from schemas import Alert

    reports = settings.data_dir / "reports"
    reports.mkdir(parents=True)
    (reports / "r1.html").write_text("<html>evidently</html>")
    (settings.data_dir / "secret.html").write_text("no")
    base = dict(
        kind="drift",
        state="firing",
        severity="warning",
        stream=STREAM,
        detector="topic",
        dedup_key="k",
        created_at=datetime.now(UTC),
        summary="s",
    )
    store.alerts.insert(
        [
            Alert(alert_id="with-report", report_path=str(reports / "r1.html"), **base),
            Alert(alert_id="escape", report_path=str(reports / ".." / "secret.html"), **base),
        ]
    )
    response = client.get("/v1/alerts/with-report/report")
    assert response.status_code == 200 and "evidently" in response.text
    assert client.get("/v1/alerts/escape/report").status_code == 404


def test_status_and_health(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert client.get("/v1/status").json()["ready"] is True


def test_metrics_read_the_store_at_scrape_time(client: TestClient, seeded: Seeded) -> None:
    assert client.get("/v1/streams").status_code == 200
    text = client.get("/metrics").text
    assert 'driftloop_stored_rows{table="inference"} 90.0' in text
    assert 'driftloop_alerts{state="firing"} 1.0' in text
    assert 'driftloop_alerts{state="resolved"} 1.0' in text
    assert 'driftloop_retrain_runs{status="succeeded"} 1.0' in text
    assert 'driftloop_scrape_error{source="store"} 0.0' in text
    assert 'driftloop_http_request_seconds_count{method="GET",route="/v1/streams",status="2xx"} 1.0' in text
