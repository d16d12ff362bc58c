"""``driftloop reference set|clear|show``: pin a stream's reference window, or go back to the trailing one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from infra.store import ReferencePin, Store
from schemas import StreamKey
from schemas.errors import ConfigError


@dataclass(frozen=True)
class PinnedReference:
    pin: ReferencePin
    events: int
    """Embedded events stored in the pinned window now (late events may still add to it)."""
    enough: bool
    """Whether that meets ``drift.min_samples``; with fewer, every window records INSUFFICIENT_DATA."""


def set_reference(
    store: Store, stream: StreamKey, start: datetime, end: datetime, *, min_samples: int, note: str = ""
) -> PinnedReference:
    """Pin ``[start, end)`` of event time as the reference of ``stream`` (replacing an earlier pin).

    Windows evaluated from now on use it (when ``monitor.reference`` is not ``trailing``); windows
    already evaluated keep their results.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ConfigError("reference start and end need a time zone (UTC recommended)")
    if end <= start:
        raise ConfigError(f"a reference window needs start < end (got {start.isoformat()} .. {end.isoformat()})")
    events = store.events.count(stream.app, stream.model, stream.model_version, start, end)
    pin = store.drift.pin_reference(stream, start, end, note=note)
    return PinnedReference(pin=pin, events=events, enough=events >= min_samples)


def clear_reference(store: Store, stream: StreamKey) -> None:
    """Back to the trailing reference for windows evaluated from now on."""
    store.drift.unpin_reference(stream)


def show_reference(store: Store, stream: StreamKey) -> ReferencePin | None:
    return store.drift.reference_pin(stream)
