"""Every Kafka client driftloop creates, built from one :class:`~infra.settings.KafkaSettings`.

One function per kind of client: kafka-python's producer, consumer and admin client, aiokafka's consumer
(the store's sink), and the broker options of the faust app. Each applies the connection settings
(bootstrap servers, security protocol, SASL, TLS) and the limits driftloop relies on (message size,
poll interval), and takes the options of one use (group id, acks, linger, ...) as keyword arguments.
Those may replace a default limit, never a connection setting: a client that connects differently from
the others cannot be built here, and no Kafka client is built anywhere else.

>>> from infra.settings import KafkaSettings
>>> kafka = KafkaSettings(security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-512",
...                       sasl_username="driftloop", sasl_password="secret")
>>> options = faust_broker_options(kafka, "k1:9092,k2:9092")
>>> options["broker"], options["broker_credentials"].mechanism.value
(['kafka://k1:9092', 'kafka://k2:9092'], 'SCRAM-SHA-512')
>>> kafka_producer(kafka, "k1:9092", security_protocol="PLAINTEXT")
Traceback (most recent call last):
...
TypeError: security_protocol is a connection setting, taken from KafkaSettings only
"""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from infra.settings import KafkaSettings
from schemas.errors import BrokerUnavailable

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
"""Largest message driftloop writes (topic ``max.message.bytes``, producers' request size).

A dead letter carries its original message base64-encoded, a third larger than what the broker
accepted from the application, so driftloop's own topics take more than Kafka's 1 MB default.
"""


def kafka_producer(kafka: KafkaSettings, bootstrap_servers: str, **options: Any) -> KafkaProducer:
    """A kafka-python ``KafkaProducer``; ``options`` are its keyword arguments (``acks``, ``linger_ms``, ...)."""
    connection = _kafka_python_connection(kafka, bootstrap_servers)
    return KafkaProducer(**_merged(connection, {"max_request_size": MAX_MESSAGE_BYTES}, options))


def kafka_consumer(kafka: KafkaSettings, bootstrap_servers: str, *topics: str, **options: Any) -> KafkaConsumer:
    """A kafka-python ``KafkaConsumer`` subscribed to ``topics`` (none: assign partitions yourself)."""
    connection = _kafka_python_connection(kafka, bootstrap_servers)
    return KafkaConsumer(*topics, **_merged(connection, _consumer_defaults(kafka), options))


def kafka_admin_client(kafka: KafkaSettings, bootstrap_servers: str, **options: Any) -> KafkaAdminClient:
    """A kafka-python ``KafkaAdminClient``."""
    return KafkaAdminClient(**_merged(_kafka_python_connection(kafka, bootstrap_servers), {}, options))


def aiokafka_consumer(kafka: KafkaSettings, bootstrap_servers: str, *topics: str, **options: Any) -> AIOKafkaConsumer:
    """An aiokafka ``AIOKafkaConsumer`` subscribed to ``topics``; build it inside the event loop that uses it."""
    connection = _aiokafka_connection(kafka, bootstrap_servers)
    defaults = {**_consumer_defaults(kafka), "max_partition_fetch_bytes": MAX_MESSAGE_BYTES}
    return AIOKafkaConsumer(*topics, **_merged(connection, defaults, options))


def faust_broker_options(kafka: KafkaSettings, bootstrap_servers: str, **options: Any) -> dict[str, Any]:
    """Keyword arguments of a faust app for its broker: URLs, credentials, timeouts, request size.

    faust builds its aiokafka clients from ``broker_credentials`` (``app.conf.broker_credentials``).
    """
    interval_s = kafka.max_poll_interval_s
    connection = {
        "broker": [f"kafka://{server}" for server in _servers(bootstrap_servers)],
        "broker_credentials": _faust_credentials(kafka),
    }
    defaults = {
        # The local broker holds a group join open for about the rebalance timeout: keep it short.
        "broker_max_poll_interval": interval_s,
        "broker_rebalance_timeout": interval_s,
        "broker_session_timeout": interval_s,
        "broker_heartbeat_interval": min(3.0, interval_s / 3),
        "producer_max_request_size": MAX_MESSAGE_BYTES,
    }
    return _merged(connection, defaults, options)


def _merged(connection: dict[str, Any], defaults: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    overridden = sorted(options.keys() & connection.keys())
    if overridden:
        raise TypeError(f"{', '.join(overridden)} is a connection setting, taken from KafkaSettings only")
    return {**defaults, **options, **connection}


def _consumer_defaults(kafka: KafkaSettings) -> dict[str, Any]:
    return {"max_poll_interval_ms": int(kafka.max_poll_interval_s * 1000)}


def _servers(bootstrap_servers: str) -> list[str]:
    servers = [server.strip() for server in bootstrap_servers.split(",") if server.strip()]
    if not servers:
        raise BrokerUnavailable(
            f"no Kafka bootstrap server in {bootstrap_servers!r} (kafka.bootstrap_servers: host:port[,host:port])"
        )
    return servers


def _sasl(kafka: KafkaSettings) -> dict[str, Any]:
    """SASL keyword arguments; empty without SASL (``KafkaSettings`` checks that protocol and mechanism agree)."""
    if not kafka.security_protocol.startswith("SASL_"):
        return {}
    return {
        "sasl_mechanism": kafka.sasl_mechanism,
        "sasl_plain_username": kafka.sasl_username,
        "sasl_plain_password": kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
    }


def _uses_tls(kafka: KafkaSettings) -> bool:
    return kafka.security_protocol in ("SSL", "SASL_SSL")


def _connection(kafka: KafkaSettings, bootstrap_servers: str) -> dict[str, Any]:
    """Servers, protocol and SASL: the same keyword arguments in kafka-python and aiokafka."""
    return {
        "bootstrap_servers": _servers(bootstrap_servers),
        "security_protocol": kafka.security_protocol,
        **_sasl(kafka),
    }


def _kafka_python_connection(kafka: KafkaSettings, bootstrap_servers: str) -> dict[str, Any]:
    connection = _connection(kafka, bootstrap_servers)
    if _uses_tls(kafka):
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            path = getattr(kafka, name)
            if path is not None:
                connection[name] = str(path)
    return connection


def _aiokafka_connection(kafka: KafkaSettings, bootstrap_servers: str) -> dict[str, Any]:
    connection = _connection(kafka, bootstrap_servers)
    if _uses_tls(kafka):
        connection["ssl_context"] = _ssl_context(kafka)
    return connection


def _ssl_context(kafka: KafkaSettings) -> ssl.SSLContext:
    """The TLS context of aiokafka and faust clients: the configured CA (else the system's), client cert if set."""
    context = ssl.create_default_context(cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None)
    if kafka.ssl_certfile:
        context.load_cert_chain(str(kafka.ssl_certfile), str(kafka.ssl_keyfile) if kafka.ssl_keyfile else None)
    return context


def _faust_credentials(kafka: KafkaSettings) -> Any:
    """faust's ``broker_credentials``: SASL (over TLS with SASL_SSL), TLS alone, or ``None`` for PLAINTEXT."""
    from faust.auth import SASLCredentials, SSLCredentials  # faust is imported only where a faust app is built

    sasl = _sasl(kafka)
    context = _ssl_context(kafka) if _uses_tls(kafka) else None
    if sasl:
        return SASLCredentials(
            username=sasl["sasl_plain_username"] or "",
            password=sasl["sasl_plain_password"] or "",
            mechanism=sasl["sasl_mechanism"],
            ssl_context=context,
        )
    if context is not None:
        return SSLCredentials(context)
    return None
