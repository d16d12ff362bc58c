"""Worker agents: validate, score and forward inference and feedback events.

Each batch is handled completely (scored rows stored, or published to ``driftloop.scored``
for the store's process; dead letters and alerts published and acknowledged by the broker)
before faust acknowledges its source messages, so source offsets are committed only once
the batch is stored or safely on its way to the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import faust
from faust.types import EventT

from consumers.decode import Rejection, decode_event
from consumers.privacy import Privacy
from consumers.retry import Health, finish_even_if_cancelled, retry_forever
from consumers.safety_alerts import safety_alerts
from consumers.scoring import BatchScorer, EmbeddedBatch
from consumers.sink import Sink
from infra.metrics import default_metrics
from infra.settings import Settings
from schemas import (
    DeadLetter,
    FeedbackEvent,
    InferenceEvent,
    ScoredBatch,
    ScoredFeedback,
    ScoredInference,
    TextLimits,
)

log = logging.getLogger(__name__)


class WorkerStats:
    def __init__(self) -> None:
        self.valid = 0
        self.dead_letters = 0
        self.alerts = 0

    def __str__(self) -> str:
        return f"{self.valid:,} events validated, {self.dead_letters:,} dead letters, {self.alerts:,} alerts"


SCORED_MESSAGE_BYTES = 900_000
"""Scored rows per internal message stop short of this size (Kafka's default message limit is 1 MB)."""


def scored_payloads(rows: Sequence[ScoredInference | ScoredFeedback], max_bytes: int) -> list[bytes]:
    """``ScoredBatch`` messages of ``rows``, halved until each fits ``max_bytes`` (one row always goes alone)."""
    payload = ScoredBatch(records=list(rows)).model_dump_json().encode()
    if len(payload) <= max_bytes or len(rows) <= 1:
        return [payload]
    half = len(rows) // 2
    return scored_payloads(rows[:half], max_bytes) + scored_payloads(rows[half:], max_bytes)


@dataclass
class BatchInFlight:
    """A batch from its decoding to its storing: source events (acknowledged last), valid events, dead letters
    and, once embedded, the vectors."""

    events: list[EventT]
    valid: list[InferenceEvent]
    dead: list[DeadLetter]
    embedded: EmbeddedBatch | None = None


class Worker:
    """The validating and scoring side of the pipeline, attached to a faust app.

    With ``sink`` (the worker runs in the process that owns the store) scored rows are inserted
    directly; without it they are published to ``driftloop.scored`` for that process's sink.
    """

    def __init__(self, app: faust.App, settings: Settings, scorer: BatchScorer, sink: Sink | None = None) -> None:
        self.app = app
        self.settings = settings
        self.scorer = scorer
        self.sink = sink
        self.health = Health()
        self.stats = WorkerStats()
        self.privacy = Privacy.from_settings(settings.privacy)
        self.metrics = default_metrics()
        self.limits = TextLimits(
            max_prompt_bytes=settings.ingest.max_text_bytes,
            max_response_bytes=settings.ingest.max_text_bytes,
            max_feedback_text_bytes=settings.ingest.max_text_bytes,
        )
        self.scored_topic = app.topic(settings.topic("scored"))
        self.dlq_topic = app.topic(settings.topic("dlq"))
        self.alerts_topic = app.topic(settings.topic("alerts"))
        batch, within = settings.ingest.batch_size, settings.ingest.batch_timeout_s
        self.assigned: set[str] = set()

        @app.on_partitions_assigned.connect
        async def on_assigned(app: faust.App, assigned: set, **kwargs: object) -> None:
            self.assigned = {f"{tp.topic}[{tp.partition}]" for tp in assigned}
            log.warning("worker assigned %d partitions: %s", len(assigned), ", ".join(sorted(self.assigned)))

        @app.agent(app.topic(settings.topic("inference")), name="driftloop.inference-agent")
        async def inference_agent(stream: faust.StreamT) -> None:
            # Three batches overlap: while batch N is embedded (every core), batch N+1 is taken from the
            # stream and decoded, and batch N-1's detectors run before it is stored and published.
            # Each batch is acknowledged only after its own finish, in order.
            embedding: asyncio.Task | None = None
            finishing: list[asyncio.Task] = []
            try:
                async for events in stream.noack_take(batch, within=within):
                    decoded = self.decode_inference(events)
                    if embedding is not None:
                        await embedding  # one batch embeds at a time
                    while finishing and (finishing[0].done() or len(finishing) > 1):
                        await finish_even_if_cancelled(finishing.pop(0))
                    embedding = asyncio.ensure_future(self.embed_inference(decoded))
                    after = finishing[-1] if finishing else None
                    finishing.append(asyncio.ensure_future(self.finish_inference(embedding, stream, after=after)))
            finally:
                if embedding is not None:
                    embedding.cancel()  # a batch cut short while embedding is not acknowledged: it is read again
                for task in finishing:
                    await finish_even_if_cancelled(task)

        @app.agent(app.topic(settings.topic("feedback")), name="driftloop.feedback-agent")
        async def feedback_agent(stream: faust.StreamT) -> None:
            async for events in stream.take_events(batch, within=within):
                await finish_even_if_cancelled(self.handle_feedback(events))

    def decode_inference(self, events: Sequence[EventT]) -> BatchInFlight:
        """Validate the batch's events; the invalid ones become dead letters."""
        valid: list[InferenceEvent] = []
        dead = []
        for event in events:
            decoded = decode_event(event.message.value, InferenceEvent, self.limits)
            if isinstance(decoded, Rejection):
                dead.append(self._dead_letter(event, decoded))
            else:
                valid.append(decoded)
        return BatchInFlight(events=list(events), valid=valid, dead=dead)

    async def embed_inference(self, batch: BatchInFlight) -> BatchInFlight:
        """Embed the batch's valid events (the phase that keeps every core busy)."""
        if batch.valid:
            batch.embedded = await asyncio.get_running_loop().run_in_executor(None, self._embed, batch.valid)
        return batch

    async def finish_inference(
        self, embedding: Awaitable[BatchInFlight], stream: faust.StreamT, after: asyncio.Future | None = None
    ) -> None:
        """Once the batch is embedded, run the detectors, then (once ``after``, the batch before, has finished)
        store or forward the rows, publish dead letters and alerts, and acknowledge the batch."""
        batch = await embedding
        loop = asyncio.get_running_loop()
        scored = await loop.run_in_executor(None, self._detect, batch.embedded) if batch.embedded else []
        if after is not None:
            await after
        alerts = safety_alerts(scored, self.settings.safety.alert_detectors)
        scored = [self.privacy.apply(row) for row in scored]
        messages = [(self.dlq_topic, None, letter.model_dump_json().encode()) for letter in batch.dead]
        messages += await self._store_or_forward(scored)
        messages += [(self.alerts_topic, alert.dedup_key, alert.model_dump_json().encode()) for alert in alerts]
        await retry_forever(lambda: self._publish(messages), "publishing scored inference", self.health)
        self.stats.valid += len(scored)
        self.stats.dead_letters += len(batch.dead)
        self.stats.alerts += len(alerts)
        self.metrics.events_ingested.labels(kind="inference", source="worker").inc(len(scored))
        self.metrics.last_stored.labels(kind="inference").set_to_current_time()
        for letter in batch.dead:
            self.metrics.dead_letters.labels(error_kind=letter.error_kind.value).inc()
        for event in batch.events:
            await stream.ack(event)

    async def handle_feedback(self, events: Sequence[EventT]) -> None:
        now = datetime.now(UTC)
        messages = []
        rows: list[ScoredFeedback] = []
        for event in events:
            decoded = decode_event(event.message.value, FeedbackEvent, self.limits)
            if isinstance(decoded, Rejection):
                messages.append((self.dlq_topic, None, self._dead_letter(event, decoded).model_dump_json().encode()))
                self.metrics.dead_letters.labels(error_kind=decoded.kind.value).inc()
                self.stats.dead_letters += 1
            else:
                rows.append(self.privacy.apply_feedback(ScoredFeedback(feedback=decoded, received_at=now)))
                self.metrics.events_ingested.labels(kind="feedback", source="worker").inc()
                self.stats.valid += 1
        messages += await self._store_or_forward(rows)
        await retry_forever(lambda: self._publish(messages), "publishing feedback", self.health)
        self.metrics.last_stored.labels(kind="feedback").set_to_current_time()

    def _embed(self, events: list[InferenceEvent]) -> EmbeddedBatch:
        with self.metrics.batch_seconds.labels(stage="embed").time():
            embedded = self.scorer.embed(events)
        self.metrics.batch_size.labels(stage="embed").observe(len(events))
        return embedded

    def _detect(self, embedded: EmbeddedBatch) -> list[ScoredInference]:
        with self.metrics.batch_seconds.labels(stage="detect").time():
            return self.scorer.detect(embedded)

    async def _store_or_forward(
        self, rows: Sequence[ScoredInference] | Sequence[ScoredFeedback]
    ) -> list[tuple[faust.TopicT, str | None, bytes]]:
        """Store the rows here if this process owns the store; otherwise the messages that carry them there."""
        if self.sink is None:
            return self._scored_messages(rows)
        inferences = [row for row in rows if isinstance(row, ScoredInference)]
        feedback = [row for row in rows if isinstance(row, ScoredFeedback)]
        if rows:
            await self.sink.write_rows(inferences, feedback)
        return []

    def _scored_messages(
        self, rows: Sequence[ScoredInference | ScoredFeedback]
    ) -> list[tuple[faust.TopicT, str | None, bytes]]:
        size = self.settings.ingest.rows_per_message
        return [
            (self.scored_topic, None, payload)
            for i in range(0, len(rows), size)
            for payload in scored_payloads(rows[i : i + size], SCORED_MESSAGE_BYTES)
        ]

    def _dead_letter(self, event: EventT, rejection: Rejection) -> DeadLetter:
        message = event.message
        log.info("dead letter from %s[%d]@%d: %s", message.topic, message.partition, message.offset, rejection.reason)
        return DeadLetter(
            source_topic=message.topic,
            source_partition=message.partition,
            source_offset=message.offset,
            reason=rejection.reason,
            error_kind=rejection.kind,
            original=message.value or b"",
            received_at=datetime.now(UTC),
        )

    async def _publish(self, messages: list[tuple[faust.TopicT, str | None, bytes]]) -> None:
        """Send every message now (not as a faust attachment) and wait until the broker has them all."""
        pending = [
            await topic.send(key=key.encode() if key else None, value=value, force=True)
            for topic, key, value in messages
        ]
        await asyncio.gather(*pending)
