"""The dashboard in headless Chromium, over demo traffic.

``test_dashboard_after_demo_through_the_service``: ``driftloop up`` ingests ``driftloop demo`` traffic end to end,
then the overview and a stream page are loaded in the browser.
``test_dashboard_shows_the_injected_shift``: demo traffic with a topic shift is scored by the real detectors and
evaluated by the real drift monitor (compressed clock: 60 s windows), then the stream page must show the drift
timeline with alert markers, the topic clusters and the alert with its evidence and report.
``test_usage_and_compare_pages``: demo traffic of two apps, where one version refuses more and answers off-topic;
the usage page draws every chart, and the compare form, filled in and submitted as a person would, shows the
verdict, the per-metric table and the delta charts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest

from consumers.scoring import score_batch
from driftloop.api import ApiContext, create_api
from driftloop.demo import DemoConfig, VersionEffect, generate
from infra.metrics import Metrics
from infra.settings import AlertPolicySettings, DriftSettings, DriftTestSpec, MonitorSettings, Settings
from infra.store import Store
from monitor.windows import Monitor, floor_time
from schemas import AlertKind, AlertState, ScoredFeedback, StreamKey
from tests.analytics.traffic import only, recent_start, store_demo
from tests.api.browser import browser_page, declared_points, drawn_points, open_dashboard, serve
from tests.conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WINDOW_S = 60


def stream_url(base: str, stream: StreamKey, **extra: object) -> str:
    query = {"app": stream.app, "model": stream.model, "model_version": stream.model_version, **extra}
    return f"{base}/dashboard/stream?{urlencode(query)}"


def test_dashboard_after_demo_through_the_service(service_factory, isolated_env, tmp_path: Path) -> None:
    service = service_factory()
    demo = subprocess.run(
        [sys.executable, "-m", "driftloop.cli", "demo", "--count", "600", "--seed", "3"],
        env={**os.environ, **isolated_env},
        cwd=REPO,
        capture_output=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr.decode()[-2000:]
    service.wait_for(lambda s: s["table_counts"].get("inference", 0) >= 600, timeout_s=180)
    service.wait_for(lambda s: s["table_counts"].get("feedback", 0) > 50, timeout_s=60)
    with browser_page() as page:
        open_dashboard(page, f"{service.api_url}/dashboard", "overview-demo.png")
        rows = page.locator("#streams .stream-row")
        assert rows.count() >= 2
        assert drawn_points(page, "chart-rates") > 0
        href = rows.first.locator("a").get_attribute("href")
        open_dashboard(page, f"{service.api_url}{href}", "stream-demo.png")
        for chart in ("chart-latency", "chart-tokens", "chart-feedback"):
            assert declared_points(page, chart) > 0, chart
            assert drawn_points(page, chart) > 0, chart
        # Embeddings are off in this service: no drift windows, and the page says so rather than failing.
        assert page.locator("#chart-drift.empty").count() == 1
        assert page.locator("#no-alerts").is_visible()


def monitor_settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        drift=DriftSettings(window_s=WINDOW_S, min_samples=30, permutations=200),
        monitor=MonitorSettings(
            grace_s=0,
            trailing_windows=3,
            trailing_gap_windows=2,
            tests=[
                DriftTestSpec(detector="topic", params={"n_clusters": 6, "n_init": 1}),
                DriftTestSpec(detector="nearest_neighbour"),
            ],
            default_policy=AlertPolicySettings(fire_after=2, resolve_after=2, min_count=30, cooldown_s=0),
            report_max_rows=200,
        ),
    )


@pytest.fixture(scope="module")
def browser_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's directory: one chdb data dir (one per process), a database per fixture."""
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def shifted_store(browser_root: Path):
    """Demo traffic an hour ago (4 calls/s for 500 s, half of it on new topics from call 1000), scored by the
    real embedder and safety suite, stored, and evaluated by the drift monitor."""
    from driftloop.startup import build_scorer

    root = browser_root
    settings = monitor_settings(root / "data")
    start = floor_time(datetime.now(UTC) - timedelta(hours=1), WINDOW_S)
    config = DemoConfig(
        seed=5, count=2000, rate=4, start=start, shift_at=1000, shift_fraction=0.5, apps=("bank-support",)
    )
    items = list(generate(config))
    events = [i.event for i in items if i.event is not None]
    with Store.open(f"chdb://{root / 'chdb'}", database="shifted") as store:
        scorer = build_scorer(settings)
        for chunk in range(0, len(events), 500):
            store.events.insert(score_batch(scorer, events[chunk : chunk + 500]))
        store.events.insert_feedback(
            [ScoredFeedback(feedback=i.feedback, received_at=i.at) for i in items if i.feedback is not None]
        )
        monitor = Monitor(settings, store)
        monitor.catch_up(start + timedelta(hours=1))
        monitor.deliver()
        yield settings, store


def test_dashboard_shows_the_injected_shift(shifted_store) -> None:
    settings, store = shifted_store
    firing = store.alerts.page(state=AlertState.FIRING, kind=AlertKind.DRIFT)
    assert firing, "the monitor raised no drift alert on the shifted demo traffic"
    stream = firing[0].stream
    api = create_api(ApiContext(settings=settings, store=store, metrics=Metrics()))
    with serve(api) as base, browser_page() as page:
        open_dashboard(page, f"{base}/dashboard", "overview-shift.png")
        row = page.locator("#streams .stream-row", has_text=str(stream))
        assert row.count() == 1
        assert int(row.locator("td").nth(5).inner_text()) >= 1  # open alerts
        assert page.locator("#open-alerts .alert-row").count() >= 1

        open_dashboard(page, stream_url(base, stream, hours=2), "stream-shift.png")
        assert declared_points(page, "chart-drift") > 0
        markers = page.locator("#chart-drift .scatterlayer .trace", has=page.locator("path.point"))
        assert markers.count() >= 2  # detector series and the alert markers
        legend = [t.text_content() for t in page.locator("#chart-drift .legendtext").all()]
        assert "alert fired" in legend
        for chart in ("chart-safety", "chart-latency", "chart-feedback"):
            assert drawn_points(page, chart) > 0, chart
        alert_rows = page.locator("#alerts .alert-row.firing")
        assert alert_rows.count() >= 1
        evidence = alert_rows.first.locator(".evidence").inner_text()
        assert re.search(r"p = [0-9.e-]+", evidence), evidence
        assert page.locator("#clusters .cluster-row").count() >= 2
        assert page.locator("#clusters .examples li").count() >= 2
        report = alert_rows.first.locator("a.report")
        if settings.monitor.reports and report.count():
            served = page.request.get(base + report.get_attribute("href"))
            assert served.status == 200 and "<html" in served.text().lower()


@pytest.fixture(scope="module")
def versions_store(browser_root: Path):
    """Two apps of demo traffic; nimbus-8b@2026-05 of bank-support refuses more and answers off-topic."""
    app = "bank-support"
    config = DemoConfig(
        seed=3,
        count=2000,
        rate=0.5,
        start=recent_start(2),
        apps=(app, "travel-assistant"),
        app_weights={app: 3.0, "travel-assistant": 1.0},
        arrivals="even",
        feedback_fraction=0.5,
        deployment_weights=only(["nimbus-8b/2026-02", "nimbus-8b/2026-05"], app),
        version_effects=(VersionEffect(app=app, model_version="2026-05", refusal_rate=0.2),),
    )
    with Store.open(f"chdb://{browser_root / 'chdb'}", database="versions") as store:
        store_demo(store, config, off_topic={"2026-05": 0.2})
        yield Settings(data_dir=browser_root / "versions"), store


def test_usage_and_compare_pages(versions_store) -> None:
    settings, store = versions_store
    api = create_api(ApiContext(settings=settings, store=store, metrics=Metrics()))
    with serve(api) as base, browser_page() as page:
        open_dashboard(page, f"{base}/dashboard", "overview-versions.png")
        page.click("header nav >> text=Usage")
        page.wait_for_selector("body[data-charts-ready='1']")
        open_dashboard(page, page.url + "?hours=6", "usage.png")
        assert page.locator("#usage-totals").inner_text().startswith("2,000 requests")
        for chart in ("chart-active", "chart-per-user", "chart-version-tokens"):
            assert drawn_points(page, chart) > 0, chart
        for chart in ("chart-cost", "chart-top-apps", "chart-top-models"):  # bars: one per bucket, app or model
            assert declared_points(page, chart) > 0, chart
            assert page.locator(f"#{chart} .barlayer .point").count() > 0, chart
        assert page.locator("#usage-versions .version-row").count() == 4  # two versions of each app
        assert page.locator("#top-apps .top-row").count() == 2
        legend = {t.text_content() for t in page.locator("#chart-cost .legendtext").all()}
        assert "bank-support/nimbus-8b@2026-05" in legend

        page.click("header nav >> text=Compare")
        page.wait_for_selector("#compare-form")
        page.select_option("#compare-app", "bank-support")
        page.fill("#compare-a", "nimbus-8b@2026-02")
        page.fill("#compare-b", "nimbus-8b")  # a slip: no version
        page.click("#compare-form button[type=submit]")
        page.wait_for_selector("#compare-problem")
        assert "expected MODEL@VERSION" in page.locator("#compare-problem").inner_text()
        assert page.locator("#compare-b.invalid").count() == 1
        page.fill("#compare-b", "nimbus-8b@2026-05")
        page.click("#compare-form button[type=submit]")
        page.wait_for_selector("#compare-verdict")
        open_dashboard(page, page.url, "compare.png")
        assert page.locator("#overall-verdict").inner_text() in ("worse", "mixed")
        rows = page.locator("#compare-metrics .metric-row")
        assert rows.count() == len(settings.compare.metrics)
        assert (
            page.locator('#compare-metrics .metric-row[data-metric="refusal"]').get_attribute("data-verdict") == "worse"
        )
        assert page.locator("#compare-evidence li", has_text="refusal: worse").count() == 1
        for chart in ("chart-effects", "chart-rate-deltas", "chart-median-deltas"):
            assert declared_points(page, chart) > 0, chart
            assert page.locator(f"#{chart} .barlayer .point").count() > 0, chart
