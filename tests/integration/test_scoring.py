"""Detectors in the consumer batch: unsafe prompts are scored, stored and alerted; benign ones are not.

Runs `driftloop up` with embedding on (real all-MiniLM-L6-v2, real safety probes), the real local
broker and the real embedded store. Traffic comes from the project's demo generator, whose ground
truth says which prompts are unsafe.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from driftloop import Publisher
from driftloop.demo import DemoConfig, generate
from infra.kafka import kafka_consumer
from infra.settings import KafkaSettings
from infra.store import connect
from tests.conftest import settings_from

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def demo_calls(count: int, unsafe_fraction: float):
    config = DemoConfig(
        seed=11,
        count=count,
        start=datetime.now(UTC),  # inside the store's retention (rows older than events_ttl_days are dropped)
        unsafe_at=0,
        unsafe_fraction=unsafe_fraction,
        feedback_fraction=0.0,
    )
    return [item for item in generate(config) if item.event is not None]


def test_unsafe_prompts_are_scored_stored_and_alerted(service_factory, isolated_env, local_broker):
    service = service_factory(DRIFTLOOP_EMBEDDING__ENABLED="true")
    calls = demo_calls(300, unsafe_fraction=0.2)
    unsafe = {c.event.event_id for c in calls if c.truth.is_unsafe and c.truth.unsafe_kind != "toxic"}
    benign = {c.event.event_id for c in calls if not c.truth.is_unsafe and not c.truth.pii}
    assert len(unsafe) >= 30 and len(benign) >= 150
    settings = settings_from(isolated_env)
    with Publisher(local_broker.bootstrap_servers, settings) as publisher:
        for call in calls:
            publisher.publish_inference(call.event)
    service.wait_for(lambda s: s["table_counts"]["inference"] >= len(calls), timeout_s=600)

    alerted = _alerted_event_ids(settings.kafka, local_broker.bootstrap_servers, settings.topic("alerts"))
    assert service.stop() == 0
    with connect(settings) as store:
        breached = store.events.breached_ids(["jailbreak", "harmful_request"])
        stored_models = store.events.embedding_models()

    assert stored_models and all("MiniLM" in name for name in stored_models)
    caught = len(unsafe & breached) / len(unsafe)
    false_alarms = len(benign & alerted) / len(benign)
    assert caught >= 0.85, f"only {caught:.0%} of jailbreak/injection prompts scored above threshold"
    assert len(unsafe & alerted) / len(unsafe) >= 0.85
    assert false_alarms <= 0.03, f"{false_alarms:.1%} of benign calls raised an alert"


def _alerted_event_ids(kafka: KafkaSettings, bootstrap: str, topic: str, quiet_s: float = 5.0) -> set[str]:
    consumer = kafka_consumer(
        kafka,
        bootstrap,
        topic,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=int(quiet_s * 1000),
    )
    try:
        ids = set()
        deadline = time.monotonic() + 60
        for message in consumer:
            alert = json.loads(message.value)
            if alert["event_id"]:
                ids.add(alert["event_id"])
            if time.monotonic() > deadline:
                break
        return ids
    finally:
        consumer.close()
