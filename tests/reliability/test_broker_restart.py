"""The local broker restarts on the same port: the Publisher and the workers reconnect.

The local broker keeps everything in memory (see docs/operations.md): a restart loses its topics,
the messages in them and the consumer groups' committed offsets. What was stored before the restart
stays stored; what is published after it flows through once the clients have reconnected.
"""

from __future__ import annotations

import time

import pytest

from driftloop import Publisher
from infra.kafka import LocalBroker
from tests.conftest import settings_from
from tests.integration.events import inference_events
from tests.reliability.support import wait_for_log

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


@pytest.fixture
def own_broker(tmp_path):
    broker = LocalBroker(log_path=tmp_path / "own-broker.log").start()
    yield broker
    broker.stop()


def test_publisher_and_workers_reconnect_after_a_broker_restart(
    own_broker, service_factory, worker_factory, isolated_env
):
    env = {**isolated_env, "DRIFTLOOP_KAFKA__BOOTSTRAP_SERVERS": own_broker.bootstrap_servers}
    isolated_env.update(env)  # the worker factory reads the same dict
    service = service_factory()
    worker = worker_factory()
    wait_for_log(worker, r"worker assigned (\d+) partitions")
    before = inference_events(1_000, prefix="before")
    after = inference_events(1_000, prefix="after")
    with Publisher(own_broker.bootstrap_servers, settings_from(env), delivery_timeout_s=60) as publisher:
        for event in before:
            publisher.publish_inference(event)
        publisher.flush()
    service.wait_for(lambda s: s["table_counts"]["inference"] >= len(before))

    own_broker.stop()
    time.sleep(2)
    own_broker.start()

    # Once both group members have rejoined (their second assignment), what is published flows through.
    wait_for_log(worker, r"worker assigned (\d+) partitions", timeout_s=120, count=2)
    wait_for_log(service, r"worker assigned (\d+) partitions", timeout_s=120, count=2)
    with Publisher(own_broker.bootstrap_servers, settings_from(env), delivery_timeout_s=60) as publisher:
        for event in after:
            publisher.publish_inference(event)
    expected = len(before) + len(after)
    service.wait_for(lambda s: s["table_counts"]["inference"] >= expected, timeout_s=240)
    time.sleep(2)
    assert service.status()["table_counts"]["inference"] == expected
    assert service.process.poll() is None and worker.process.poll() is None
