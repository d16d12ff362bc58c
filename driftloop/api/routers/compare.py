"""``/v1/compare``: two versions of an app's model compared; ``/v1/segments``: stored segment disparity results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from consumers.segments import compare_versions, parse_version
from driftloop.api.auth import require
from driftloop.api.deps import Context, Instant, Limit, OptionalStream, StoreDep
from driftloop.api.errors import ApiProblem
from driftloop.api.routers.common import errors
from schemas import FieldError, Scope, SegmentDisparity, VersionComparison

router = APIRouter(tags=["compare"], dependencies=[Depends(require(Scope.READ))])

Version = Annotated[str, Query(min_length=3, max_length=257, description="MODEL@VERSION")]


@router.get(
    "/v1/compare",
    response_model=VersionComparison,
    responses=errors(),
    summary="Version B against version A: every metric's test, effect size and verdict",
)
def compare(
    context: Context,
    store: StoreDep,
    app: Annotated[str, Query(min_length=1, max_length=128)],
    a: Version,
    b: Version,
    start: Instant | None = None,
    end: Instant | None = None,
    experiment: Annotated[
        list[str] | None, Query(description="TAG=VALUE filters both versions' events share (canary, shadow).")
    ] = None,
) -> VersionComparison:
    try:
        first, second = parse_version(a, app), parse_version(b, app)
        tags = dict(item.split("=", 1) for item in experiment or [])
    except ValueError as exc:
        raise ApiProblem(422, str(exc), [FieldError(field="a/b/experiment", message=str(exc))]) from exc
    return compare_versions(store, context.settings, first, second, start, end, experiment=tags)


@router.get(
    "/v1/segments",
    response_model=list[SegmentDisparity],
    responses=errors(),
    summary="Segment disparity results of evaluated windows, newest first",
)
def list_segments(
    store: StoreDep,
    stream: OptionalStream,
    start: Annotated[Instant | None, Query(description="Windows starting at or after this.")] = None,
    end: Annotated[Instant | None, Query(description="Windows starting before this.")] = None,
    disparate: bool = False,
    limit: Limit = 1000,
) -> list[SegmentDisparity]:
    return store.segment_results(stream, start, end, disparate_only=disparate, limit=limit)
