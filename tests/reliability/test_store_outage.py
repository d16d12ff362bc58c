"""The store stops accepting inserts: the sink backs off, commits nothing, reports not ready, then catches up.

The sink runs in this process against the real embedded store; a worker process scores events on the
real broker. The outage is real: the ``inference`` table is detached from the engine (inserts fail
with UNKNOWN_TABLE) and attached again later.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator

import pytest

from consumers.sink import Sink
from infra.kafka import ensure_topics
from infra.store import Store, connect
from tests.conftest import settings_from
from tests.integration.events import inference_events
from tests.reliability.support import committed_offsets, end_offsets, publish, wait_for_log

pytestmark = pytest.mark.reliability


class SinkThread:
    """A :class:`Sink` on its own event loop in a thread, stopped the way the service stops it (cancel)."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.loop = asyncio.new_event_loop()
        self.task: asyncio.Task | None = None
        self.thread = threading.Thread(target=self._run, name="sink-under-test", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.task = self.loop.create_task(self.sink.run())
        with contextlib.suppress(asyncio.CancelledError):
            self.loop.run_until_complete(self.task)

    def start(self) -> SinkThread:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.task is not None:
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(60)
        assert not self.thread.is_alive(), "the sink did not stop"


def wait_until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def store(isolated_env) -> Iterator[Store]:
    with connect(settings_from(isolated_env)) as opened:
        yield opened


def set_table_attached(store: Store, table: str, attached: bool) -> None:
    # the test reaches into the engine to take the table away and give it back
    store._client.command(f"{'ATTACH' if attached else 'DETACH'} TABLE {table}")


def test_sink_holds_offsets_while_the_store_is_down_and_catches_up_once(
    store, worker_factory, isolated_env, local_broker
):
    settings = settings_from(isolated_env)
    bootstrap = local_broker.bootstrap_servers
    ensure_topics(settings, bootstrap)
    worker = worker_factory()
    wait_for_log(worker, r"worker assigned (\d+) partitions")
    group = settings.kafka.sink_group
    scored = settings.topic("scored")

    set_table_attached(store, "inference", attached=False)
    sink = Sink(settings, bootstrap, store)
    runner = SinkThread(sink).start()
    try:
        events = inference_events(1_500, prefix="outage")
        publish(bootstrap, isolated_env, events)
        wait_until(lambda: not sink.health.ready, 60, "the sink to report not ready")
        assert "inserting into the store" in (sink.health.last_error or "")
        time.sleep(3)  # several back-off rounds
        assert not sink.health.ready
        assert sink.stats.batches == 0
        assert not any(tp.topic == scored for tp in committed_offsets(settings, bootstrap, group)), (
            "nothing may be committed while the store refuses the insert"
        )

        set_table_attached(store, "inference", attached=True)
        wait_until(lambda: store.events.count() >= len(events), 120, "every event to arrive")
        wait_until(lambda: sink.health.ready, 30, "the sink to report ready again")
        ends = {tp: end for tp, end in end_offsets(settings, bootstrap, scored).items() if end > 0}
        wait_until(
            lambda: all(committed_offsets(settings, bootstrap, group).get(tp, -1) >= end for tp, end in ends.items()),
            60,
            "the sink to commit up to the end of the scored topic",
        )
    finally:
        runner.stop()
    assert store.events.count() == len(events)
    assert store.table_counts()["safety_scores"] >= 0
    assert worker.stop() == 0
