"""``/v1/alerts``: alert transitions with their evidence, filtered by stream, state, kind and time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse

from driftloop.api.auth import require
from driftloop.api.deps import Context, Instant, Limit, OptionalStream, StoreDep
from driftloop.api.errors import ApiProblem
from driftloop.api.routers.common import errors
from schemas import Alert, AlertCount, AlertKind, AlertState, Scope

router = APIRouter(prefix="/v1/alerts", tags=["alerts"], dependencies=[Depends(require(Scope.READ))])


@router.get("", response_model=list[Alert], responses=errors(), summary="Alert transitions, newest first")
def list_alerts(
    store: StoreDep,
    stream: OptionalStream,
    state: AlertState | None = None,
    kind: AlertKind | None = None,
    since: Annotated[Instant | None, Query(description="Created at or after this.")] = None,
    until: Annotated[Instant | None, Query(description="Created before this.")] = None,
    open: Annotated[bool, Query(description="Only alerts whose latest transition is firing.")] = False,
    limit: Limit = 100,
) -> list[Alert]:
    return store.alerts.page(stream, state=state, kind=kind, since=since, until=until, open_only=open, limit=limit)


@router.get("/counts", response_model=list[AlertCount], responses=errors(), summary="Alerts by latest state")
def alert_counts(store: StoreDep) -> list[AlertCount]:
    return store.alerts.counts()


@router.get("/{alert_id}", response_model=list[Alert], responses=errors(404), summary="One alert's transitions")
def get_alert(store: StoreDep, alert_id: str) -> list[Alert]:
    found = store.alerts.page(alert_id=alert_id, limit=10)
    if not found:
        raise ApiProblem(404, f"no alert {alert_id!r}")
    return found


def report_file(report_dir: Path, report_path: str | None) -> Path | None:
    """The report's file when it exists inside ``report_dir`` (never a path outside it)."""
    if not report_path:
        return None
    root = report_dir.resolve()
    path = Path(report_path)
    path = (path if path.is_absolute() else root / path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


@router.get(
    "/{alert_id}/report",
    response_class=FileResponse,
    responses={200: {"content": {"text/html": {}}, "description": "The Evidently HTML report"}, **errors(404)},
    summary="The Evidently HTML report of a drift alert",
)
def alert_report(store: StoreDep, context: Context, alert_id: str) -> FileResponse:
    found = store.alerts.page(alert_id=alert_id, limit=10)
    reports = [a.report_path for a in found if a.report_path]
    path = report_file(context.settings.data_dir / "reports", reports[0] if reports else None)
    if path is None:
        raise ApiProblem(404, f"alert {alert_id!r} has no report on this machine")
    return FileResponse(path, media_type="text/html")
