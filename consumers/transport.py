"""faust's Kafka transport, with a broker fetch wait short enough for a stream that must keep up.

faust's aiokafka driver asks the broker to hold each fetch for up to 1.5 s while it has no new
records. aiokafka keeps one fetch in flight per broker and leaves out partitions whose records
it still buffers, so a fetch for caught-up partitions holds back the next fetch of a partition
with a backlog for as long as the broker waits. With faust's wait, a worker on the local broker
stalls for 0.5-1.5 s several times per 40,000 events and the ingest benchmark's rate varies by a
third between runs. Kafka's own consumer waits 0.5 s by default; driftloop waits less, which
costs an idle worker a few empty fetches a second.

aiokafka rejoins a group only if its consumer fetched within ``max_poll_interval`` (it takes a longer
silence for a stuck application), but faust fetches nothing from a revocation until the next
assignment: it stops its flow and waits for every in-flight batch to be acknowledged. A revocation
that ends more than ``kafka.max_poll_interval_s`` after the last fetch (a worker evicted because its
agent was busy, or batches that take that long to finish) would leave the worker out of its group
for good, consuming nothing. driftloop's consumer counts the time from a revocation to the next
assignment as fetching, so the rejoin follows the revocation.
"""

from __future__ import annotations

from contextlib import ExitStack

import aiokafka
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

FETCH_MAX_WAIT_MS = 100
"""How long the broker may hold a fetch that finds no new records."""


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    _rebalancing: ExitStack | None = None
    """Open from a revocation until the next assignment: aiokafka's fetch context, which keeps its idle time 0."""

    def _create_worker_consumer(self, transport: faust_aiokafka.Transport) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # faust passes a fixed value; aiokafka reads this attribute when the consumer starts its fetcher.
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        if self._rebalancing is None:
            self._rebalancing = ExitStack()
            # The subscription state's fetch context is what aiokafka's own fetches hold.
            self._rebalancing.enter_context(self._ensure_consumer()._subscription.fetch_context())
        await super().on_partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TP], generation_id: int = 0) -> None:
        try:
            await super().on_partitions_assigned(assigned, generation_id)
        finally:
            if self._rebalancing is not None:
                self._rebalancing.close()
                self._rebalancing = None


class Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
