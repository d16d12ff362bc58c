"""``/v1/usage``: active users and sessions, requests, tokens and cost per app/model/version over time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from analytics import usage_report
from driftloop.api.auth import require
from driftloop.api.deps import Name, Range, StoreDep
from driftloop.api.routers.common import errors
from schemas import Scope, UsageReport

router = APIRouter(prefix="/v1/usage", tags=["usage"], dependencies=[Depends(require(Scope.READ))])


@router.get("", response_model=UsageReport, responses=errors(), summary="Usage over a time range")
def get_usage(
    store: StoreDep,
    window: Range,
    app: Name = None,
    top: Annotated[int, Query(ge=1, le=100, description="Entries in the top apps and models.")] = 10,
) -> UsageReport:
    return usage_report(store, window.start, window.end, window.bucket_s, app=app, top=top)
