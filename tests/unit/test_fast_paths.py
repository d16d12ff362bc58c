"""The pieces the throughput figures depend on are installed and in effect."""

from __future__ import annotations

import asyncio

from kafka.record import util as kafka_record_util

from consumers.app import create_faust_app
from consumers.transport import FETCH_MAX_WAIT_MS
from infra.settings import Settings


def test_kafka_python_checksums_record_batches_in_c():
    # Without the ``crc32c`` extra kafka-python falls back to a pure-Python CRC-32C, which took
    # over half of a publisher's CPU time.
    assert kafka_record_util.crc32c_c is not None
    assert kafka_record_util.calc_crc32c(b"123456789") == 0xE3069283


def test_worker_consumer_asks_the_broker_for_a_short_fetch_wait():
    # faust fixes the wait at 1.5 s; the override sets the attribute aiokafka hands to its fetcher
    # at start, so a renamed attribute in aiokafka must fail here rather than silently stall workers.
    async def fetch_wait_ms() -> int:
        app = create_faust_app(Settings(), "127.0.0.1:1")
        consumer = app.consumer._thread._create_worker_consumer(app.transport)
        try:
            return consumer._fetch_max_wait_ms
        finally:
            await consumer.stop()

    assert FETCH_MAX_WAIT_MS < 1500
    assert asyncio.run(fetch_wait_ms()) == FETCH_MAX_WAIT_MS


def test_worker_processes_run_blas_on_one_thread():
    # OpenBLAS's second thread spun between the safety detectors' small matrix products on the cores
    # the embedder's inference streams use; worker processes (``run_faust``) keep BLAS to one thread.
    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    from driftloop.service import one_blas_thread

    def blas_threads() -> set[int]:
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    assert np.ones(2) @ np.ones(2) == 2.0  # BLAS is loaded
    with threadpool_limits(limits=2, user_api="blas"):  # this test process gets its own limits back after
        assert blas_threads() == {2}
        one_blas_thread()
        assert blas_threads() == {1}
