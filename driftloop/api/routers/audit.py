"""``/v1/audit``: the audit trail (admin): alert transitions, retraining decisions, reference changes, promotions."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends

from driftloop.api.auth import require
from driftloop.api.deps import Limit, OptionalStream, StoreDep
from driftloop.api.routers.common import errors
from infra.audit import AuditAction, AuditEntry
from schemas import Scope

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get(
    "",
    response_model=list[AuditEntry],
    responses=errors(),
    dependencies=[Depends(require(Scope.ADMIN))],
    summary="Audit entries, newest first",
)
def list_audit(
    store: StoreDep,
    stream: OptionalStream,
    action: AuditAction | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    limit: Limit = 100,
) -> list[AuditEntry]:
    return store.audit.entries(since=since, action=action, actor=actor, stream=stream, limit=limit)
