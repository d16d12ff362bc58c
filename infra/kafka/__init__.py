"""Kafka adapters: client configuration, topic management, and the local broker for one machine."""

from infra.kafka.admin import MAX_MESSAGE_BYTES, ensure_topics
from infra.kafka.client_config import kafka_client_config
from infra.kafka.local_broker import LocalBroker
from schemas.errors import LocalBrokerError

__all__ = ["MAX_MESSAGE_BYTES", "LocalBroker", "LocalBrokerError", "ensure_topics", "kafka_client_config"]
