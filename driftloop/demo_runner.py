"""Publishing demo traffic: ``driftloop demo`` and ``driftloop up --demo``.

Event times start now. With a rate, records are published at that pace of wall-clock
time (as an application would); without one, as fast as the broker takes them.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from rich.progress import Progress

from driftloop.demo import DemoConfig, generate_wire
from driftloop.publisher import Publisher
from infra.settings import Settings

log = logging.getLogger(__name__)


def publish_demo(
    settings: Settings,
    bootstrap_servers: str,
    *,
    count: int | None,
    rate: float | None,
    seed: int = 0,
    shift_at: int | None = None,
    shift_fraction: float = 0.0,
    unsafe_at: int | None = None,
    unsafe_fraction: float = 0.0,
    stop: threading.Event | None = None,
    show_progress: bool = True,
) -> dict[str, int]:
    """Publish generated traffic; return how many inference and feedback records were sent."""
    config = DemoConfig(
        seed=seed,
        count=count,
        rate=rate or 20.0,
        start=datetime.now(UTC),
        shift_at=shift_at,
        shift_fraction=shift_fraction if shift_at is not None else 0.0,
        unsafe_at=unsafe_at,
        unsafe_fraction=unsafe_fraction if unsafe_at is not None else 0.0,
    )
    sent = {"inference": 0, "feedback": 0}
    started = time.monotonic()
    first_at: datetime | None = None
    with Publisher(bootstrap_servers, settings) as publisher, Progress(disable=not show_progress) as progress:
        task = progress.add_task("publishing demo traffic", total=count)
        for record in generate_wire(config):
            if stop is not None and stop.is_set():
                break
            if rate is not None:
                first_at = first_at or record.at
                delay = (record.at - first_at).total_seconds() - (time.monotonic() - started)
                if delay > 0:
                    time.sleep(delay)
            publisher.publish_raw(record.stream, record.value, key=record.key.decode())
            sent[record.stream] += 1
            if record.stream == "inference":
                progress.advance(task)
    return sent


def start_demo_thread(
    settings: Settings, bootstrap_servers: str, *, rate: float, count: int | None, stop: threading.Event
) -> threading.Thread:
    """Demo traffic in the background of ``driftloop up``, until ``stop`` is set.

    Set ``stop`` and join the thread before the broker goes away, so its publisher closes cleanly.
    On the local in-memory broker the demo stops at ``kafka.local_broker_max_events``, since
    that broker keeps every record in memory.
    """
    if count is None and not settings.kafka.bootstrap_servers:
        count = settings.kafka.local_broker_max_events

    def run() -> None:
        summary = publish_demo(settings, bootstrap_servers, count=count, rate=rate, stop=stop, show_progress=False)
        log.warning("demo traffic finished: %s", summary)

    thread = threading.Thread(target=run, name="driftloop-demo", daemon=True)
    thread.start()
    return thread
