"""Helpers shared by the fault tests: background publishing, log waits, counts and committed offsets."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence

from kafka import TopicPartition

from driftloop import Publisher
from infra.kafka import kafka_admin_client, kafka_consumer
from infra.settings import Settings
from schemas import InferenceEvent
from tests.conftest import DriftloopProcess, settings_from


def publish(bootstrap: str, env: dict[str, str], events: Sequence[InferenceEvent]) -> None:
    with Publisher(bootstrap, settings_from(env)) as publisher:
        for event in events:
            publisher.publish_inference(event)


class BackgroundPublisher(threading.Thread):
    """Publishes ``events`` at about ``rate`` events/s, so faults land while batches are in flight."""

    def __init__(self, bootstrap: str, env: dict[str, str], events: Sequence[InferenceEvent], rate: float) -> None:
        super().__init__(name="fault-test-publisher", daemon=True)
        self.bootstrap, self.env, self.events, self.rate = bootstrap, env, events, rate
        self.published = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            chunk = max(1, int(self.rate / 20))
            with Publisher(self.bootstrap, settings_from(self.env)) as publisher:
                started = time.monotonic()
                for start in range(0, len(self.events), chunk):
                    for event in self.events[start : start + chunk]:
                        publisher.publish_inference(event)
                    self.published = min(len(self.events), start + chunk)
                    delay = started + self.published / self.rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
        except BaseException as exc:  # noqa: BLE001 - re-raised by finish()
            self.error = exc

    def finish(self, timeout_s: float = 120) -> None:
        self.join(timeout_s)
        assert not self.is_alive(), "the publisher did not finish"
        if self.error is not None:
            raise self.error


def wait_for_log(process: DriftloopProcess, pattern: str, timeout_s: float = 90, count: int = 1) -> list[str]:
    """Wait until ``pattern`` (a regex) matches ``count`` times in the process's log; return the matches."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = re.findall(pattern, process.log())
        if len(found) >= count:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{pattern!r} not seen {count}x in the log:\n{process.log()[-3000:]}")


def validated_count(process: DriftloopProcess) -> int:
    found = wait_for_log(process, r"worker stopped: ([\d,]+) events validated", timeout_s=30)
    return int(found[-1].replace(",", ""))


def assigned_partitions(process: DriftloopProcess) -> list[int]:
    return [int(n) for n in re.findall(r"worker assigned (\d+) partitions", process.log())]


def committed_offsets(settings: Settings, bootstrap: str, group: str) -> dict[TopicPartition, int]:
    """The group's committed offsets (``-1`` and missing partitions left out)."""
    admin = kafka_admin_client(settings.kafka, bootstrap, client_id="fault-test")
    try:
        offsets = admin.list_group_offsets({group: None}).get(group, {})
    finally:
        admin.close()
    return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


def end_offsets(settings: Settings, bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    consumer = kafka_consumer(settings.kafka, bootstrap, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        return consumer.end_offsets(partitions) if partitions else {}
    finally:
        consumer.close()
