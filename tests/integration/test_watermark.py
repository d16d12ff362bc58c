"""The ingest watermark on the real local broker: what the workers' and the sink's committed offsets say is stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from driftloop import Publisher
from infra.kafka import kafka_consumer
from infra.kafka.admin import ensure_topics
from infra.kafka.lag import LagReader, earliest_event_time
from infra.settings import Settings
from schemas import FeedbackEvent, ScoredBatch, ScoredFeedback, ScoredInference
from tests.conftest import settings_from
from tests.integration.events import BASE_TIME, inference_events

pytestmark = pytest.mark.integration


def published_event_times(settings: Settings, bootstrap: str) -> dict[TopicPartition, list[datetime]]:
    """Every inference record's event time, by partition, in offset order (read back, not from the publisher)."""
    consumer = kafka_consumer(settings.kafka, bootstrap, enable_auto_commit=False, consumer_timeout_ms=3000)
    topic = settings.topic("inference")
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    times: dict[TopicPartition, list[datetime]] = {tp: [] for tp in partitions}
    for record in consumer:
        times[TopicPartition(record.topic, record.partition)].append(
            datetime.fromisoformat(json.loads(record.value)["event_time"])
        )
    consumer.close()
    return times


def commit(settings: Settings, bootstrap: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = kafka_consumer(
        settings.kafka, bootstrap, group_id=settings.kafka.consumer_group, enable_auto_commit=False
    )
    consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()})
    consumer.close()


def test_the_watermark_is_the_first_unstored_event_of_the_slowest_partition(isolated_env, local_broker):
    settings = settings_from(isolated_env)
    bootstrap = local_broker.bootstrap_servers
    ensure_topics(settings, bootstrap)
    reader = LagReader(settings, bootstrap)
    now = datetime.now(UTC)
    try:
        assert reader.ingest_watermark(now) == now, "nothing published: nothing to wait for"

        with Publisher(bootstrap, settings) as publisher:
            for event in inference_events(60, prefix="wm"):
                publisher.publish_inference(event)
        times = published_event_times(settings, bootstrap)
        assert sum(len(t) for t in times.values()) == 60 and all(len(t) >= 3 for t in times.values())

        # No worker has committed anything: the oldest unstored event is the first one published.
        assert reader.ingest_watermark(now) == BASE_TIME

        # Every partition stored to its end but one, which stopped before its third record.
        slow, *others = times
        commit(settings, bootstrap, {slow: 2, **{tp: len(times[tp]) for tp in others}})
        assert reader.ingest_watermark(now) == times[slow][2]

        commit(settings, bootstrap, {tp: len(t) for tp, t in times.items()})
        assert reader.ingest_watermark(now) == now
    finally:
        reader.close()


def test_a_scored_batch_counts_from_its_earliest_inference():
    events = inference_events(3, prefix="sb")
    received = datetime.now(UTC)
    rows = [ScoredInference(event=e, received_at=received) for e in reversed(events)]
    feedback = FeedbackEvent(feedback_id="f", event_id="sb-0", feedback_time=received, kind="thumbs", value=1.0)
    batch = ScoredBatch(records=[*rows, ScoredFeedback(feedback=feedback, received_at=received)])
    stamp_ms = int((BASE_TIME + timedelta(hours=5)).timestamp() * 1000)

    assert earliest_event_time(batch.model_dump_json().encode(), stamp_ms) == events[0].event_time
    assert earliest_event_time(events[2].model_dump_json().encode(), stamp_ms) == events[2].event_time
    only_feedback = ScoredBatch(records=[ScoredFeedback(feedback=feedback, received_at=received)])
    for carries_no_event_time in (b"{not json", b"[1, 2]", only_feedback.model_dump_json().encode(), None):
        assert earliest_event_time(carries_no_event_time, stamp_ms) == BASE_TIME + timedelta(hours=5)
