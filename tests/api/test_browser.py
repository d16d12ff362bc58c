"""The dashboard in headless Chromium, over demo traffic.

``test_dashboard_after_demo_through_the_service``: ``driftloop up`` ingests ``driftloop demo`` traffic end to end,
then the overview and a stream page are loaded in the browser.
``test_dashboard_shows_the_injected_shift``: demo traffic with a topic shift is scored by the real detectors and
evaluated by the real drift monitor (compressed clock: 60 s windows), then the stream page must show the drift
timeline with alert markers, the topic clusters and the alert with its evidence and report.
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

from consumers.monitor import Monitor, floor_time
from driftloop.api import ApiContext, create_api
from driftloop.demo import DemoConfig, generate
from infra.metrics import Metrics
from infra.settings import AlertPolicySettings, DriftSettings, DriftTestSpec, MonitorSettings, Settings
from infra.store import Store
from schemas import AlertKind, AlertState, ScoredFeedback, StreamKey
from tests.api.browser import browser_page, declared_points, drawn_points, open_dashboard, serve
from tests.conftest import REPO

pytestmark = [pytest.mark.integration, pytest.mark.slow]

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
def shifted_store(tmp_path_factory: pytest.TempPathFactory):
    """Demo traffic an hour ago (4 calls/s for 500 s, half of it on new topics from call 1000), scored by the
    real embedder and safety suite, stored, and evaluated by the drift monitor."""
    from driftloop.startup import build_scorer

    root = tmp_path_factory.mktemp("shifted")
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
            store.insert_inferences(scorer.score(events[chunk : chunk + 500]))
        store.insert_feedback(
            [ScoredFeedback(feedback=i.feedback, received_at=i.at) for i in items if i.feedback is not None]
        )
        monitor = Monitor(settings, store)
        monitor.catch_up(start + timedelta(hours=1))
        monitor.deliver()
        yield settings, store


def test_dashboard_shows_the_injected_shift(shifted_store) -> None:
    settings, store = shifted_store
    firing = store.alert_page(state=AlertState.FIRING, kind=AlertKind.DRIFT)
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
