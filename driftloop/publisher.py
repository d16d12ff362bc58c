"""The Python SDK: publish inference and feedback events to driftloop's Kafka topics.

>>> from datetime import datetime, UTC
>>> from schemas import InferenceEvent
>>> event = InferenceEvent(event_id="e-1", event_time=datetime.now(UTC), app="bot", model="m",
...                        prompt="hi", response="hello")
>>> with Publisher("127.0.0.1:9", connect_timeout_s=0.5) as publisher:  # doctest: +SKIP
...     publisher.publish_inference(event)
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from types import TracebackType
from typing import Any

from kafka.errors import KafkaError, KafkaTimeoutError
from pydantic import ValidationError

from driftloop.errors import BrokerUnavailable, InvalidEvent, PublishError
from infra.kafka import kafka_producer
from infra.settings import Settings, TopicRole
from schemas import FeedbackEvent, InferenceEvent


class Publisher:
    """Publishes events with ``acks=all``, batched by the client; keyed by event id.

    Events are validated before they are sent, so schema errors surface at the caller.
    Use as a context manager, or call ``close()``: both flush what is still buffered.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        settings: Settings | None = None,
        *,
        linger_ms: int = 5,
        connect_timeout_s: float = 10.0,
        delivery_timeout_s: float = 30.0,
    ) -> None:
        self.settings = settings or Settings()
        self.bootstrap_servers = bootstrap_servers
        try:
            self._producer = kafka_producer(
                self.settings.kafka,
                bootstrap_servers,
                acks="all",
                linger_ms=linger_ms,
                batch_size=256 * 1024,
                max_request_size=8 * 1024 * 1024,
                bootstrap_timeout_ms=int(connect_timeout_s * 1000),
                delivery_timeout_ms=int(delivery_timeout_s * 1000),
                request_timeout_ms=int(min(delivery_timeout_s / 2, 30) * 1000),
            )
        except KafkaTimeoutError as exc:
            raise BrokerUnavailable(
                f"no Kafka broker answered at {bootstrap_servers} within {connect_timeout_s:g}s "
                "(is `driftloop up` running, or is kafka.bootstrap_servers right?)"
            ) from exc
        except KafkaError as exc:
            raise BrokerUnavailable(f"cannot connect to Kafka at {bootstrap_servers}: {exc}") from exc

        self._pending: list[Future] = []

    def publish_inference(self, event: InferenceEvent | Mapping[str, Any]) -> Future:
        event = _validated(InferenceEvent, event)
        return self.publish_raw("inference", event.model_dump_json().encode(), key=event.event_id)

    def publish_feedback(self, feedback: FeedbackEvent | Mapping[str, Any]) -> Future:
        feedback = _validated(FeedbackEvent, feedback)
        return self.publish_raw("feedback", feedback.model_dump_json().encode(), key=feedback.event_id)

    def publish_raw(self, role: TopicRole, value: bytes, key: str | None = None) -> Future:
        """Send bytes as they are (no validation): malformed ones end up in the dead-letter topic."""
        try:
            future = self._producer.send(self.settings.topic(role), value=value, key=key.encode() if key else None)
        except KafkaError as exc:
            raise PublishError(f"could not publish to {self.settings.topic(role)}: {exc}") from exc
        self._pending.append(future)
        if len(self._pending) >= 10_000:  # keep only what flush() still has to check
            self._pending = [f for f in self._pending if not f.succeeded()]
        return future

    def flush(self, timeout_s: float | None = None) -> None:
        """Wait until every event sent so far is acknowledged; raise if any of them was not."""
        pending, self._pending = self._pending, []
        try:
            self._producer.flush(timeout=timeout_s)
        except KafkaError as exc:
            raise PublishError(f"events not acknowledged by the broker at {self.bootstrap_servers}: {exc}") from exc
        failed = [future.exception for future in pending if future.failed()]
        if failed:
            raise PublishError(
                f"{len(failed)} of {len(pending)} events were not acknowledged by the broker at "
                f"{self.bootstrap_servers}: {failed[0]!r}"
            )

    def close(self, timeout_s: float | None = 30.0) -> None:
        try:
            self.flush(timeout_s)
        finally:
            self._producer.close(timeout=timeout_s)

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _validated(model: type, value: Any) -> Any:
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise InvalidEvent(f"invalid {model.__name__}: {exc}") from exc
