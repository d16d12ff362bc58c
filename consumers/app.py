"""The faust application: declared once, with small agents (see ``consumers.agents``).

Store ownership (README.md, "Store ownership"): ClickHouse's embedded engine lets one process own its data
dir. Workers inside that process insert their rows directly; workers in other processes publish
them to ``driftloop.scored``, which the owner's sink (``consumers.sink``) inserts. Either way the
source offsets are committed only after the insert (or the publish) succeeded.
"""

from __future__ import annotations

import faust

from consumers.transport import Transport
from infra.kafka import MAX_MESSAGE_BYTES
from infra.settings import Settings


class DriftloopApp(faust.App):
    """A faust app whose consumer uses driftloop's Kafka transport (see ``consumers.transport``)."""

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)


def create_faust_app(settings: Settings, bootstrap_servers: str) -> faust.App:
    kafka = settings.kafka
    return DriftloopApp(
        kafka.consumer_group,
        broker=[f"kafka://{server}" for server in bootstrap_servers.split(",")],
        broker_credentials=_credentials(settings),
        autodiscover=False,
        datadir=str(settings.data_dir / "faust"),
        key_serializer="raw",
        value_serializer="raw",
        topic_disable_leader=True,
        topic_allow_declare=False,
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        # The local broker holds a group join open for about the rebalance timeout: keep it short.
        broker_max_poll_interval=kafka.max_poll_interval_s,
        broker_rebalance_timeout=kafka.max_poll_interval_s,
        broker_session_timeout=kafka.max_poll_interval_s,
        broker_heartbeat_interval=min(3.0, kafka.max_poll_interval_s / 3),
        broker_commit_interval=1.0,
        producer_acks=-1,
        producer_linger=0.005,
        producer_max_request_size=MAX_MESSAGE_BYTES,
        stream_wait_empty=True,
    )


def _credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """SASL/TLS settings for faust's aiokafka clients, from the same settings as kafka-python's."""
    kafka = settings.kafka
    ssl_context = None
    if kafka.security_protocol in ("SSL", "SASL_SSL"):
        import ssl

        ssl_context = ssl.create_default_context(cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None)
        if kafka.ssl_certfile:
            ssl_context.load_cert_chain(str(kafka.ssl_certfile), str(kafka.ssl_keyfile) if kafka.ssl_keyfile else None)
    if kafka.sasl_mechanism:
        password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else ""
        return faust.SASLCredentials(
            username=kafka.sasl_username or "",
            password=password,
            mechanism=kafka.sasl_mechanism,
            ssl_context=ssl_context,
        )
    if ssl_context is not None:
        return faust.SSLCredentials(ssl_context)
    return None
