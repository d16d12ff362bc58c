"""Retrying a step whose failure must not lose data: back off and try again, until it works."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class Health:
    """Whether this process's downstream (store or broker) is currently accepting writes."""

    def __init__(self) -> None:
        self.ready = True
        self.last_error: str | None = None


async def retry_forever(
    step: Callable[[], Awaitable[T]],
    what: str,
    health: Health,
    initial_delay_s: float = 0.2,
    max_delay_s: float = 10.0,
) -> T:
    """Run ``step`` until it succeeds, backing off exponentially; offsets are not committed meanwhile."""
    delay = initial_delay_s
    while True:
        try:
            result = await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of the step is retried
            health.ready = False
            health.last_error = f"{what}: {exc!r}"[:500]
            log.warning("%s failed (%r); retrying in %.1fs", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay_s)
            continue
        if not health.ready:
            log.info("%s recovered", what)
        health.ready = True
        health.last_error = None
        return result


async def finish_even_if_cancelled(batch: Awaitable[T]) -> T:
    """Let an open batch complete when the process shuts down, then re-raise the cancellation.

    Both faust (for workers) and the sink acknowledge a batch once this returns, so a batch
    cut short would otherwise be acknowledged without having been written.
    """
    task = asyncio.ensure_future(batch)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise
