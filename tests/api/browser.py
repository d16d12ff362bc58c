"""Headless Chromium (Debian's ``chromium``) driven by playwright's Python package; screenshots to test-output/."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.contextmanager
def browser_page() -> Iterator[Any]:
    """A page of a fresh headless Chromium (`make test` installs Chromium and playwright; without them this fails)."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is not installed (apt-get install -y chromium, or run `make test`)")
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.js_errors = errors
            yield page
        finally:
            browser.close()


def open_dashboard(page: Any, url: str, screenshot: str) -> None:
    """Load ``url``, wait until the dashboard's script drew every chart, save a full-page screenshot."""
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    page.wait_for_selector("body[data-charts-ready='1']", timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / screenshot), full_page=True)
    assert page.js_errors == [], page.js_errors


def drawn_points(page: Any, chart_id: str) -> int:
    """Markers plotly actually drew in the chart's SVG (0 when the chart says it is empty)."""
    return page.locator(f"#{chart_id} .scatterlayer .point, #{chart_id} .barlayer .point").count()


def declared_points(page: Any, chart_id: str) -> int:
    return int(page.get_attribute(f"#{chart_id}", "data-points") or 0)


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve an ASGI app on a free loopback port from a thread; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the API did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
