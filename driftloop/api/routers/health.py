"""``/healthz`` (the process answers), ``/readyz`` (broker and store reachable), ``/v1/status``, ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from driftloop.api.auth import require
from driftloop.api.context import ApiContext
from driftloop.api.deps import Context
from driftloop.api.routers.common import errors
from schemas import Healthz, Scope, ServiceStatus

router = APIRouter(tags=["health"])


def current_status(context: ApiContext) -> ServiceStatus:
    """The service's own status, or (an API without one) whether the store answers."""
    if context.status is not None:
        return context.status()
    store = context.store
    problems = [] if store is not None and store.ping() else ["store: not reachable"]
    return ServiceStatus(
        ready=not problems,
        bootstrap_servers=context.bootstrap_servers or "",
        clickhouse=store.dsn if store is not None else "",
        table_counts={},
        dead_letters=0,
        problems=problems,
    )


@router.get("/healthz", response_model=Healthz, summary="The process answers")
def healthz() -> Healthz:
    return Healthz()


@router.get(
    "/readyz",
    response_model=ServiceStatus,
    responses={503: {"model": ServiceStatus, "description": "Broker or store not reachable"}},
    summary="Broker and store reachable",
)
def readyz(response: Response, context: Context) -> ServiceStatus:
    current = current_status(context)
    if not current.ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return current


@router.get(
    "/v1/status",
    response_model=ServiceStatus,
    responses=errors(),
    dependencies=[Depends(require(Scope.READ))],
    summary="Row counts, dead letters, consumer lag",
)
def service_status(context: Context) -> ServiceStatus:
    return current_status(context)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}, **errors()},
    dependencies=[Depends(require(Scope.READ))],
    summary="Prometheus metrics",
)
def metrics(request: Request, context: Context) -> Response:
    scraped: CollectorRegistry = request.app.state.scrape_registry
    body = context.metrics.render() + generate_latest(scraped)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
