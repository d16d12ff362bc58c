"""Dependencies shared by the routers: the context, the store, a stream from query parameters, time ranges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Query, Request
from pydantic import AfterValidator

from driftloop.api.context import ApiContext
from driftloop.api.errors import ApiProblem
from infra.store import Store
from schemas import FieldError, StreamKey

NICE_BUCKETS_S = (10, 30, 60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)
MAX_BUCKETS = 10_000
DEFAULT_RANGE = timedelta(hours=24)


def get_context(request: Request) -> ApiContext:
    return request.app.state.context


Context = Annotated[ApiContext, Depends(get_context)]


def get_store(context: Context) -> Store:
    if context.store is None:
        raise ApiProblem(503, "no store is attached to this API process")
    return context.store


StoreDep = Annotated[Store, Depends(get_store)]

Name = Annotated[str | None, Query(min_length=1, max_length=128)]


def storable(value: datetime) -> datetime:
    """Times the store can compare against (ClickHouse's DateTime64 spans 1900-2299), naive taken as UTC.

    >>> storable(datetime(2026, 1, 1)).tzinfo
    datetime.timezone.utc
    """
    if not 1900 < value.year < 2299:
        raise ValueError("times must be between the years 1901 and 2298")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Instant = Annotated[datetime, AfterValidator(storable)]
"""A query time: ISO 8601, naive means UTC, within the store's range."""


def optional_stream(app: Name = None, model: Name = None, model_version: Name = None) -> StreamKey | None:
    """A stream from ``app``, ``model`` and ``model_version``: all three, or none for every stream."""
    given = {"app": app, "model": model, "model_version": model_version}
    if all(v is None for v in given.values()):
        return None
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise ApiProblem(
            422,
            "a stream is named by app, model and model_version together",
            [
                FieldError(field=name, message="required with the other stream fields", type="missing")
                for name in missing
            ],
        )
    return StreamKey(app=app, model=model, model_version=model_version)  # type: ignore[arg-type]


def required_stream(stream: Annotated[StreamKey | None, Depends(optional_stream)]) -> StreamKey:
    if stream is None:
        raise ApiProblem(
            422,
            "this route needs a stream: app, model and model_version",
            [FieldError(field=name, message="required", type="missing") for name in ("app", "model", "model_version")],
        )
    return stream


OptionalStream = Annotated[StreamKey | None, Depends(optional_stream)]
RequiredStream = Annotated[StreamKey, Depends(required_stream)]


@dataclass(frozen=True)
class TimeRange:
    """``[start, end)`` cut into buckets of ``bucket_s`` seconds."""

    start: datetime
    end: datetime
    bucket_s: int


def auto_bucket(span: timedelta, target: int = 120) -> int:
    """The smallest nice bucket that cuts ``span`` into at most ``target`` buckets.

    >>> auto_bucket(timedelta(hours=1)), auto_bucket(timedelta(days=7)), auto_bucket(timedelta(minutes=5))
    (30, 10800, 10)
    """
    seconds = span.total_seconds()
    for bucket in NICE_BUCKETS_S:
        if seconds / bucket <= target:
            return bucket
    return NICE_BUCKETS_S[-1]


def time_range(
    context: Context,
    start: Annotated[Instant | None, Query(description="Default: end minus 24 hours.")] = None,
    end: Annotated[Instant | None, Query(description="Default: now.")] = None,
    bucket_s: Annotated[int | None, Query(ge=1, le=30 * 86400, description="Default: about 120 buckets.")] = None,
) -> TimeRange:
    end_at = end or context.clock()
    start_at = start or max(end_at - DEFAULT_RANGE, datetime(1900, 1, 2, tzinfo=UTC))
    if start_at >= end_at:
        raise ApiProblem(422, "start must be before end", [FieldError(field="start", message="not before end")])
    bucket = bucket_s or auto_bucket(end_at - start_at)
    if (end_at - start_at).total_seconds() / bucket > MAX_BUCKETS:
        raise ApiProblem(
            422,
            f"more than {MAX_BUCKETS} buckets: widen bucket_s or narrow the range",
            [FieldError(field="bucket_s", message="too small for the range")],
        )
    return TimeRange(start_at, end_at, bucket)


Range = Annotated[TimeRange, Depends(time_range)]
Limit = Annotated[int, Query(ge=1, le=10_000)]
