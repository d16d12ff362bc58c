"""Consumer progress: lag per group and topic, and the ingest watermark the drift monitor waits for.

Both come from committed offsets and end offsets. The local broker's end offsets can trail the
true end by a whole produce batch, so lag is a progress indicator, not an exact "everything consumed"
test, and the watermark fetches records instead of trusting them.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from infra.kafka.clients import kafka_admin_client, kafka_consumer
from infra.settings import Settings
from schemas.errors import WatermarkUnknown

FETCH_WAIT_S = 1.0
"""How long the watermark reads for the first uncommitted record of each partition.

A partition with none by then is caught up, unless its end offset says otherwise (then the read fails).
"""


def earliest_event_time(value: bytes | None, timestamp_ms: int) -> datetime:
    """The earliest event time a message carries: an inference event's, or the lowest of a scored batch's rows.

    A message without one (malformed, or feedback only) counts from its Kafka timestamp.
    """
    try:
        body = json.loads(value or b"")
        texts = (
            [body["event_time"]]
            if "event_time" in body
            else [r["event"]["event_time"] for r in body["records"] if "event" in r]
        )
        times = [datetime.fromisoformat(text) for text in texts]
        return min(t if t.tzinfo is not None else t.replace(tzinfo=UTC) for t in times)
    except (ValueError, TypeError, KeyError, AttributeError):
        return datetime.fromtimestamp(timestamp_ms / 1000, UTC)


class LagReader:
    """Reads lag with one admin client and one consumer, opened on first use and kept between calls.

    The status endpoint and ``/metrics`` ask often; connecting anew each time cost more than the
    reads themselves. After a failed read (a restarted broker, say) the clients are opened again.
    """

    def __init__(self, settings: Settings, bootstrap_servers: str) -> None:
        self._settings = settings
        self._bootstrap_servers = bootstrap_servers
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

    def ingest_watermark(self, now: datetime) -> datetime:
        """The event time before which every published inference event is stored (at most ``now``).

        Per partition of the inference topic (the workers' group) and of the scored topic (the
        store's sink, in split deployments): a lagging one counts from the earliest event time of its
        first uncommitted record, since every record before that one is stored; a partition read to
        its end counts as ``now``. The watermark is the lowest of these.

        "Read to its end" is found by fetching, not from end offsets alone: the local broker's can
        trail the true end by a whole produce batch.
        """
        kafka = self._settings.kafka
        groups = {
            kafka.consumer_group: [self._settings.topic("inference")],
            kafka.sink_group: [self._settings.topic("scored")],
        }
        with self._lock:
            try:
                self._open()
                positions = self._positions(groups)
                first = self._first_uncommitted({tp: offset for _, tp, offset, _ in positions})
                unread = [
                    f"{tp.topic}[{tp.partition}]@{offset}"
                    for _, tp, offset, end in positions
                    if offset < end and tp not in first
                ]
                if unread:
                    raise WatermarkUnknown(f"no record read within {FETCH_WAIT_S}s at {', '.join(unread)}")
                return min([now, *(earliest_event_time(r.value, r.timestamp) for r in first.values())])
            except Exception:
                self._close()
                raise

    def close(self) -> None:
        with self._lock:
            self._close()

    def _open(self) -> None:
        if self._admin is None or self._consumer is None:
            kafka, servers = self._settings.kafka, self._bootstrap_servers
            self._admin = kafka_admin_client(kafka, servers, client_id="driftloop-lag", bootstrap_timeout_ms=5000)
            self._consumer = kafka_consumer(
                kafka,
                servers,
                bootstrap_timeout_ms=5000,
                enable_auto_commit=False,
                metadata_max_age_ms=30_000,
                fetch_max_wait_ms=100,
                # A reader must never create the topics it looks at: after a local broker's restart that would
                # race `ensure_topics` and the workers' rejoin.
                allow_auto_create_topics=False,
            )

    def _positions(self, groups: dict[str, list[str]]) -> list[tuple[str, TopicPartition, int, int]]:
        """``(group, partition, committed offset, end offset)`` per partition; no commit yet counts as the start."""
        assert self._admin is not None and self._consumer is not None
        positions = []
        for group, topics in groups.items():
            committed = self._admin.list_group_offsets({group: None}).get(group, {})
            for topic in topics:
                known = self._consumer.partitions_for_topic(topic) or []
                partitions = [TopicPartition(topic, p) for p in sorted(known)]
                if not partitions:
                    continue
                starts = self._consumer.beginning_offsets(partitions)
                for tp, end in self._consumer.end_offsets(partitions).items():
                    offset = committed.get(tp)
                    at = offset.offset if offset is not None and offset.offset >= 0 else 0
                    positions.append((group, tp, max(at, starts.get(tp, 0)), end))
        return positions

    def _first_uncommitted(self, offsets: dict[TopicPartition, int]) -> dict[TopicPartition, ConsumerRecord]:
        """The record at each partition's offset, for the partitions that have one within ``FETCH_WAIT_S``."""
        assert self._consumer is not None
        self._consumer.assign(list(offsets))
        for tp, offset in offsets.items():
            self._consumer.seek(tp, offset)
        first: dict[TopicPartition, ConsumerRecord] = {}
        deadline = time.monotonic() + FETCH_WAIT_S
        try:
            while len(first) < len(offsets) and time.monotonic() < deadline:
                for tp, records in self._consumer.poll(timeout_ms=100).items():
                    first.setdefault(tp, records[0])
        finally:
            self._consumer.assign([])  # hold no partitions (and fetch nothing) between reads
        return first

    def _read(self, groups: dict[str, list[str]]) -> dict[tuple[str, str], int]:
        self._open()
        result = {(group, topic): 0 for group, topics in groups.items() for topic in topics}
        for group, tp, offset, end in self._positions(groups):
            result[(group, tp.topic)] += max(0, end - offset)
        return result

    def _close(self) -> None:
        for client in (self._consumer, self._admin):
            if client is not None:
                client.close()
        self._admin = self._consumer = None
