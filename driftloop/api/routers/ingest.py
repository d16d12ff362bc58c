"""``POST /v1/inference`` and ``POST /v1/feedback``: one event or a batch, validated, published, acknowledged.

The body is one JSON object or a JSON array of them, validated with the same models and text limits
as the workers use. Nothing of a batch is published unless every event in it is valid; the answer
(202) comes once the broker has acknowledged every event, with their ids in order.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from kafka.errors import KafkaError
from pydantic import BaseModel, ValidationError

from driftloop.api.auth import require
from driftloop.api.context import ApiContext
from driftloop.api.deps import Context
from driftloop.api.errors import ApiProblem, describe
from driftloop.errors import DriftloopError
from schemas import ApiError, FeedbackEvent, FieldError, InferenceEvent, IngestReceipt, Scope, TextLimits

router = APIRouter(prefix="/v1", tags=["ingest"], dependencies=[Depends(require(Scope.INGEST))])

MAX_FIELD_ERRORS = 50

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ApiError, "description": description}
    for status, description in {
        400: "The body is not JSON, or not an object or array of objects.",
        401: "Missing or unknown token.",
        403: "The token lacks the ingest scope.",
        413: "The body is larger than api.max_body_bytes.",
        422: "An event is invalid, or the batch is empty or too long; `fields` names each bad field.",
        503: "No broker to publish to, or it did not acknowledge in time.",
    }.items()
}


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body: one event, or a non-empty array of them."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"anyOf": [ref, {"type": "array", "items": ref, "minItems": 1}]}}
            },
        }
    }


def parse_events(raw: bytes, model: type[BaseModel], limits: TextLimits, max_batch: int) -> list[Any]:
    """Validate one event or a batch; raise :class:`ApiProblem` naming every bad field (``[i].field``)."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem(400, f"the body is not JSON: {exc}", error="not_json") from exc
    single = isinstance(body, dict)
    items = [body] if single else body
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ApiProblem(400, f"expected a {model.__name__} object or an array of them", error="bad_shape")
    if not items:
        raise ApiProblem(422, "the batch is empty", [FieldError(field="(body)", message="no events", type="too_short")])
    if len(items) > max_batch:
        raise ApiProblem(
            422,
            f"the batch has {len(items)} events, more than api.max_batch_events={max_batch}",
            [FieldError(field="(body)", message=f"at most {max_batch} events", type="too_long")],
        )
    events, fields = [], []
    for i, item in enumerate(items):
        try:
            events.append(model.model_validate(item, context={"limits": limits}))
        except ValidationError as exc:
            fields.extend(describe(exc.errors(include_url=False), "" if single else f"[{i}]"))
    if fields:
        names = sorted({f.field for f in fields})
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        raise ApiProblem(422, f"invalid {model.__name__}: {shown}", fields[:MAX_FIELD_ERRORS])
    return events


def publish(context: ApiContext, role: Literal["inference", "feedback"], events: list[Any]) -> None:
    """Send every event keyed by its event id and wait for the broker's acknowledgements."""
    try:
        publisher = context.publisher()
    except DriftloopError as exc:
        raise ApiProblem(503, str(exc), error="broker_unavailable") from exc
    if publisher is None:
        raise ApiProblem(503, "this API process has no broker to publish to", error="broker_unavailable")
    timeout = context.settings.api.publish_timeout_s
    try:
        futures = [publisher.publish_raw(role, e.model_dump_json().encode(), key=e.event_id) for e in events]
        for future in futures:
            future.get(timeout=timeout)
    except (KafkaError, DriftloopError) as exc:
        raise ApiProblem(503, f"the broker did not acknowledge the events: {exc}", error="publish_failed") from exc


async def ingest(
    request: Request, context: ApiContext, role: Literal["inference", "feedback"], model: type[BaseModel]
) -> IngestReceipt:
    metrics = context.metrics
    try:
        settings = context.settings
        limit = settings.ingest.max_text_bytes
        events = parse_events(
            await request.body(),
            model,
            TextLimits(limit, limit, limit),
            settings.api.max_batch_events,
        )
        await run_in_threadpool(publish, context, role, events)
    except ApiProblem as exc:
        metrics.ingest_rejected.labels(status=str(exc.status)).inc()
        raise
    metrics.events_ingested.labels(kind=role, source="http").inc(len(events))
    ids = [e.event_id if role == "inference" else e.feedback_id for e in events]
    return IngestReceipt(kind=role, accepted=len(events), ids=ids, topic=context.settings.topic(role))


@router.post(
    "/inference",
    status_code=202,
    response_model=IngestReceipt,
    responses=ERRORS,
    openapi_extra=request_body(InferenceEvent),
    summary="Publish inference events (one object or an array)",
)
async def post_inference(request: Request, context: Context) -> IngestReceipt:
    return await ingest(request, context, "inference", InferenceEvent)


@router.post(
    "/feedback",
    status_code=202,
    response_model=IngestReceipt,
    responses=ERRORS,
    openapi_extra=request_body(FeedbackEvent),
    summary="Publish feedback events (one object or an array)",
)
async def post_feedback(request: Request, context: Context) -> IngestReceipt:
    return await ingest(request, context, "feedback", FeedbackEvent)
