"""The ingest path end to end: real local broker, real embedded ClickHouse, driftloop as processes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from driftloop import Publisher
from infra.store import connect
from tests.conftest import REPO, Service, settings_from
from tests.integration.events import inference_events, malformed_messages

pytestmark = pytest.mark.e2e


def counts(status: dict) -> dict[str, int]:
    return status["table_counts"]


def publish(bootstrap: str, env: dict[str, str], events) -> None:
    with Publisher(bootstrap, settings_from(env)) as publisher:
        for event in events:
            publisher.publish_inference(event)


def test_every_event_stored_once_even_when_published_twice(service_factory, isolated_env, local_broker):
    service = service_factory()
    events = inference_events(10_000)
    publish(local_broker.bootstrap_servers, isolated_env, events)
    service.wait_for(lambda s: counts(s)["inference"] >= 10_000)
    # Republish every event: at-least-once delivery must still show each event once.
    publish(local_broker.bootstrap_servers, isolated_env, events)
    service.wait_for(lambda s: all(lag["lag"] == 0 for lag in s["consumer_lag"]) and s["consumer_lag"])
    time.sleep(2)
    status = service.status()
    assert counts(status)["inference"] == 10_000
    assert status["dead_letters"] == 0


def test_malformed_messages_go_to_the_dead_letter_table_and_the_worker_keeps_going(
    service_factory, isolated_env, local_broker
):
    service = service_factory()
    bad = malformed_messages()
    with Publisher(local_broker.bootstrap_servers, settings_from(isolated_env)) as publisher:
        for value in bad.values():
            publisher.publish_raw("inference", value)
        publisher.publish_raw("feedback", b"{not json")
        for event in inference_events(50, prefix="after-bad"):
            publisher.publish_inference(event)
    service.wait_for(lambda s: s["dead_letters"] >= len(bad) + 1 and counts(s)["inference"] >= 50)
    assert service.process.poll() is None, "the service must survive bad input"
    assert service.stop() == 0
    with connect(settings_from(isolated_env)) as store:
        letters = store.events.dead_letters(limit=1000)
    assert len(letters) == len(bad) + 1
    originals = {letter.original for letter in letters}
    assert set(bad.values()) <= originals, "each dead letter keeps the original bytes"
    by_original = {letter.original: letter for letter in letters}
    assert by_original[bad["unknown_schema_version"]].error_kind == "schema_version"
    assert by_original[bad["oversized_prompt"]].error_kind == "oversized"
    assert by_original[bad["invalid_utf8"]].error_kind == "not_utf8"
    assert by_original[bad["not_json"]].error_kind == "not_json"
    assert "latency_ms" in by_original[bad["wrong_types"]].reason
    assert all(letter.reason for letter in letters)
    assert {letter.source_topic for letter in letters} == {
        settings_from(isolated_env).topic("inference"),
        settings_from(isolated_env).topic("feedback"),
    }


def test_killed_service_loses_and_duplicates_nothing(service_factory, isolated_env, local_broker):
    service = service_factory()
    events = inference_events(6_000, prefix="kill")
    publish(local_broker.bootstrap_servers, isolated_env, events[:3_000])
    service.wait_for(lambda s: counts(s)["inference"] > 0)
    service.kill()
    publish(local_broker.bootstrap_servers, isolated_env, events[3_000:])
    restarted = service_factory()
    restarted.wait_for(lambda s: counts(s)["inference"] >= 6_000, timeout_s=180)
    time.sleep(2)
    assert counts(restarted.status())["inference"] == 6_000


def test_feedback_before_after_and_for_unknown_inference_is_stored_and_joinable(
    service_factory, isolated_env, local_broker
):
    from schemas import FeedbackEvent, FeedbackKind

    service = service_factory()
    events = inference_events(2, prefix="fb")
    early = FeedbackEvent(
        feedback_id="f-early",
        event_id=events[0].event_id,
        feedback_time=events[0].event_time,
        kind=FeedbackKind.THUMBS,
        value=-1,
    )
    late = FeedbackEvent(
        feedback_id="f-late",
        event_id=events[1].event_id,
        feedback_time=events[1].event_time,
        kind=FeedbackKind.FLAG,
        labels=["off_topic"],
    )
    orphan = FeedbackEvent(
        feedback_id="f-orphan",
        event_id="never-published",
        feedback_time=events[1].event_time,
        kind=FeedbackKind.RATING,
        value=2,
    )
    with Publisher(local_broker.bootstrap_servers, settings_from(isolated_env)) as publisher:
        publisher.publish_feedback(early)
        publisher.publish_feedback(orphan)
        publisher.flush()
        service.wait_for(lambda s: counts(s)["feedback"] >= 2)
        for event in events:
            publisher.publish_inference(event)
        publisher.flush()
        service.wait_for(lambda s: counts(s)["inference"] >= 2)
        publisher.publish_feedback(late)
    service.wait_for(lambda s: counts(s)["feedback"] >= 3)
    assert service.stop() == 0
    with connect(settings_from(isolated_env)) as store:
        joined = {row.feedback.feedback_id: row for row in store.events.feedback()}
    assert set(joined) == {"f-early", "f-late", "f-orphan"}
    assert joined["f-early"].matched and joined["f-late"].matched
    assert not joined["f-orphan"].matched


def test_two_workers_share_partitions_and_store_each_event_once(
    service_factory, worker_factory, isolated_env, local_broker
):
    service = service_factory(DRIFTLOOP_KAFKA__PARTITIONS="4")
    worker = worker_factory()
    _wait_for_log(worker, "worker assigned")
    time.sleep(3)  # let the rebalance settle on both members
    events = inference_events(8_000, prefix="two")
    publish(local_broker.bootstrap_servers, isolated_env, events)
    service.wait_for(lambda s: counts(s)["inference"] >= 8_000, timeout_s=180)
    time.sleep(2)
    assert counts(service.status())["inference"] == 8_000
    assert worker.stop() == 0
    assert service.stop() == 0
    by_worker, by_service = _validated_count(worker), _validated_count(service)
    assert by_worker > 0 and by_service > 0, "both members of the group must have had partitions"
    assert by_worker + by_service >= 8_000


def _wait_for_log(process, text: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if text in process.log():
            return
        time.sleep(0.5)
    raise AssertionError(f"{text!r} not in the log:\n{process.log()[-3000:]}")


def _validated_count(process) -> int:
    match = re.search(r"worker stopped: ([\d,]+) events validated", process.log())
    assert match, process.log()[-3000:]
    return int(match.group(1).replace(",", ""))


def test_cli_publish_and_status_as_a_user_would(service_factory, isolated_env, tmp_path):
    service = service_factory()
    source = tmp_path / "events.jsonl"
    lines = [event.model_dump_json() for event in inference_events(200, prefix="cli")]
    source.write_text("\n".join(lines + ["{broken"]) + "\n")
    env = {**service.env}
    run = subprocess.run(
        [sys.executable, "-m", "driftloop.cli", "publish", str(source)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["published"] == 201
    service.wait_for(lambda s: counts(s)["inference"] >= 200 and s["dead_letters"] >= 1)
    status = subprocess.run(
        [sys.executable, "-m", "driftloop.cli", "status", "--json"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["table_counts"]["inference"] == 200
    assert report["dead_letters"] == 1
    assert report["drift_windows"]["last_error"] is None
    table = subprocess.run(
        [sys.executable, "-m", "driftloop.cli", "status"],
        env={**env, "COLUMNS": "200"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert table.returncode == 0, table.stderr
    assert "rows in inference" in table.stdout and "drift windows evaluated" in table.stdout
    bad_arg = subprocess.run(
        [sys.executable, "-m", "driftloop.cli", "publish", str(tmp_path / "missing.jsonl")],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad_arg.returncode == 2
    assert "missing.jsonl" in bad_arg.stderr


def test_a_second_service_on_the_same_data_dir_is_refused(service_factory, isolated_env, tmp_path):
    service_factory()
    second = subprocess.run(
        [sys.executable, "-m", "driftloop.cli", "up"],
        env={**os.environ, **isolated_env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 2
    assert "already running" in second.stderr


def test_up_with_demo_traffic_stops_cleanly_on_ctrl_c(isolated_env, tmp_path):
    # As `make run`: no broker configured, so `up` starts the local one and stops it on the way out.
    env = {key: value for key, value in isolated_env.items() if key != "DRIFTLOOP_KAFKA__BOOTSTRAP_SERVERS"}
    service = Service(env, tmp_path / "demo.log")
    service.args = ["up", "--demo", "--demo-rate", "50"]
    started = time.monotonic()
    service.start()
    try:
        service.wait_for(lambda s: s["table_counts"]["inference"] >= 20)
        # Past start-up: the retraining consumer's group join takes two rounds of about
        # kafka.max_poll_interval_s (10 s) on the local broker; a stop during it waits for the join,
        # and kafka-python logs the metadata refresh that closing it cancels.
        time.sleep(max(0.0, 30 - (time.monotonic() - started)))
    finally:
        service.process.send_signal(signal.SIGINT)
    assert service.process.wait(timeout=60) == 0
    log = service.log()
    # The demo's publisher is closed before the broker goes: no connection errors on the way out.
    assert "demo traffic finished" in log
    assert " ERROR " not in log, log[-3000:]
