"""Topic management with kafka-python's admin client."""

from __future__ import annotations

import logging
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError

from infra.kafka.clients import MAX_MESSAGE_BYTES, kafka_admin_client
from infra.settings import TOPIC_ROLES, Settings
from schemas.errors import BrokerUnavailable

log = logging.getLogger(__name__)


def ensure_topics(settings: Settings, bootstrap_servers: str, timeout_s: float = 30.0) -> list[str]:
    """Create driftloop's topics that do not exist yet; return every topic name.

    Existing topics are left as they are (their partition count is not changed).
    """
    names = [settings.topic(role) for role in TOPIC_ROLES]
    deadline = time.monotonic() + timeout_s
    try:
        admin = kafka_admin_client(
            settings.kafka, bootstrap_servers, client_id="driftloop-admin", bootstrap_timeout_ms=int(timeout_s * 1000)
        )
    except KafkaTimeoutError as exc:
        raise BrokerUnavailable(f"no Kafka broker reachable at {bootstrap_servers}") from exc
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(
                name,
                settings.kafka.partitions,
                settings.kafka.replication_factor,
                topic_configs={"max.message.bytes": str(MAX_MESSAGE_BYTES)},
            )
            for name in names
            if name not in existing
        ]
        if missing:
            try:
                admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
            except KafkaError as exc:
                if "TopicAlreadyExists" not in repr(exc):
                    raise
            log.info("created topics %s", [t.name for t in missing])
        _wait_until_listed(admin, names, deadline)
    finally:
        admin.close()
    return names


def _wait_until_listed(admin: KafkaAdminClient, names: list[str], deadline: float) -> None:
    while not set(names) <= set(admin.list_topics()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics not visible after creation: {names}")
        time.sleep(0.2)
