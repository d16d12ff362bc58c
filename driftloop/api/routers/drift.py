"""``/v1/drift``: stored drift verdicts per window."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from driftloop.api.auth import require
from driftloop.api.deps import Instant, Limit, Name, OptionalStream, StoreDep
from driftloop.api.routers.common import errors
from schemas import DriftResult, Scope

router = APIRouter(prefix="/v1/drift", tags=["drift"], dependencies=[Depends(require(Scope.READ))])


@router.get("", response_model=list[DriftResult], responses=errors(), summary="Drift verdicts, oldest first")
def list_drift(
    store: StoreDep,
    stream: OptionalStream,
    detector: Name = None,
    start: Annotated[Instant | None, Query(description="Windows starting at or after this.")] = None,
    end: Annotated[Instant | None, Query(description="Windows starting before this.")] = None,
    limit: Limit = 1000,
) -> list[DriftResult]:
    return store.drift.results(stream, start, end, detector=detector, limit=limit)
