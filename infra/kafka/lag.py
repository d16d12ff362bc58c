"""Consumer lag per group and topic, from committed offsets and end offsets.

The local broker's end offsets can trail the true end by a few records, so this is a
progress indicator, not an exact "everything consumed" test.
"""

from __future__ import annotations

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from infra.kafka.client_config import kafka_client_config
from infra.settings import Settings


def consumer_lag(
    settings: Settings, bootstrap_servers: str, groups: dict[str, list[str]]
) -> dict[tuple[str, str], int]:
    """``{(group, topic): lag}`` for each group and the topics it reads."""
    config = kafka_client_config(settings.kafka, bootstrap_servers)
    admin = KafkaAdminClient(client_id="driftloop-lag", bootstrap_timeout_ms=5000, **config)
    consumer = KafkaConsumer(bootstrap_timeout_ms=5000, enable_auto_commit=False, **config)
    try:
        result: dict[tuple[str, str], int] = {}
        for group, topics in groups.items():
            committed = admin.list_group_offsets({group: None}).get(group, {})
            for topic in topics:
                partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
                ends = consumer.end_offsets(partitions) if partitions else {}
                lag = 0
                for tp, end in ends.items():
                    offset = committed.get(tp)
                    lag += max(0, end - (offset.offset if offset is not None and offset.offset >= 0 else 0))
                result[(group, topic)] = lag
        return result
    finally:
        consumer.close()
        admin.close()
