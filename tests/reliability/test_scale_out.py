"""Scale-out: two ``driftloop worker`` processes and ``driftloop up`` share six partitions in one group."""

from __future__ import annotations

import time

import pytest

from tests.integration.events import inference_events
from tests.reliability.support import assigned_partitions, publish, validated_count, wait_for_log

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


def test_two_workers_and_the_service_split_six_partitions_and_store_each_event_once(
    service_factory, worker_factory, isolated_env, local_broker
):
    service = service_factory(DRIFTLOOP_KAFKA__PARTITIONS="6")
    workers = [worker_factory(), worker_factory()]
    for worker in workers:
        wait_for_log(worker, r"worker assigned (\d+) partitions")
    time.sleep(5)  # let the last rebalance settle on all three members
    events = inference_events(9_000, prefix="scale")
    publish(local_broker.bootstrap_servers, isolated_env, events)
    service.wait_for(lambda s: s["table_counts"]["inference"] >= len(events), timeout_s=180)
    time.sleep(2)
    assert service.status()["table_counts"]["inference"] == len(events)
    for worker in workers:
        assert worker.stop() == 0
        # a worker's last assignment covers inference and feedback partitions: at least one of each
        assert assigned_partitions(worker)[-1] >= 2, worker.log()[-2000:]
        assert validated_count(worker) > 0, "every worker process must have validated events"
    assert service.stop() == 0
    assert sum(validated_count(w) for w in workers) + validated_count(service) >= len(events)
