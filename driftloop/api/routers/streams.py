"""``/v1/streams``: every stream with its rates, and one stream's usage, safety, feedback and topic clusters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from driftloop.api.auth import require
from driftloop.api.deps import Context, Name, Range, RequiredStream, StoreDep
from driftloop.api.errors import ApiProblem
from driftloop.api.routers.common import errors
from schemas import FeedbackByVersion, SafetyBucket, Scope, StreamOverview, TopicClusters, UsageBucket

router = APIRouter(prefix="/v1/streams", tags=["streams"], dependencies=[Depends(require(Scope.READ))])


@router.get("", response_model=list[StreamOverview], responses=errors(), summary="Every stream with its rates")
def list_streams(
    store: StoreDep,
    context: Context,
    window_s: Annotated[int, Query(ge=60, le=30 * 86400, description="Rates over this many seconds.")] = 3600,
) -> list[StreamOverview]:
    return store.aggregates.stream_overviews(context.clock(), window_s)


@router.get("/usage", response_model=list[UsageBucket], responses=errors(), summary="Events, latency, tokens, cost")
def stream_usage(store: StoreDep, stream: RequiredStream, span: Range) -> list[UsageBucket]:
    return store.aggregates.usage_buckets(stream, span.start, span.end, span.bucket_s)


@router.get("/safety", response_model=list[SafetyBucket], responses=errors(), summary="Safety breach rates")
def stream_safety(store: StoreDep, stream: RequiredStream, span: Range) -> list[SafetyBucket]:
    return store.aggregates.safety_buckets(stream, span.start, span.end, span.bucket_s)


@router.get(
    "/feedback",
    response_model=list[FeedbackByVersion],
    responses=errors(),
    summary="Feedback rates of an app per model version",
)
def stream_feedback(
    store: StoreDep, span: Range, app: Annotated[str, Query(min_length=1, max_length=128)], model: Name = None
) -> list[FeedbackByVersion]:
    return store.aggregates.feedback_by_version(app, model, span.start, span.end)


@router.get(
    "/topics",
    response_model=TopicClusters,
    responses=errors(404),
    summary="Topic clusters of the latest evaluated window",
)
def stream_topics(store: StoreDep, stream: RequiredStream) -> TopicClusters:
    result = store.drift.latest_clusters(stream)
    if result is None:
        raise ApiProblem(404, f"no evaluated window with topic clusters for {stream} yet")
    return TopicClusters(
        stream=stream,
        detector=result.detector,
        window_start=result.window_start,
        window_end=result.window_end,
        reference_start=result.reference_start,
        reference_end=result.reference_end,
        p_value=result.adjusted_p_value if result.adjusted_p_value is not None else result.p_value,
        clusters=result.clusters,
    )
