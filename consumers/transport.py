"""faust's Kafka transport, with a broker fetch wait short enough for a stream that must keep up.

faust's aiokafka driver asks the broker to hold each fetch for up to 1.5 s while it has no new
records. aiokafka keeps one fetch in flight per broker and leaves out partitions whose records
it still buffers, so a fetch for caught-up partitions holds back the next fetch of a partition
with a backlog for as long as the broker waits. With faust's wait, a worker on the local broker
stalls for 0.5-1.5 s several times per 40,000 events and the ingest benchmark's rate varies by a
third between runs. Kafka's own consumer waits 0.5 s by default; driftloop waits less, which
costs an idle worker a few empty fetches a second.
"""

from __future__ import annotations

import aiokafka
from faust.transport.drivers import aiokafka as faust_aiokafka

FETCH_MAX_WAIT_MS = 100
"""How long the broker may hold a fetch that finds no new records."""


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: faust_aiokafka.Transport) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # faust passes a fixed value; aiokafka reads this attribute when the consumer starts its fetcher.
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer


class Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
