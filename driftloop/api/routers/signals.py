"""``/v1/signals``: the latest result of every signal rule of each stream (``monitor.signals``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from driftloop.api.auth import require
from driftloop.api.deps import OptionalStream, StoreDep
from driftloop.api.routers.common import errors
from schemas import DriftResult, Scope

router = APIRouter(prefix="/v1/signals", tags=["signals"], dependencies=[Depends(require(Scope.READ))])


@router.get(
    "",
    response_model=list[DriftResult],
    responses=errors(),
    summary="The latest window result of every signal rule, per stream",
)
def latest_signals(store: StoreDep, stream: OptionalStream) -> list[DriftResult]:
    """Each result's ``statistic`` is the signal's value, ``config.reference`` its reference value and
    ``explanation`` the line people read; ``decision`` is ``drift`` when the rule breached."""
    return store.drift.latest_signals(stream)
