"""Dependencies shared by the routers: the context, the store, a stream from query parameters, time ranges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Query, Request

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


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def time_range(
    context: Context,
    start: Annotated[datetime | None, Query(description="Default: end minus 24 hours.")] = None,
    end: Annotated[datetime | None, Query(description="Default: now.")] = None,
    bucket_s: Annotated[int | None, Query(ge=1, le=30 * 86400, description="Default: about 120 buckets.")] = None,
) -> TimeRange:
    end_at = _aware(end) or context.clock()
    start_at = _aware(start) or end_at - DEFAULT_RANGE
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
