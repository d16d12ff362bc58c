"""``/v1/reference``: pin, show and clear a stream's reference window (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from driftloop.api.auth import Principal, require
from driftloop.api.deps import Context, RequiredStream, StoreDep
from driftloop.api.errors import ApiProblem
from driftloop.api.routers.common import errors
from infra.audit import Actor, AuditAction, record_audit
from monitor.windows import clear_reference, set_reference, show_reference
from schemas import FieldError, ReferenceOut, ReferenceRequest, Scope

router = APIRouter(prefix="/v1/reference", tags=["reference"])
Admin = Annotated[Principal, Depends(require(Scope.ADMIN))]


@router.get(
    "",
    response_model=ReferenceOut,
    responses=errors(404),
    dependencies=[Depends(require(Scope.READ))],
    summary="A stream's pinned reference",
)
def get_reference(store: StoreDep, stream: RequiredStream) -> ReferenceOut:
    pin = show_reference(store, stream)
    if pin is None:
        raise ApiProblem(404, f"{stream} has no pinned reference (it uses the trailing reference)")
    return ReferenceOut(stream=stream, start=pin.start, end=pin.end, note=pin.note, pinned_at=pin.pinned_at)


@router.post(
    "",
    response_model=ReferenceOut,
    responses=errors(),
    summary="Pin [start, end) of event time as a stream's reference",
)
def pin_reference(store: StoreDep, context: Context, body: ReferenceRequest, admin: Admin) -> ReferenceOut:
    if body.start.tzinfo is None or body.end.tzinfo is None:
        raise ApiProblem(422, "start and end need a time zone", [FieldError(field="start", message="naive time")])
    if body.end <= body.start:
        raise ApiProblem(422, "start must be before end", [FieldError(field="end", message="not after start")])
    pinned = set_reference(
        store, body.stream, body.start, body.end, min_samples=context.settings.drift.min_samples, note=body.note
    )
    pin = pinned.pin
    record_audit(
        store,
        AuditAction.REFERENCE_PINNED,
        Actor.api(admin.name),
        stream=body.stream,
        summary=body.note,
        evidence={"start": pin.start, "end": pin.end, "events": pinned.events, "enough": pinned.enough},
    )  # noqa: E501
    return ReferenceOut(
        stream=body.stream,
        start=pin.start,
        end=pin.end,
        note=pin.note,
        pinned_at=pin.pinned_at,
        events=pinned.events,
        enough=pinned.enough,
    )


@router.delete(
    "",
    status_code=204,
    response_class=Response,
    responses=errors(),
    summary="Clear a stream's pin: back to the trailing reference",
)
def unpin_reference(store: StoreDep, stream: RequiredStream, admin: Admin) -> Response:
    previous = show_reference(store, stream)
    clear_reference(store, stream)
    record_audit(
        store,
        AuditAction.REFERENCE_CLEARED,
        Actor.api(admin.name),
        stream=stream,
        evidence={"previous": [previous.start, previous.end] if previous else None},
    )  # noqa: E501
    return Response(status_code=204)
