"""The store writer: the one process that owns the store inserts what workers scored.

It reads ``driftloop.scored`` and ``driftloop.dlq`` in batches, inserts each batch into
ClickHouse, and only then commits the batch's offsets. A crash in between means the batch
is read again and inserted again; the store deduplicates on event id. Workers running in
the store's own process hand their rows to :meth:`Sink.write_rows` instead of the topic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import CommitFailedError
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from consumers.retry import Health, finish_even_if_cancelled, retry_forever
from infra.kafka import aiokafka_consumer
from infra.metrics import default_metrics
from infra.settings import Settings
from schemas import DeadLetter, RejectionKind, ScoredBatch, ScoredFeedback, ScoredInference

log = logging.getLogger(__name__)


class EventWriter(Protocol):
    def insert(self, rows: Sequence[ScoredInference]) -> object: ...
    def insert_feedback(self, rows: Sequence[ScoredFeedback]) -> object: ...
    def insert_dead_letters(self, rows: Sequence[DeadLetter]) -> object: ...


class RowWriter(Protocol):
    """The store as the sink sees it: its events repository."""

    @property
    def events(self) -> EventWriter: ...


class SinkStats:
    def __init__(self) -> None:
        self.inferences = 0
        self.feedback = 0
        self.dead_letters = 0
        self.batches = 0


class Sink:
    def __init__(self, settings: Settings, bootstrap_servers: str, store: RowWriter) -> None:
        self.settings = settings
        self.store = store
        self.health = Health()
        self.stats = SinkStats()
        self.metrics = default_metrics()
        self.dlq_topic = settings.topic("dlq")
        self._bootstrap_servers = bootstrap_servers
        self._consumer: AIOKafkaConsumer | None = None

    def _messages_per_insert(self) -> int:
        """Messages read per insert: about four worker batches' worth of rows."""
        ingest = self.settings.ingest
        return max(1, ingest.batch_size * 4 // ingest.rows_per_message)

    def _new_consumer(self) -> AIOKafkaConsumer:
        """The consumer of the scored and dead-letter topics, with the configured SASL/TLS settings."""
        settings = self.settings
        return aiokafka_consumer(
            settings.kafka,
            self._bootstrap_servers,
            settings.topic("scored"),
            self.dlq_topic,
            group_id=settings.kafka.sink_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._messages_per_insert(),
        )

    async def run(self) -> None:
        """Consume, insert, commit, until cancelled; an open batch is finished first."""
        self._consumer = self._new_consumer()
        await self._consumer.start()
        try:
            while True:
                batches = await self._consumer.getmany(
                    timeout_ms=int(self.settings.ingest.batch_timeout_s * 1000),
                    max_records=self._messages_per_insert(),
                )
                records = [record for partition_records in batches.values() for record in partition_records]
                if records:
                    await finish_even_if_cancelled(self._write_and_commit(records))
        finally:
            await self._consumer.stop()

    async def write_rows(
        self,
        inferences: list[ScoredInference],
        feedback: list[ScoredFeedback] | None = None,
        dead: list[DeadLetter] | None = None,
    ) -> None:
        """Insert rows, retrying until the store takes them (the health shows not-ready meanwhile).

        Workers in this process call it directly: their rows skip ``driftloop.scored``.
        """
        feedback, dead = feedback or [], dead or []
        loop = asyncio.get_running_loop()

        async def write() -> None:
            await loop.run_in_executor(None, self._write, inferences, feedback, dead)

        await retry_forever(write, "inserting into the store", self.health)
        self.stats.inferences += len(inferences)
        self.stats.feedback += len(feedback)
        self.stats.dead_letters += len(dead)
        self.stats.batches += 1

    async def _write_and_commit(self, records: list[ConsumerRecord]) -> None:
        await self.write_rows(*self._parse(records))
        await retry_forever(self._commit, "committing sink offsets", self.health)

    async def _commit(self) -> None:
        """Commit the batch; after a rebalance the group has moved on, so the batch is simply read again."""
        try:
            await self._consumer.commit()
        except CommitFailedError as exc:
            log.warning("sink offsets not committed (%s): the group rebalanced; the batch will be read again", exc)

    def _write(self, inferences: list[ScoredInference], feedback: list[ScoredFeedback], dead: list[DeadLetter]) -> None:
        with self.metrics.batch_seconds.labels(stage="insert").time():
            self._insert(inferences, feedback, dead)
        self.metrics.batch_size.labels(stage="insert").observe(len(inferences) + len(feedback) + len(dead))

    def _insert(
        self, inferences: list[ScoredInference], feedback: list[ScoredFeedback], dead: list[DeadLetter]
    ) -> None:
        if inferences:
            self.store.events.insert(inferences)
        if feedback:
            self.store.events.insert_feedback(feedback)
        if dead:
            self.store.events.insert_dead_letters(dead)

    def _parse(
        self, records: list[ConsumerRecord]
    ) -> tuple[list[ScoredInference], list[ScoredFeedback], list[DeadLetter]]:
        inferences: list[ScoredInference] = []
        feedback: list[ScoredFeedback] = []
        dead: list[DeadLetter] = []
        for record in records:
            try:
                if record.topic == self.dlq_topic:
                    dead.append(DeadLetter.model_validate_json(record.value))
                    continue
                rows = ScoredBatch.model_validate_json(record.value).records
            except ValidationError as exc:
                # Only driftloop's workers write these topics: an unreadable record is a bug, kept as a dead letter.
                log.error("unreadable internal record %s[%d]@%d", record.topic, record.partition, record.offset)
                dead.append(
                    DeadLetter(
                        source_topic=record.topic,
                        source_partition=record.partition,
                        source_offset=record.offset,
                        reason=f"unreadable internal record: {exc}"[:2000],
                        error_kind=RejectionKind.INVALID,
                        original=record.value or b"",
                        received_at=datetime.now(UTC),
                    )
                )
                continue
            for row in rows:
                (inferences if isinstance(row, ScoredInference) else feedback).append(row)
        return inferences, feedback, dead
