"""Kafka adapters: the one client factory, topic management, and the local broker for one machine."""

from infra.kafka.admin import ensure_topics
from infra.kafka.clients import (
    MAX_MESSAGE_BYTES,
    aiokafka_consumer,
    faust_broker_options,
    kafka_admin_client,
    kafka_consumer,
    kafka_producer,
)
from infra.kafka.local_broker import LocalBroker
from schemas.errors import LocalBrokerError

__all__ = [
    "MAX_MESSAGE_BYTES",
    "LocalBroker",
    "LocalBrokerError",
    "aiokafka_consumer",
    "ensure_topics",
    "faust_broker_options",
    "kafka_admin_client",
    "kafka_consumer",
    "kafka_producer",
]
