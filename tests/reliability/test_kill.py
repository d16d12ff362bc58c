"""SIGKILL of ``driftloop up`` and of ``driftloop worker`` processes: every event is stored exactly once."""

from __future__ import annotations

import random
import time

import pytest

from tests.integration.events import inference_events
from tests.reliability.support import BackgroundPublisher, publish, validated_count, wait_for_log

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

KILL_TRIALS = 5
SEED = 20261101


def inference_count(status: dict) -> int:
    return status["table_counts"]["inference"]


def settle_and_count(service, expected: int, timeout_s: float = 240) -> int:
    """Wait for ``expected`` events and drained lag, give stragglers a moment, return the stored count."""
    service.wait_for(
        lambda s: (
            inference_count(s) >= expected and s["consumer_lag"] and all(x["lag"] == 0 for x in s["consumer_lag"])
        ),
        timeout_s=timeout_s,
    )
    time.sleep(2)
    return inference_count(service.status())


def test_service_killed_at_random_points_stores_every_event_once(service_factory, isolated_env, local_broker):
    """Each trial publishes while the service runs and kills it after a random delay (seeded).

    With 500-event worker batches and a sink insert every ~2,000 rows, the delays land before a
    batch's insert, during it, and between insert and commit; the restarted service redelivers
    what was not committed and the store's deduplication keeps one row per event.
    """
    rng = random.Random(SEED)
    per_trial = 3_000
    events = inference_events(per_trial * KILL_TRIALS, prefix="sigkill")
    delays = []
    for trial in range(KILL_TRIALS):
        service = service_factory()
        chunk = events[trial * per_trial : (trial + 1) * per_trial]
        publisher = BackgroundPublisher(local_broker.bootstrap_servers, isolated_env, chunk, rate=3_000)
        publisher.start()
        if trial == 0:
            service.wait_for(lambda s: inference_count(s) > 0)
        delay = rng.uniform(0.2, 2.5)
        delays.append(round(delay, 2))
        time.sleep(delay)
        stored_before_kill = inference_count(service.status())
        service.kill()
        publisher.finish()
        assert stored_before_kill <= (trial + 1) * per_trial
    final = service_factory()
    stored = settle_and_count(final, len(events))
    assert stored == len(events), f"kill delays {delays}: stored {stored} of {len(events)}"
    assert final.status()["dead_letters"] == 0
    assert final.stop() == 0


def test_workers_killed_while_the_service_runs_lose_nothing(
    service_factory, worker_factory, isolated_env, local_broker
):
    """Two extra workers; one is SIGKILLed twice mid-stream and replaced; the group rebalances each time."""
    rng = random.Random(SEED + 1)
    service = service_factory(DRIFTLOOP_KAFKA__PARTITIONS="6")
    victim = worker_factory()
    survivor = worker_factory()
    for process in (victim, survivor):
        wait_for_log(process, r"worker assigned (\d+) partitions")
    events = inference_events(12_000, prefix="wkill")
    publisher = BackgroundPublisher(local_broker.bootstrap_servers, isolated_env, events, rate=1_500)
    publisher.start()
    for _ in range(2):
        time.sleep(rng.uniform(1.5, 3.5))
        victim.kill()
        victim = worker_factory()
    publisher.finish()
    stored = settle_and_count(service, len(events))
    assert stored == len(events)
    assert service.process.poll() is None
    assert survivor.stop() == 0
    assert validated_count(survivor) > 0, "the surviving worker must have taken part"


def test_republished_history_after_kills_is_still_stored_once(service_factory, isolated_env, local_broker):
    """Producers retry too: a batch published again after a crash adds no rows."""
    service = service_factory()
    events = inference_events(2_000, prefix="again")
    publish(local_broker.bootstrap_servers, isolated_env, events)
    service.wait_for(lambda s: inference_count(s) > 0)
    service.kill()
    restarted = service_factory()
    publish(local_broker.bootstrap_servers, isolated_env, events)
    assert settle_and_count(restarted, len(events)) == len(events)
