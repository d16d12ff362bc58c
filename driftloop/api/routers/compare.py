"""``/v1/compare``: two versions of an app's model compared; ``/v1/segments``: stored segment disparity results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from analytics import compare_versions
from driftloop.api.auth import require
from driftloop.api.deps import Context, Instant, Limit, OptionalStream, StoreDep
from driftloop.api.errors import ApiProblem
from driftloop.api.routers.common import errors
from infra.settings import Settings
from infra.store import Store
from schemas import FieldError, Scope, SegmentDisparity, StreamKey, VersionComparison

router = APIRouter(tags=["compare"], dependencies=[Depends(require(Scope.READ))])

Version = Annotated[str, Query(min_length=3, max_length=257, description="MODEL@VERSION")]


@dataclass(frozen=True)
class CompareQuery:
    """A checked comparison request: version ``b`` against version ``a`` of one app over ``[start, end)``."""

    a: StreamKey
    b: StreamKey
    start: datetime | None = None
    end: datetime | None = None
    experiment: dict[str, str] = field(default_factory=dict)

    def run(self, store: Store, settings: Settings) -> VersionComparison:
        return compare_versions(store, settings, self.a, self.b, self.start, self.end, experiment=self.experiment)


def compare_query(
    app: str,
    a: str,
    b: str,
    start: datetime | None = None,
    end: datetime | None = None,
    experiment: Sequence[str] = (),
) -> CompareQuery:
    """The request the API route and the dashboard's compare page run; a 422 naming each bad parameter.

    >>> compare_query("bank", "nimbus@1", "nimbus@2", experiment=["channel=web"]).experiment
    {'channel': 'web'}
    >>> try:
    ...     compare_query("bank", "nimbus", "nimbus@2")
    ... except ApiProblem as problem:
    ...     print(problem.status, [f.field for f in problem.fields], problem)
    422 ['a'] a: expected MODEL@VERSION, got 'nimbus'
    """
    problems: list[FieldError] = []
    versions: dict[str, StreamKey] = {}
    for name, text in (("a", a), ("b", b)):
        try:
            versions[name] = StreamKey.parse(text, app=app)
        except ValueError as exc:
            problems.append(FieldError(field=name, message=str(exc)))
    if len(versions) == 2 and versions["a"] == versions["b"]:
        problems.append(FieldError(field="b", message=f"names the same version as a ({a!r}): nothing to compare"))
    tags: dict[str, str] = {}
    for item in experiment:
        tag, sep, value = item.partition("=")
        if not sep or not tag:
            problems.append(FieldError(field="experiment", message=f"expected TAG=VALUE, got {item!r}"))
        else:
            tags[tag] = value
    if start is not None and end is not None and start >= end:
        problems.append(FieldError(field="start", message="must be before end"))
    if problems:
        raise ApiProblem(422, "; ".join(f"{p.field}: {p.message}" for p in problems), problems)
    return CompareQuery(versions["a"], versions["b"], start, end, tags)


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
    return compare_query(app, a, b, start, end, experiment or []).run(store, context.settings)


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
    return store.segments.results(stream, start, end, disparate_only=disparate, limit=limit)
