"""External jobs and the alert-driven service, on the real embedded store and the real local broker."""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka import TopicPartition

from infra.kafka import LocalBroker, ensure_topics, kafka_consumer, kafka_producer
from infra.settings import KafkaSettings, Settings
from infra.store import Store
from infra.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from retrain import CommandJob, RetrainService, WebhookJob, content_sha256, list_runs
from schemas import Alert, AlertKind, AlertState, DriftDecision, DriftResult, RetrainRequest, RetrainStatus, Severity
from tests.retrain.conftest import NEW_SAFE, NEW_UNSAFE, STREAM, T0, HashEmbedder, Traffic, make_settings
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.integration

RECORDER = """
import json, os, sys
out, snapshot_dir, manifest = sys.argv[1:4]
with open(out, "w") as f:
    json.dump({"argv": sys.argv[2:], "sha": os.environ["DRIFTLOOP_SNAPSHOT_SHA256"],
               "run": os.environ["DRIFTLOOP_RUN_ID"], "manifest": json.load(open(manifest))}, f)
print("trained elsewhere")
sys.exit(int(os.environ.get("EXIT_WITH", "0")))
"""


@pytest.fixture
def labelled_store(store: Store, embedder: HashEmbedder) -> Store:
    traffic = Traffic(store, embedder)
    traffic.labelled(NEW_UNSAFE[:20], NEW_SAFE[:20], T0)
    traffic.drift_window(T0, T0 + timedelta(minutes=5))
    return store


def test_command_job_receives_the_snapshot_and_manifest_paths(
    labelled_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "train.py"
    script.write_text(RECORDER)
    out = tmp_path / "seen.json"
    job = CommandJob([sys.executable, str(script), str(out)], timeout_s=60)
    with RetrainService(make_settings(tmp_path / "data"), labelled_store, job=job) as service:
        run = service.wait(service.trigger(STREAM).run_id, 60)
        assert run.status is RetrainStatus.SUCCEEDED, run.message
        assert "trained elsewhere" in run.message and run.job == "command"
        seen = json.loads(out.read_text())
        snapshot_dir, manifest = (Path(p) for p in seen["argv"])
        assert snapshot_dir == tmp_path / "data" / "snapshots" / run.snapshot_sha256
        assert manifest == snapshot_dir / "manifest.json" and seen["manifest"]["sha256"] == run.snapshot_sha256
        assert seen["sha"] == content_sha256(snapshot_dir) == run.snapshot_sha256 and seen["run"] == run.run_id
        assert seen["manifest"]["labels"] == {"1": 20, "0": 20, "unlabelled": 0}

        monkeypatch.setenv("EXIT_WITH", "3")
        failed = service.wait(service.trigger(STREAM).run_id, 60)
    assert failed.status is RetrainStatus.FAILED and failed.metrics["exit_code"] == 3
    later = json.loads((tmp_path / "data" / "snapshots" / failed.snapshot_sha256 / "manifest.json").read_text())
    assert later["rows"] == {"events": 0, "feedback": 0}, "only what came after the last successful run"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as hook:
        yield hook


def test_webhook_job_posts_a_signed_request(labelled_store: Store, tmp_path: Path, receiver: WebhookReceiver) -> None:
    url = receiver.url
    with RetrainService(make_settings(tmp_path), labelled_store, job=WebhookJob(url, secret="s3cret")) as service:
        run = service.wait(service.trigger(STREAM, reason="manual check").run_id, 60)
    assert run.status is RetrainStatus.SUCCEEDED, run.message
    (headers, body), *rest = receiver.accepted()
    assert not rest and verify("s3cret", headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body)
    request = RetrainRequest.model_validate_json(body)
    assert request.run_id == run.run_id and request.reason == "manual check"
    assert request.snapshot_sha256 == run.snapshot_sha256 and Path(request.snapshot_path).is_dir()
    assert request.manifest["rows"]["feedback"] == 40

    with RetrainService(make_settings(tmp_path), labelled_store, job=WebhookJob(url + "x", timeout_s=2)) as svc:
        svc_run = svc.wait(svc.trigger(STREAM).run_id, 60)
    assert svc_run.status is RetrainStatus.SUCCEEDED  # the receiver accepts any path
    with RetrainService(make_settings(tmp_path), labelled_store, job=WebhookJob("http://127.0.0.1:9/x")) as svc:
        down = svc.wait(svc.trigger(STREAM).run_id, 60)
    assert down.status is RetrainStatus.FAILED and "unreachable" in down.message


def kafka_settings(tmp_path: Path, broker: LocalBroker, **retrain: object) -> Settings:
    suffix = uuid.uuid4().hex[:8]
    base = make_settings(tmp_path, **retrain)
    kafka = KafkaSettings(
        bootstrap_servers=broker.bootstrap_servers,
        topic_prefix=f"t{suffix}",
        consumer_group=f"g{suffix}",
        partitions=1,
    )
    return base.model_copy(update={"kafka": kafka})


def read_topic(settings: Settings, topic: str, want: int, timeout_s: float = 30) -> list[bytes]:
    consumer = kafka_consumer(settings.kafka, settings.kafka.bootstrap_servers or "", enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        values: list[bytes] = []
        deadline = time.monotonic() + timeout_s
        while len(values) < want and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values += [r.value for r in records]
        return values
    finally:
        consumer.close()


def drift_alert(created_at: datetime, alert_id: str = "al-1") -> Alert:
    start = T0
    return Alert(
        alert_id=alert_id,
        kind=AlertKind.DRIFT,
        state=AlertState.FIRING,
        severity=Severity.WARNING,
        stream=STREAM,
        detector="topic",
        dedup_key=f"{STREAM}:topic",
        created_at=created_at,
        summary="new topic",
        drift=DriftResult(
            detector="topic",
            detector_version="1",
            statistic=0.4,
            p_value=0.001,
            alpha=0.05,
            decision=DriftDecision.DRIFT,
            n_reference=100,
            n_current=40,
            stream=STREAM,
            window_start=start,
            window_end=start + timedelta(minutes=5),
        ),
    )


@pytest.mark.slow
def test_alert_on_the_topic_triggers_a_run_whose_request_lands_on_the_retrain_topic(
    labelled_store: Store, tmp_path: Path, local_broker: LocalBroker
) -> None:
    settings = kafka_settings(tmp_path, local_broker, job="kafka", cooldown_s=3600, min_labelled_feedback=30)
    ensure_topics(settings, local_broker.bootstrap_servers)
    service = RetrainService(settings, labelled_store, bootstrap_servers=local_broker.bootstrap_servers).start()
    try:
        assert service.consuming.wait(60), "the retrain consumer never joined its group"
        producer = kafka_producer(settings.kafka, local_broker.bootstrap_servers, acks="all")
        now = datetime.now(UTC)
        alerts = [
            drift_alert(now - timedelta(hours=3), "old"),  # too old: replayed history does not trigger
            drift_alert(now, "fresh"),
            drift_alert(now, "again"),  # inside the cooldown: no second run
        ]
        for alert in alerts:
            producer.send(
                settings.topic("alerts"), key=alert.dedup_key.encode(), value=alert.model_dump_json().encode()
            )
        producer.flush()
        producer.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(r.finished for r in list_runs(labelled_store, STREAM)):
            time.sleep(0.3)
        time.sleep(2)  # let the later alerts be handled too
    finally:
        service.shutdown()
    runs = list_runs(labelled_store, STREAM)
    assert len(runs) == 1, runs
    run = runs[0]
    assert run.status is RetrainStatus.SUCCEEDED and run.job == "kafka", run.message
    assert "alert fresh" in service.store.retrain.runs(run.run_id)[-1].message
    (value,) = read_topic(settings, settings.topic("retrain"), want=1)
    request = RetrainRequest.model_validate_json(value)
    assert request.run_id == run.run_id and request.alert_id == "fresh"
    assert request.snapshot_sha256 == run.snapshot_sha256
    assert request.manifest["in_drift_window"] == 40, "the alert's drifted window is in the snapshot"
