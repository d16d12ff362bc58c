"""The faust application: declared once, with small agents (see ``consumers.agents``).

Store ownership (README.md, "Store ownership"): ClickHouse's embedded engine lets one process own its data
dir. Workers inside that process insert their rows directly; workers in other processes publish
them to ``driftloop.scored``, which the owner's sink (``consumers.sink``) inserts. Either way the
source offsets are committed only after the insert (or the publish) succeeded.
"""

from __future__ import annotations

import faust

from consumers.transport import Transport
from infra.kafka import faust_broker_options
from infra.settings import Settings


class DriftloopApp(faust.App):
    """A faust app whose consumer uses driftloop's Kafka transport (see ``consumers.transport``)."""

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)


def create_faust_app(settings: Settings, bootstrap_servers: str) -> faust.App:
    """The worker app; its broker, credentials and client timeouts come from ``infra.kafka``'s factory."""
    kafka = settings.kafka
    broker = faust_broker_options(
        kafka,
        bootstrap_servers,
        broker_commit_interval=1.0,
        producer_acks=-1,
        producer_linger=0.005,
    )
    return DriftloopApp(
        kafka.consumer_group,
        **broker,
        autodiscover=False,
        datadir=str(settings.data_dir / "faust"),
        key_serializer="raw",
        value_serializer="raw",
        topic_disable_leader=True,
        topic_allow_declare=False,
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        stream_wait_empty=True,
    )
