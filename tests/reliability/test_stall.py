"""``driftloop up`` stalls (SIGSTOP) for longer than ``kafka.max_poll_interval_s`` with a backlog: its worker leaves
the group, rejoins once the process runs again, and every event is stored exactly once."""

from __future__ import annotations

import signal
import time

import pytest

from tests.integration.events import inference_events
from tests.reliability.support import BackgroundPublisher, wait_for_log

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

STALL_S = 15.0
"""Longer than the default ``kafka.max_poll_interval_s`` (10 s)."""


def inference_count(status: dict) -> int:
    return status["table_counts"]["inference"]


def test_service_stalled_with_a_backlog_rejoins_and_stores_every_event_once(
    service_factory, isolated_env, local_broker
):
    """The backlog fills the agent's buffer, so faust is not fetching when the process stops; after the stall
    aiokafka finds the consumer idle past the poll interval and leaves the group. faust's revocation stops
    fetching until the next assignment, so the worker rejoins only because ``consumers.transport`` counts the
    rebalance as fetching."""
    service = service_factory()
    wait_for_log(service, r"worker assigned (\d+) partitions")
    events = inference_events(30_000, prefix="stall")
    publisher = BackgroundPublisher(local_broker.bootstrap_servers, isolated_env, events, rate=20_000)
    publisher.start()
    service.wait_for(lambda s: inference_count(s) > 0)
    assert service.process is not None
    service.process.send_signal(signal.SIGSTOP)
    try:
        time.sleep(STALL_S)
    finally:
        service.process.send_signal(signal.SIGCONT)
    publisher.finish()
    wait_for_log(service, r"UnknownMemberIdError", timeout_s=30)  # the stall did evict the worker
    wait_for_log(service, r"worker assigned (\d+) partitions", timeout_s=60, count=2)
    service.wait_for(
        lambda s: (
            inference_count(s) >= len(events) and s["consumer_lag"] and all(x["lag"] == 0 for x in s["consumer_lag"])
        ),
        timeout_s=60,
    )
    time.sleep(2)
    assert inference_count(service.status()) == len(events)
    assert service.stop() == 0
