"""``/v1/retrain``: run summaries and transitions, and a manual trigger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from driftloop.api.auth import Principal, require
from driftloop.api.deps import Context, Limit, OptionalStream, StoreDep
from driftloop.api.errors import ApiProblem
from driftloop.api.routers.common import errors
from infra.audit import Actor
from schemas import RetrainRun, RetrainRunSummary, RetrainStatus, RetrainTrigger, RetrainTriggered, Scope

router = APIRouter(prefix="/v1/retrain", tags=["retrain"])


@router.get(
    "/runs",
    response_model=list[RetrainRunSummary],
    responses=errors(),
    dependencies=[Depends(require(Scope.READ))],
    summary="Retraining runs, newest first",
)
def list_runs(
    store: StoreDep, stream: OptionalStream, status: RetrainStatus | None = None, limit: Limit = 100
) -> list[RetrainRunSummary]:
    return store.retrain.run_summaries(stream, status=status, limit=limit)


@router.get(
    "/runs/{run_id}",
    response_model=list[RetrainRun],
    responses=errors(404),
    dependencies=[Depends(require(Scope.READ))],
    summary="One run's status transitions, newest first",
)
def get_run(store: StoreDep, run_id: str) -> list[RetrainRun]:
    found = store.retrain.runs(run_id)
    if not found:
        raise ApiProblem(404, f"no retraining run {run_id!r}")
    return found


@router.post(
    "",
    status_code=202,
    response_model=RetrainTriggered,
    responses=errors(409, 501),
    summary="Start one manual retraining run",
)
def trigger(
    context: Context, body: RetrainTrigger, admin: Annotated[Principal, Depends(require(Scope.ADMIN))]
) -> RetrainTriggered:
    service = context.retrain_service()
    if service is None:
        raise ApiProblem(
            501,
            "retraining does not run in this process: start `driftloop up` with retrain.enabled, "
            "or use `driftloop retrain <stream>` with the service stopped",
        )
    result = service.trigger(body.stream, reason=body.reason, manual=True, actor=Actor.api(admin.name))
    if result.run_id is None:
        raise ApiProblem(409, f"retraining of {body.stream} not started: {result.decision.reason}")
    return RetrainTriggered(run_id=result.run_id, stream=body.stream, reason=body.reason)
