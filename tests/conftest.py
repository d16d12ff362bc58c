"""Shared fixtures: the real local broker, isolated settings, and driftloop processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from infra.kafka import LocalBroker
from infra.settings import Settings
from infra.store import Store

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REPO = Path(__file__).resolve().parents[1]


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
