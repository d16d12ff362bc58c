"""Where alerts go: the ``driftloop.alerts`` topic, webhooks, and the log.

A sink's ``send`` either returns (the sink accepted the alert) or raises :class:`DeliveryError`;
retrying and remembering what is still undelivered is the outbox's job (``monitor.alerting.outbox``).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import httpx

from infra.kafka import kafka_producer
from infra.settings import Settings, WebhookTarget
from monitor.alerting.payloads import alert_headers, body
from schemas import Alert, AlertState
from schemas.errors import DeliveryError

log = logging.getLogger(__name__)

KAFKA_SINK = "kafka"


class AlertSink(Protocol):
    name: str

    def send(self, alert: Alert) -> None: ...


class KafkaAlertSink:
    """Publishes each alert as JSON to the alerts topic, keyed by its dedup key (one partition per alert)."""

    name = KAFKA_SINK

    def __init__(self, producer: Any, topic: str, timeout_s: float = 10.0) -> None:
        self.producer = producer
        self.topic = topic
        self.timeout_s = timeout_s

    def send(self, alert: Alert) -> None:
        try:
            future = self.producer.send(
                self.topic, key=alert.dedup_key.encode(), value=alert.model_dump_json().encode()
            )
            future.get(timeout=self.timeout_s)
        except Exception as exc:
            raise DeliveryError(f"kafka topic {self.topic}: {exc}") from exc


class WebhookSink:
    """POSTs the alert (generic JSON or Slack format), HMAC-signed when the target has a secret."""

    def __init__(self, target: WebhookTarget, client: httpx.Client | None = None) -> None:
        self.target = target
        self.name = f"webhook:{target.name}"
        self._client = client or httpx.Client(timeout=target.timeout_s)

    def send(self, alert: Alert) -> None:
        payload = body(alert, self.target.format)
        secret = self.target.secret.get_secret_value() if self.target.secret else None
        headers = alert_headers(alert, payload, secret)
        try:
            response = self._client.post(self.target.url, content=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise DeliveryError(f"{self.name}: HTTP {response.status_code}")

    def close(self) -> None:
        self._client.close()


def log_alert(alert: Alert) -> None:
    """The log sink: one line per transition, right away (it needs no retry)."""
    level = logging.INFO if alert.state is AlertState.RESOLVED else logging.WARNING
    log.log(level, "ALERT %s [%s/%s] %s", alert.alert_id, alert.state.value, alert.severity.value, alert.summary)


def alert_producer(settings: Settings, bootstrap_servers: str) -> Any:
    """A kafka-python producer for the alerts topic, with the configured security settings."""
    return kafka_producer(settings.kafka, bootstrap_servers, acks="all", linger_ms=0)


def configured_sinks(settings: Settings, producer: Any | None) -> list[AlertSink]:
    """The Kafka sink (when a producer is given) and one sink per configured webhook."""
    sinks: list[AlertSink] = []
    if producer is not None:
        sinks.append(KafkaAlertSink(producer, settings.topic("alerts")))
    sinks.extend(WebhookSink(target) for target in settings.monitor.webhooks)
    return sinks
