"""Bearer tokens and scopes, the loopback rule, and the admin routes (retrain trigger, reference pins)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from driftloop.api import InsecureBinding, check_binding
from infra.settings import ApiSettings, ApiToken
from retrain import JobContext, JobOutcome, RetrainService
from schemas import RetrainStatus
from tests.api.conftest import STREAM, TOKENS, Seeded, inference

pytestmark = pytest.mark.integration


def bearer(scope: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[scope]}"}


def test_scopes(make_client) -> None:
    client = make_client(tokens=True)
    event = inference(0, datetime.now(UTC))
    assert client.get("/v1/streams").status_code == 401
    assert client.get("/v1/streams").headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/streams", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
    assert client.get("/v1/streams", headers=bearer("read")).status_code == 200
    assert client.get("/v1/streams", headers=bearer("ingest")).status_code == 403
    assert client.post("/v1/inference", json=event, headers=bearer("read")).status_code == 403
    assert client.post("/v1/inference", json=event, headers=bearer("ingest")).status_code == 202
    forbidden = client.post("/v1/reference", headers=bearer("read"), json={})
    assert forbidden.status_code == 403 and "admin" in forbidden.json()["message"]
    for path in ("/v1/streams", "/metrics", "/v1/status"):
        assert client.get(path, headers=bearer("admin")).status_code == 200, path
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200


def test_without_tokens_only_loopback_clients_are_served(make_client) -> None:
    remote = make_client(client=("10.0.0.7", 40000))
    response = remote.get("/v1/streams")
    assert response.status_code == 401 and "loopback" in response.json()["message"]
    assert make_client(client=("::1", 40000)).get("/v1/streams").status_code == 200
    assert (
        make_client(tokens=True, client=("10.0.0.7", 40000)).get("/v1/streams", headers=bearer("read")).status_code
        == 200
    )


def test_check_binding() -> None:
    check_binding(ApiSettings(host="127.0.0.1"))
    check_binding(ApiSettings(host="localhost"))
    check_binding(ApiSettings(host="0.0.0.0", tokens=[ApiToken(name="a", token="x" * 16, scopes=["read"])]))
    with pytest.raises(InsecureBinding, match="api.tokens"):
        check_binding(ApiSettings(host="0.0.0.0"))
    with pytest.raises(ValueError, match="at least 16"):
        ApiToken(name="a", token="short", scopes=["read"])


def test_dashboard_login_sets_a_cookie_for_read_tokens(make_client) -> None:
    client = make_client(tokens=True)
    first = client.get("/dashboard", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith("/dashboard/login")
    refused = client.post(
        "/dashboard/login", data={"token": TOKENS["ingest"], "next": "/dashboard"}, follow_redirects=False
    )
    assert "failed=true" in refused.headers["location"]
    evil = client.post(
        "/dashboard/login", data={"token": TOKENS["read"], "next": "//evil.example"}, follow_redirects=False
    )
    assert evil.headers["location"] == "/dashboard"
    assert "httponly" in evil.headers["set-cookie"].lower()
    assert client.get("/dashboard").status_code == 200
    assert client.get("/v1/streams").status_code == 200  # the cookie also serves the report links


class RecordedJob:
    """A job that succeeds at once, so the trigger route's run is recorded end to end in the real store."""

    name = "instant"

    def run(self, context: JobContext) -> JobOutcome:
        return JobOutcome(RetrainStatus.SUCCEEDED, message="done", challenger_version="p-9")


def test_retrain_trigger_is_501_without_a_service(client: TestClient) -> None:
    response = client.post("/v1/retrain", json={"stream": STREAM.model_dump()})
    assert response.status_code == 501
    assert "retraining does not run in this process" in response.json()["message"]


def test_retrain_trigger_starts_a_recorded_run(make_client, store, settings, seeded: Seeded) -> None:
    with RetrainService(settings, store, job=RecordedJob()) as service:
        client = make_client(retrain=service)
        response = client.post("/v1/retrain", json={"stream": STREAM.model_dump(), "reason": "from the API"})
        assert response.status_code == 202, response.text
        run_id = response.json()["run_id"]
        service.wait(run_id, timeout_s=60)
    runs = {r["run_id"]: r for r in client.get("/v1/retrain/runs").json()}
    assert runs[run_id]["status"] == "succeeded" and runs[run_id]["challenger_version"] == "p-9"
    assert client.post("/v1/retrain", json={"stream": {"app": "a"}}).json()["fields"][0]["field"].startswith("stream")


def test_reference_pin_show_clear(client: TestClient, seeded: Seeded) -> None:
    assert client.get(f"/v1/reference?app={STREAM.app}&model={STREAM.model}&model_version=v1").status_code == 404
    start, end = seeded.now - timedelta(minutes=30), seeded.now + timedelta(minutes=1)
    body = {"stream": STREAM.model_dump(), "start": start.isoformat(), "end": end.isoformat(), "note": "baseline"}
    pinned = client.post("/v1/reference", json=body)
    assert pinned.status_code == 200, pinned.text
    assert pinned.json()["events"] == 31 and pinned.json()["enough"] is False
    shown = client.get(f"/v1/reference?app={STREAM.app}&model={STREAM.model}&model_version=v1").json()
    assert shown["note"] == "baseline"
    backwards = client.post("/v1/reference", json={**body, "start": end.isoformat(), "end": start.isoformat()})
    assert backwards.status_code == 422
    q = f"app={STREAM.app}&model={STREAM.model}&model_version=v1"
    assert client.delete(f"/v1/reference?{q}").status_code == 204
    assert client.get(f"/v1/reference?{q}").status_code == 404
