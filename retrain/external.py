"""External jobs: hand the snapshot to someone else's training, by Kafka, webhook or command.

Each succeeds once the hand-over is acknowledged (the broker has the request, the webhook answered 2xx,
the command exited 0); what the external training does next is outside driftloop's record.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

import httpx

from infra.kafka import kafka_producer
from infra.settings import Settings
from infra.webhooks import signed_headers
from retrain.job import JobContext, JobOutcome
from schemas import RetrainStatus
from schemas.errors import ConfigError


class KafkaRequestJob:
    """Publish a :class:`schemas.RetrainRequest` on ``driftloop.retrain``, keyed by stream."""

    name = "kafka"

    def __init__(self, settings: Settings, bootstrap_servers: str, *, timeout_s: float = 30.0) -> None:
        self.settings = settings
        self.bootstrap_servers = bootstrap_servers
        self.timeout_s = timeout_s

    def run(self, context: JobContext) -> JobOutcome:
        topic = self.settings.topic("retrain")
        producer = kafka_producer(
            self.settings.kafka, self.bootstrap_servers, acks="all", client_id="driftloop-retrain"
        )
        try:
            future = producer.send(
                topic, key=str(context.stream).encode(), value=context.request().model_dump_json().encode()
            )
            meta = future.get(timeout=self.timeout_s)
        finally:
            producer.close(timeout=self.timeout_s)
        return JobOutcome(RetrainStatus.SUCCEEDED, f"request published to {topic}[{meta.partition}]@{meta.offset}")


class WebhookJob:
    """POST the request as JSON, signed (:mod:`infra.webhooks`) when a secret is set; any 2xx hands it over."""

    name = "webhook"

    def __init__(self, url: str, *, secret: str | None = None, timeout_s: float = 10.0) -> None:
        self.url = url
        self.secret = secret
        self.timeout_s = timeout_s

    def run(self, context: JobContext) -> JobOutcome:
        body = context.request().model_dump_json().encode()
        headers = {"Content-Type": "application/json", "X-Driftloop-Run": context.run_id}
        if self.secret:
            headers.update(signed_headers(self.secret, body))
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            return JobOutcome(RetrainStatus.FAILED, f"webhook {self.url} unreachable: {exc}")
        if response.is_success:
            return JobOutcome(RetrainStatus.SUCCEEDED, f"webhook answered {response.status_code}")
        return JobOutcome(RetrainStatus.FAILED, f"webhook answered {response.status_code}: {response.text[:500]}")


class CommandJob:
    """Run ``command + [snapshot_dir, manifest_path]``; exit status 0 is success.

    The environment also carries ``DRIFTLOOP_RUN_ID``, ``DRIFTLOOP_STREAM``, ``DRIFTLOOP_SNAPSHOT_DIR``,
    ``DRIFTLOOP_SNAPSHOT_MANIFEST`` and ``DRIFTLOOP_SNAPSHOT_SHA256``. The last lines of its output are
    kept in the run's message.
    """

    name = "command"

    def __init__(self, command: Sequence[str], *, timeout_s: float = 3600.0, keep_output_chars: int = 2000) -> None:
        if not command:
            raise ConfigError("retrain.job 'command' needs retrain.command")
        self.command = list(command)
        self.timeout_s = timeout_s
        self.keep_output_chars = keep_output_chars

    def run(self, context: JobContext) -> JobOutcome:
        snapshot = context.snapshot
        argv = [*self.command, str(snapshot.path), str(snapshot.manifest_path)]
        env = {
            **os.environ,
            "DRIFTLOOP_RUN_ID": context.run_id,
            "DRIFTLOOP_STREAM": str(context.stream),
            "DRIFTLOOP_SNAPSHOT_DIR": str(snapshot.path),
            "DRIFTLOOP_SNAPSHOT_MANIFEST": str(snapshot.manifest_path),
            "DRIFTLOOP_SNAPSHOT_SHA256": snapshot.sha256,
        }
        try:
            done = subprocess.run(
                argv, env=env, capture_output=True, timeout=self.timeout_s, check=False, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            return JobOutcome(RetrainStatus.FAILED, f"command timed out after {self.timeout_s:g}s: {argv[0]}")
        except OSError as exc:
            return JobOutcome(RetrainStatus.FAILED, f"command could not start: {exc}")
        output = (done.stdout + done.stderr).decode(errors="replace")[-self.keep_output_chars :]
        status = RetrainStatus.SUCCEEDED if done.returncode == 0 else RetrainStatus.FAILED
        return JobOutcome(status, f"exit {done.returncode}: {output}".strip(), {"exit_code": float(done.returncode)})
