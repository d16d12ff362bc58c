"""Shared fixtures: the real local broker, isolated settings, and driftloop processes; every test's tier.

Each collected test gets exactly one tier marker (see :func:`tier_of`): ``make test-fast`` runs
``pytest -m "unit and not slow"``, ``make test`` runs them all.

- ``unit``: no broker, no ClickHouse engine, no subprocess, no browser;
- ``integration``: the real local broker and/or the real embedded ClickHouse;
- ``e2e``: whole ``driftloop`` processes;
- ``reliability``: kills, outages, fuzzing;
- ``browser``: the dashboard in Chromium.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import httpx
import pytest

from infra.kafka import LocalBroker
from infra.settings import Settings
from infra.store import Store

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REPO = Path(__file__).resolve().parents[1]

TIERS = ("unit", "integration", "e2e", "reliability", "browser")
PROCESS_FIXTURES = frozenset({"service_factory", "worker_factory"})
"""Fixtures that start ``driftloop`` processes: their tests are ``e2e``."""
ENGINE_FIXTURES = frozenset({"local_broker", "store", "chdb_dir"})
"""Fixtures that hold the real broker or the real embedded ClickHouse: their tests are ``integration``."""
ENGINE_DOCTEST_CALLS = ("LocalBroker(", "Store.open(")
"""Calls that make a doctest ``integration``: it starts a broker or opens a ClickHouse engine."""
TIER_BY_DIRECTORY = {"reliability": "reliability", "e2e": "e2e", "integration": "integration"}
"""Directories under tests/ whose tests are at least this tier."""


def tier_of(test_dir: str | None, fixtures: Iterable[str], doctest_source: str | None = None) -> str:
    """The tier a test gets from its directory under tests/, the fixtures it uses (directly or through other
    fixtures) and, for a doctest, its source. The most demanding one wins; browser tests are marked explicitly.

    >>> tier_of("detectors", ["tmp_path"])
    'unit'
    >>> tier_of("api", ["client", "store", "local_broker"])
    'integration'
    >>> tier_of("integration", ["service_factory", "local_broker"])
    'e2e'
    >>> tier_of("reliability", ["worker_factory"])
    'reliability'
    >>> tier_of(None, [], doctest_source=LocalBroker.__doc__)  # its example starts a broker
    'integration'
    """
    fixtures = set(fixtures)
    by_directory = TIER_BY_DIRECTORY.get(test_dir or "")
    if by_directory == "reliability":
        return "reliability"
    if by_directory == "e2e" or fixtures & PROCESS_FIXTURES:
        return "e2e"
    if by_directory == "integration" or fixtures & ENGINE_FIXTURES:
        return "integration"
    if doctest_source is not None and any(call in doctest_source for call in ENGINE_DOCTEST_CALLS):
        return "integration"
    return "unit"


def _test_dir(item: pytest.Item) -> str | None:
    """The first directory under tests/ that holds ``item``'s file; None outside tests/ (doctests)."""
    try:
        parts = item.path.relative_to(REPO / "tests").parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 else None


def _doctest_source(item: pytest.Item) -> str | None:
    if not isinstance(item, pytest.DoctestItem) or item.dtest is None:
        return None
    return "\n".join(example.source for example in item.dtest.examples)


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its derived tier unless it carries one explicitly; refuse a test with two."""
    conflicting = []
    for item in items:
        explicit = {mark.name for mark in item.iter_markers() if mark.name in TIERS}
        if not explicit:
            tier = tier_of(_test_dir(item), getattr(item, "fixturenames", ()), _doctest_source(item))
            item.add_marker(tier)
        elif len(explicit) > 1:
            conflicting.append(f"{item.nodeid}: {', '.join(sorted(explicit))}")
    if conflicting:
        raise pytest.UsageError(
            "each test takes exactly one tier marker; these have several:\n" + "\n".join(conflicting)
        )


@pytest.fixture(scope="session")
def local_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """One Tansu broker for the session; tests isolate themselves with their own topic prefix."""
    broker = LocalBroker(log_path=tmp_path_factory.mktemp("broker") / "broker.log").start()
    yield broker
    broker.stop()


@pytest.fixture
def isolated_env(tmp_path: Path, local_broker: LocalBroker) -> dict[str, str]:
    """Environment for driftloop processes: own data dir, topics and consumer group on the shared broker."""
    suffix = uuid.uuid4().hex[:8]
    return {
        "DRIFTLOOP_DATA_DIR": str(tmp_path / "data"),
        "DRIFTLOOP_KAFKA__BOOTSTRAP_SERVERS": local_broker.bootstrap_servers,
        "DRIFTLOOP_KAFKA__TOPIC_PREFIX": f"t{suffix}",
        "DRIFTLOOP_KAFKA__CONSUMER_GROUP": f"g{suffix}",
        "DRIFTLOOP_API__PORT": "0",
        "DRIFTLOOP_INGEST__BATCH_TIMEOUT_S": "0.2",
        "DRIFTLOOP_EMBEDDING__ENABLED": "false",
    }


def settings_from(env: dict[str, str]) -> Settings:
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        return Settings()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The module's embedded ClickHouse directory, held open for the module: one engine path per process."""
    path = tmp_path_factory.mktemp("chdb")
    with Store.open(f"chdb://{path}", database="keeper"):
        yield path


@pytest.fixture
def store(chdb_dir: Path) -> Iterator[Store]:
    """A real embedded store with a fresh database for each test."""
    with Store.open(f"chdb://{chdb_dir}", database=f"t_{uuid.uuid4().hex[:12]}") as opened:
        yield opened


class DriftloopProcess:
    """A ``driftloop`` command running as a separate process, as a user would start it."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.args = args
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> DriftloopProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "driftloop.cli", *self.args], env=self.env, stdout=log, stderr=log, cwd=REPO
        )
        log.close()
        return self

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, no commit."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout_s: float = 60) -> int:
        """SIGTERM and wait for the graceful shutdown."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout_s)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class Service(DriftloopProcess):
    """``driftloop up``: waits until its API answers."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        super().__init__(["up"], env, log_path)
        self.runtime_file = Path(env["DRIFTLOOP_DATA_DIR"]) / "runtime.json"
        self.api_url: str | None = None

    def start(self, timeout_s: float = 120) -> Service:
        self.runtime_file.unlink(missing_ok=True)
        super().start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"driftloop up exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            if self.runtime_file.exists():
                info = json.loads(self.runtime_file.read_text())
                if info.get("pid") == self.process.pid and info.get("api_url"):
                    self.api_url = info["api_url"]
                    return self
            time.sleep(0.2)
        raise TimeoutError(f"driftloop up did not start in {timeout_s}s:\n{self.log()[-4000:]}")

    def status(self) -> dict:
        response = httpx.get(f"{self.api_url}/v1/status", timeout=30)
        response.raise_for_status()
        return response.json()

    def wait_for(self, condition: Callable[[dict], bool], timeout_s: float = 120) -> dict:
        """Poll the status until ``condition(status)`` holds; fail with the last status otherwise."""
        deadline = time.monotonic() + timeout_s
        status: dict = {}
        while time.monotonic() < deadline:
            status = self.status()
            if condition(status):
                return status
            time.sleep(0.5)
        raise AssertionError(f"condition not met in {timeout_s}s; last status: {status}\n{self.log()[-3000:]}")


@pytest.fixture
def service_factory(isolated_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Service]]:
    started: list[DriftloopProcess] = []

    def make(**extra_env: str) -> Service:
        service = Service({**isolated_env, **extra_env}, tmp_path / f"service-{len(started)}.log")
        started.append(service)
        return service.start()

    yield make
    for process in started:
        if process.process is not None and process.process.poll() is None:
            process.process.kill()
            process.process.wait()


@pytest.fixture
def worker_factory(isolated_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., DriftloopProcess]]:
    started: list[DriftloopProcess] = []

    def make() -> DriftloopProcess:
        worker = DriftloopProcess(["worker"], isolated_env, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker.start()

    yield make
    for process in started:
        if process.process is not None and process.process.poll() is None:
            process.process.kill()
            process.process.wait()
