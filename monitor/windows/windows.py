"""Tumbling event-time windows: aligned to the epoch, closed ``grace`` after they end.

A window ``[start, start + size)`` is *closed* at ``now`` when ``start + size + grace <= now``: events
arriving later than the grace period are stored but not evaluated again. The monitors pass as ``now``
the earlier of the wall clock and the ingest watermark (see ``infra.kafka.lag``), so a backlog still on
the broker (a backfill, a worker outage) holds its windows open until it is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Watermark = Callable[[datetime], datetime]
"""Given the wall clock, the event time before which every published event is stored (at most that clock)."""


def evaluation_horizon(now: datetime, watermark: Watermark | None, active: bool) -> datetime:
    """The time windows close by: the earlier of the wall clock and the ingest watermark.

    The watermark is read only while some stream is ``active``, so an idle service makes no broker call.
    """
    return now if watermark is None or not active else watermark(now)


@dataclass(frozen=True, order=True)
class Window:
    start: datetime
    end: datetime

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


def floor_time(moment: datetime, size_s: float) -> datetime:
    """Start of the window holding ``moment``.

    >>> floor_time(datetime(2026, 1, 1, 12, 7, 31, tzinfo=UTC), 300).isoformat()
    '2026-01-01T12:05:00+00:00'
    """
    offset = (moment - _EPOCH).total_seconds()
    return _EPOCH + timedelta(seconds=(offset // size_s) * size_s)


def closed_windows(
    first: datetime, now: datetime, size_s: float, grace_s: float, limit: int | None = None
) -> Iterator[Window]:
    """Closed windows from the one holding ``first``, oldest first, at most ``limit``.

    >>> t = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    >>> [str(w.start.time()) for w in closed_windows(t, t + timedelta(minutes=16), 300, 60)]
    ['12:00:00', '12:05:00', '12:10:00']
    """
    start = floor_time(first, size_s)
    size = timedelta(seconds=size_s)
    grace = timedelta(seconds=grace_s)
    count = 0
    while start + size + grace <= now and (limit is None or count < limit):
        yield Window(start, start + size)
        start += size
        count += 1
