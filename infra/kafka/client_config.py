"""Connection settings shared by every Kafka client driftloop creates (kafka-python and aiokafka)."""

from __future__ import annotations

from typing import Any

from infra.settings import KafkaSettings


def kafka_client_config(kafka: KafkaSettings, bootstrap_servers: str) -> dict[str, Any]:
    """kafka-python keyword arguments for the configured security settings (SASL/TLS passed through)."""
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers.split(","),
        "security_protocol": kafka.security_protocol,
    }
    if kafka.sasl_mechanism:
        config["sasl_mechanism"] = kafka.sasl_mechanism
        config["sasl_plain_username"] = kafka.sasl_username
        config["sasl_plain_password"] = kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
    for key in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        value = getattr(kafka, key)
        if value is not None:
            config[key] = str(value)
    return config
