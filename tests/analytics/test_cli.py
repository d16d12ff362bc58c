"""``driftloop usage`` and ``driftloop compare`` as a user runs them, over an embedded store of demo traffic.

The commands run in-process (``driftloop.cli.main``), first against the data dir's store (no service
running), then through the API of a service that owns the store (its runtime file names the API).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from driftloop.api import ApiContext, create_api
from driftloop.cli import main
from driftloop.demo import DemoConfig, VersionEffect
from driftloop.runtime_file import RuntimeInfo, clear_runtime, write_runtime
from infra.metrics import Metrics
from infra.settings import Settings
from infra.store import connect
from schemas import UsageReport, VersionComparison
from tests.analytics.traffic import only, recent_start, store_demo
from tests.api.browser import serve

pytestmark = pytest.mark.integration

APP = "bank-support"
A, B = "nimbus-8b@2026-02", "nimbus-8b@2026-05"
N = 1600
DEMO = DemoConfig(
    seed=8,
    count=N,
    rate=0.5,
    start=recent_start(2),
    apps=(APP, "travel-assistant"),
    app_weights={APP: 3.0, "travel-assistant": 1.0},
    arrivals="even",
    feedback_fraction=0.5,
    deployment_weights=only(["nimbus-8b/2026-02", "nimbus-8b/2026-05"], APP),
    version_effects=(VersionEffect(app=APP, model_version="2026-05", refusal_rate=0.2),),
)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose embedded store holds the demo traffic; closed again, as after ``driftloop up`` stopped."""
    root = tmp_path_factory.mktemp("cli") / "data"
    with connect(Settings(data_dir=root)) as store:
        assert store_demo(store, DEMO, off_topic={"2026-05": 0.2})[0] == N
    return root


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No DRIFTLOOP_ settings from the caller's environment; a wide terminal so tables do not wrap."""
    for key in [k for k in os.environ if k.startswith("DRIFTLOOP_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("COLUMNS", "250")


def run(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), *args])


def test_usage_prints_totals_versions_and_top_spenders(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "usage", "--since", "6") == 0
    out = capsys.readouterr().out
    assert f"{N:,} requests" in out
    for version in ("2026-02", "2026-05"):
        assert f"│ {APP}" in out and version in out
    assert "top apps by cost: bank-support $" in out  # three quarters of the traffic
    assert "travel-assistant $" in out

    assert run(data_dir, "usage", "--since", "6", "--json", "--app", APP, "--bucket-s", "600") == 0
    report = UsageReport.model_validate_json(capsys.readouterr().out)
    assert {r.app for r in report.by_version} == {APP}
    assert 0 < report.total.requests == sum(r.requests for r in report.by_version) < N
    assert report.bucket_s == 600 and sum(p.requests for p in report.series) == report.total.requests


def test_usage_of_a_range_without_events(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "usage", "--start", "2020-01-01T00:00", "--end", "2020-01-02T00:00", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"]["requests"] == 0 and report["by_version"] == []


def test_compare_prints_the_verdict_and_every_metric(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "compare", APP, A, B) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith(f"{APP}/{B} vs {APP}/{A}: ")
    assert first.split(": ")[1].split(" (")[0] in ("worse", "mixed")
    refusal = next(line for line in out.splitlines() if "│ refusal" in line)
    assert "worse" in refusal and "cohens_h +" in refusal

    assert run(data_dir, "compare", APP, A, B, "--json", "--experiment", "channel=web") == 0
    web = VersionComparison.model_validate_json(capsys.readouterr().out)
    assert web.experiment == {"channel": "web"}
    assert run(data_dir, "compare", APP, A, B, "--json") == 0
    everything = VersionComparison.model_validate_json(capsys.readouterr().out)
    assert 0 < web.events_a < everything.events_a and 0 < web.events_b < everything.events_b
    assert {m.metric: m.verdict for m in everything.metrics}["refusal"].value == "worse"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(("compare", APP, "nimbus-8b", B), "expected MODEL@VERSION, got 'nimbus-8b'", id="no-version"),
        pytest.param(("compare", APP, A, "@2026-05"), "expected MODEL@VERSION, got '@2026-05'", id="no-model"),
        pytest.param(
            ("compare", APP, A, B, "--experiment", "canary"), "expected TAG=VALUE, got 'canary'", id="experiment"
        ),
        pytest.param(("compare", APP, A, B, "--start", "last week"), "not an ISO 8601 time: 'last week'", id="time"),
        pytest.param(("usage", "--end", "tomorrow"), "not an ISO 8601 time: 'tomorrow'", id="usage-time"),
    ],
)
def test_a_bad_argument_is_named(data_dir: Path, capsys: pytest.CaptureFixture[str], args, says: str) -> None:  # noqa: ANN001
    assert run(data_dir, *args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "error:" in captured.err and says in " ".join(captured.err.split())


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(("usage", "--since", "-1"), "argument --since: must be > 0", id="negative-since"),
        pytest.param(("usage", "--bucket-s", "0"), "argument --bucket-s: must be > 0", id="zero-bucket"),
        pytest.param(("compare", APP, A), "the following arguments are required: MODEL@VERSION_B", id="missing-b"),
    ],
)
def test_argument_errors_exit_2_naming_the_argument(capsys: pytest.CaptureFixture[str], args, says: str) -> None:  # noqa: ANN001
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    assert exited.value.code == 2
    assert says in capsys.readouterr().err


@pytest.fixture
def running_api(data_dir: Path) -> Iterator[str]:
    """A service owning the store: its API served on loopback, named in the data dir's runtime file."""
    settings = Settings(data_dir=data_dir)
    with (
        connect(settings) as store,
        serve(create_api(ApiContext(settings=settings, store=store, metrics=Metrics()))) as url,
    ):
        write_runtime(
            settings,
            RuntimeInfo(pid=os.getpid(), bootstrap_servers="127.0.0.1:9", api_url=url, clickhouse_dsn=store.dsn),
        )
        try:
            yield url
        finally:
            clear_runtime(settings)


def test_through_the_running_service_api(data_dir: Path, running_api: str, capsys: pytest.CaptureFixture[str]) -> None:
    """With a service running, the commands ask its API (the store is the service's) and print the same."""
    assert run(data_dir, "compare", APP, A, B, "--json") == 0
    through_api = VersionComparison.model_validate_json(capsys.readouterr().out)
    assert {m.metric: m.verdict for m in through_api.metrics}["refusal"].value == "worse"
    assert through_api.events_a + through_api.events_b > 0
    assert run(data_dir, "usage", "--since", "6") == 0
    assert f"{N:,} requests" in capsys.readouterr().out
    # The service's own answer to a bad range is passed on, naming the parameter.
    assert run(data_dir, "usage", "--start", "2030-01-02T00:00", "--end", "2030-01-01T00:00") == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "the service answered 422" in err and "start must be before end" in err
