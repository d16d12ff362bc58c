"""Consumer lag per group and topic, from committed offsets and end offsets.

The local broker's end offsets can trail the true end by a few records, so this is a
progress indicator, not an exact "everything consumed" test.
"""

from __future__ import annotations

import threading

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from infra.kafka.client_config import kafka_client_config
from infra.settings import Settings


class LagReader:
    """Reads lag with one admin client and one consumer, opened on first use and kept between calls.

    The status endpoint and ``/metrics`` ask often; connecting anew each time cost more than the
    reads themselves. After a failed read (a restarted broker, say) the clients are opened again.
    """

    def __init__(self, settings: Settings, bootstrap_servers: str) -> None:
        self._config = kafka_client_config(settings.kafka, bootstrap_servers)
        self._lock = threading.Lock()
        self._admin: KafkaAdminClient | None = None
        self._consumer: KafkaConsumer | None = None

    def read(self, groups: dict[str, list[str]]) -> dict[tuple[str, str], int]:
        """``{(group, topic): lag}`` for each group and the topics it reads."""
        with self._lock:
            try:
                return self._read(groups)
            except Exception:
                self._close()
                raise

    def close(self) -> None:
        with self._lock:
            self._close()

    def _read(self, groups: dict[str, list[str]]) -> dict[tuple[str, str], int]:
        if self._admin is None or self._consumer is None:
            self._admin = KafkaAdminClient(client_id="driftloop-lag", bootstrap_timeout_ms=5000, **self._config)
            self._consumer = KafkaConsumer(
                bootstrap_timeout_ms=5000, enable_auto_commit=False, metadata_max_age_ms=30_000, **self._config
            )
        result: dict[tuple[str, str], int] = {}
        for group, topics in groups.items():
            committed = self._admin.list_group_offsets({group: None}).get(group, {})
            for topic in topics:
                known = self._consumer.partitions_for_topic(topic) or []
                partitions = [TopicPartition(topic, p) for p in sorted(known)]
                ends = self._consumer.end_offsets(partitions) if partitions else {}
                lag = 0
                for tp, end in ends.items():
                    offset = committed.get(tp)
                    lag += max(0, end - (offset.offset if offset is not None and offset.offset >= 0 else 0))
                result[(group, topic)] = lag
        return result

    def _close(self) -> None:
        for client in (self._consumer, self._admin):
            if client is not None:
                client.close()
        self._admin = self._consumer = None
