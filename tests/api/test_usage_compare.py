"""``/v1/usage``, ``/v1/compare`` and the dashboard's usage and compare pages over stored demo traffic.

Two apps of demo traffic; in ``bank-support`` version B of nimbus-8b refuses more and answers off-topic
more often than version A. The API and the pages must agree with each other and with what was stored,
need the read scope, and answer a clear 4xx naming the bad parameter.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from driftloop.api.auth import COOKIE
from driftloop.demo import DemoConfig, VersionEffect
from infra.store import Store
from tests.analytics.traffic import only, recent_start, store_demo
from tests.api.conftest import TOKENS

pytestmark = pytest.mark.integration

APP = "bank-support"
OTHER_APP = "travel-assistant"
A, B = "nimbus-8b@2026-02", "nimbus-8b@2026-05"
N = 2000
DEMO = DemoConfig(
    seed=3,
    count=N,
    rate=0.5,
    start=recent_start(2),
    apps=(APP, OTHER_APP),
    app_weights={APP: 3.0, OTHER_APP: 1.0},
    arrivals="even",
    feedback_fraction=0.5,
    deployment_weights=only(["nimbus-8b/2026-02", "nimbus-8b/2026-05"], APP),
    version_effects=(VersionEffect(app=APP, model_version="2026-05", refusal_rate=0.2),),
)
COMPARE = {"app": APP, "a": A, "b": B}


@pytest.fixture(scope="module")
def store(chdb_dir: Path) -> Iterator[Store]:
    """One database of demo traffic for the module (the tests only read it)."""
    with Store.open(f"chdb://{chdb_dir}", database=f"t_{uuid.uuid4().hex[:12]}") as opened:
        assert store_demo(opened, DEMO, off_topic={"2026-05": 0.2})[0] == N
        yield opened


@pytest.fixture
def client(make_client) -> TestClient:  # noqa: ANN001 - the conftest's factory
    return make_client()


def bearer(scope: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[scope]}"}


def page_data(html: str) -> dict[str, Any]:
    """The chart data the server embedded in a dashboard page."""
    found = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
    assert found is not None, "the page embeds no chart data"
    return json.loads(found.group(1))


def fields(response: Any) -> set[str]:
    return {f["field"] for f in response.json()["fields"]}


# ---- /v1/usage -------------------------------------------------------------------------------------


def test_usage_totals_add_up(client: TestClient) -> None:
    response = client.get("/v1/usage", params={"bucket_s": 600})
    assert response.status_code == 200, response.text
    report = response.json()
    total = report["total"]
    assert total["requests"] == N
    assert 0 < total["users"] <= total["sessions"] < N
    assert sum(r["requests"] for r in report["by_version"]) == N
    assert sum(p["requests"] for p in report["series"]) == N
    assert sum(r["cost_usd"] for r in report["by_version"]) == pytest.approx(total["cost_usd"])
    assert sum(p["tokens_out"] for p in report["series"]) == total["tokens_out"] > 0
    assert report["bucket_s"] == 600
    assert all(
        p["bucket"].endswith(("00:00Z", "10:00Z", "20:00Z", "30:00Z", "40:00Z", "50:00Z")) for p in report["series"]
    )
    assert {r["app"] for r in report["top_apps"]} == {APP, OTHER_APP}
    costs = [r["cost_usd"] for r in report["top_models"]]
    assert costs == sorted(costs, reverse=True)
    assert {r["model"] for r in report["top_models"]} == {"nimbus-8b", "cirrus-mini"}


def test_usage_of_one_app(client: TestClient) -> None:
    everything = client.get("/v1/usage").json()
    expected = sum(r["requests"] for r in everything["by_version"] if r["app"] == APP)
    one = client.get("/v1/usage", params={"app": APP, "top": 1}).json()
    assert one["total"]["requests"] == expected < N
    assert {r["app"] for r in one["by_version"]} == {APP}
    assert {r["model_version"] for r in one["by_version"]} == {"2026-02", "2026-05"}
    assert [r["model"] for r in one["top_models"]] == ["nimbus-8b"]
    assert len(one["top_apps"]) == 1  # top apps rank every app, whatever the filter


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"bucket_s": 0}, "bucket_s", id="zero-bucket"),
        pytest.param({"bucket_s": 1, "start": "2020-01-01T00:00:00Z"}, "bucket_s", id="too-many-buckets"),
        pytest.param({"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"}, "start", id="start-after-end"),
        pytest.param({"start": "yesterday"}, "start", id="not-a-time"),
        pytest.param({"top": 0}, "top", id="top-zero"),
        pytest.param({"app": ""}, "app", id="empty-app"),
    ],
)
def test_usage_rejects_bad_parameters(client: TestClient, params: dict[str, Any], field: str) -> None:
    response = client.get("/v1/usage", params=params)
    assert response.status_code == 422, response.text
    assert field in fields(response)


# ---- /v1/compare -----------------------------------------------------------------------------------


def test_compare_finds_the_worse_version(client: TestClient) -> None:
    response = client.get("/v1/compare", params=COMPARE)
    assert response.status_code == 200, response.text
    result = response.json()
    verdicts = {m["metric"]: m["verdict"] for m in result["metrics"]}
    assert result["verdict"] in ("worse", "mixed")
    assert verdicts["refusal"] == verdicts["off_topic"] == "worse"
    assert any(line.startswith("refusal: worse") for line in result["evidence"])
    usage = client.get("/v1/usage", params={"app": APP}).json()
    assert result["events_a"] + result["events_b"] == usage["total"]["requests"]
    refusal = next(m for m in result["metrics"] if m["metric"] == "refusal")
    assert refusal["rates"]["first"]["rate"] > refusal["rates"]["second"]["rate"]  # first is B
    assert refusal["adjusted_p_value"] < result["alpha"] and refusal["effect_size"] > 0


def test_compare_time_range_and_experiment_narrow_both_versions(client: TestClient) -> None:
    everything = client.get("/v1/compare", params=COMPARE).json()
    middle = DEMO.start + timedelta(seconds=N / DEMO.rate / 2)
    first_half = client.get("/v1/compare", params={**COMPARE, "end": middle.isoformat()}).json()
    assert 0 < first_half["events_a"] < everything["events_a"]
    assert 0 < first_half["events_b"] < everything["events_b"]
    assert first_half["end"] is not None
    web = client.get("/v1/compare", params={**COMPARE, "experiment": "channel=web"}).json()
    assert web["experiment"] == {"channel": "web"}
    assert 0 < web["events_a"] < everything["events_a"] and 0 < web["events_b"] < everything["events_b"]


@pytest.mark.parametrize(
    ("params", "field", "says"),
    [
        pytest.param({"a": "nimbus-8b"}, "a", "MODEL@VERSION", id="a-without-version"),
        pytest.param({"b": "@2026-05"}, "b", "MODEL@VERSION", id="b-without-model"),
        pytest.param({"b": A}, "b", "same version", id="same-version"),
        pytest.param({"experiment": "channel"}, "experiment", "TAG=VALUE", id="experiment-without-value"),
        pytest.param({"start": "2030-01-02T00:00:00", "end": "2030-01-01T00:00:00"}, "start", "before end",
                     id="start-after-end"),
        pytest.param({"app": None}, "app", "", id="no-app"),
    ],
)  # fmt: skip
def test_compare_rejects_bad_parameters(client: TestClient, params: dict[str, Any], field: str, says: str) -> None:
    query = {k: v for k, v in {**COMPARE, **params}.items() if v is not None}
    response = client.get("/v1/compare", params=query)
    assert response.status_code == 422, response.text
    assert field in fields(response)
    assert says in response.json()["message"]


# ---- auth and no store -----------------------------------------------------------------------------

ROUTES = ["/v1/usage", "/v1/compare?" + urlencode(COMPARE)]
PAGES = ["/dashboard/usage", "/dashboard/compare?" + urlencode(COMPARE)]


def test_routes_and_pages_need_the_read_scope(make_client) -> None:  # noqa: ANN001
    client = make_client(tokens=True)
    for path in ROUTES:
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=bearer("ingest")).status_code == 403, path
        assert client.get(path, headers=bearer("read")).status_code == 200, path
    for path in PAGES:
        redirected = client.get(path, follow_redirects=False)
        assert redirected.status_code == 303, path
        assert redirected.headers["location"].startswith("/dashboard/login?next=%2Fdashboard%2F"), path
        client.cookies.set(COOKIE, TOKENS["ingest"])
        assert client.get(path, follow_redirects=False).status_code == 303, path
        client.cookies.set(COOKIE, TOKENS["read"])
        assert client.get(path, follow_redirects=False).status_code == 200, path
        client.cookies.clear()
        assert client.get(path, headers=bearer("read"), follow_redirects=False).status_code == 200, path


def test_remote_clients_without_tokens_are_refused(make_client) -> None:  # noqa: ANN001
    remote = make_client(client=("10.0.0.7", 40000))
    for path in ROUTES + PAGES:
        assert remote.get(path, follow_redirects=False).status_code == 401, path


def test_without_a_store(make_client) -> None:  # noqa: ANN001
    client = make_client(store=None)
    for path in ROUTES:
        assert client.get(path).status_code == 503, path
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200 and "No store is attached" in page.text, path
        assert 'id="compare-verdict"' not in page.text


# ---- the dashboard pages ---------------------------------------------------------------------------


def test_usage_page_shows_what_the_api_reports(client: TestClient) -> None:
    page = client.get("/dashboard/usage", params={"hours": 6})
    assert page.status_code == 200, page.text
    html = page.text
    api_link = re.search(r'id="usage-api" href="([^"]+)"', html)
    assert api_link is not None
    report = client.get(api_link.group(1).replace("&amp;", "&")).json()
    assert report["total"]["requests"] == N
    data = page_data(html)
    assert sum(sum(v["requests"]) for v in data["versions"]) == N
    assert {v["name"] for v in data["versions"]} == {
        f"{r['app']}/{r['model']}@{r['model_version']}" for r in report["by_version"]
    }
    assert sum(sum(v["cost"]) for v in data["versions"]) == pytest.approx(report["total"]["cost_usd"])
    activity = data["activity"]
    assert 0 < max(activity["users"]) <= report["total"]["users"]
    assert all(s >= u for s, u in zip(activity["sessions"], activity["users"], strict=True))
    assert all(r >= 1 for r in activity["per_user"] if r is not None)
    assert [t["name"] for t in data["top_apps"]] == [r["app"] for r in report["top_apps"]]
    assert html.count('class="version-row"') == len(report["by_version"])
    assert f"{N:,}</b> requests" in html
    assert 'href="/dashboard/usage" class="active"' in html


def test_usage_page_of_one_app(client: TestClient) -> None:
    html = client.get("/dashboard/usage", params={"app": APP}).text
    data = page_data(html)
    assert {v["name"].split("/")[0] for v in data["versions"]} == {APP}
    assert html.count('class="version-row"') == 2
    assert '<option value="bank-support" selected>' in html
    everything = client.get("/dashboard/usage", params={"app": ""})  # the form's "every app"
    assert everything.status_code == 200 and everything.text.count('class="version-row"') > 2


@pytest.mark.parametrize("params", [{"hours": 0}, {"hours": "a day"}, {"top": 0}], ids=["zero-hours", "words", "top0"])
def test_usage_page_rejects_bad_parameters(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/dashboard/usage", params=params)
    assert response.status_code == 422
    assert next(iter(params)) in fields(response)


def test_compare_page_shows_what_the_api_answers(client: TestClient) -> None:
    form = client.get("/dashboard/compare")
    assert form.status_code == 200
    assert 'id="compare-form"' in form.text and 'id="compare-verdict"' not in form.text
    assert f'<option value="{A}">' in form.text and f'<option value="{B}">' in form.text

    page = client.get("/dashboard/compare", params=COMPARE)
    assert page.status_code == 200, page.text
    result = client.get("/v1/compare", params=COMPARE).json()
    html = page.text
    verdict = re.search(r'id="overall-verdict">([^<]+)<', html)
    assert verdict is not None and verdict.group(1) == result["verdict"].replace("_", " ")
    rows = dict(re.findall(r'class="metric-row" data-metric="([^"]+)" data-verdict="([^"]+)"', html))
    assert rows == {m["metric"]: m["verdict"] for m in result["metrics"]}
    for line in result["evidence"]:
        assert line.split(" (")[0] in html
    charts = page_data(html)["compare"]
    rates = {r["metric"]: r for r in charts["rates"]}
    refusal = next(m for m in result["metrics"] if m["metric"] == "refusal")
    assert rates["refusal"]["delta"] == pytest.approx(refusal["rates"]["difference"]) and rates["refusal"]["delta"] > 0
    assert rates["refusal"]["low"] <= rates["refusal"]["delta"] <= rates["refusal"]["high"]
    assert {e["metric"] for e in charts["effects"]} <= set(rows) - {"response_embedding"}
    assert {m["metric"] for m in charts["medians"]} <= {
        "latency_ms",
        "tokens_in",
        "tokens_out",
        "cost_usd",
        "relevance",
    }
    assert charts["medians"]


def test_compare_page_with_one_version_is_a_form_being_filled_in(client: TestClient) -> None:
    page = client.get("/dashboard/compare", params={"app": APP, "a": A})
    assert page.status_code == 200
    assert f'id="compare-a" value="{A}"' in page.text and 'id="compare-verdict"' not in page.text


@pytest.mark.parametrize(
    ("params", "says"),
    [
        pytest.param({"a": "nimbus-8b"}, "expected MODEL@VERSION, got &#39;nimbus-8b&#39;", id="malformed-a"),
        pytest.param({"experiment": "canary"}, "expected TAG=VALUE", id="experiment-without-value"),
        pytest.param({"start": "last tuesday"}, "not an ISO 8601 time", id="bad-start"),
        pytest.param({"start": "2030-01-02T00:00", "end": "2030-01-01T00:00"}, "must be before end",
                     id="start-after-end"),
        pytest.param({"app": ""}, "required", id="no-app"),
    ],
)  # fmt: skip
def test_compare_page_names_the_bad_parameter(client: TestClient, params: dict[str, Any], says: str) -> None:
    page = client.get("/dashboard/compare", params={**COMPARE, **params})
    assert page.status_code == 422
    assert 'id="compare-problem"' in page.text and says in page.text
    assert 'id="compare-verdict"' not in page.text
    assert 'id="compare-form"' in page.text  # the form comes back with what was typed, to correct it
