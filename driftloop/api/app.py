"""The FastAPI application: ingest, reads, admin, health, metrics and the dashboard.

``create_api(ApiContext.from_running(running))`` is what ``driftloop up`` serves; it also accepts a
``Running`` or its bound ``status`` method. The OpenAPI schema is committed as ``openapi.json`` next to
this module (``python -m driftloop.api.openapi`` rewrites it; a test keeps it in sync).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry

from driftloop.api.collector import ServiceCollector
from driftloop.api.context import ApiContext
from driftloop.api.errors import install_error_handlers
from driftloop.api.limits import BodyLimit
from driftloop.api.routers import (
    alerts,
    audit,
    compare,
    dashboard,
    drift,
    health,
    ingest,
    reference,
    retrain,
    signals,
    snapshots,
    streams,
    usage,
)
from schemas import FeedbackEvent, InferenceEvent

VERSION = "0.1.0"
STATIC = Path(__file__).resolve().parent / "static"
DESCRIPTION = (
    "driftloop's HTTP API: publish inference and feedback events, read streams, drift verdicts, alerts and "
    "retraining runs, pin references and trigger retraining. Bearer tokens carry scopes (ingest, read, admin); "
    "an API without tokens serves loopback clients only."
)


def create_api(source: Any) -> FastAPI:
    """The API over ``source``: an :class:`ApiContext`, a ``Running``, or the bound ``status`` of one."""
    context = ApiContext.of(source)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            context.close()

    api = FastAPI(title="driftloop", version=VERSION, description=DESCRIPTION, lifespan=lifespan)
    api.state.context = context
    api.state.scrape_registry = CollectorRegistry(auto_describe=False)
    api.state.scrape_registry.register(ServiceCollector(context))
    install_error_handlers(api)
    modules = (
        health,
        ingest,
        streams,
        drift,
        signals,
        alerts,
        audit,
        retrain,
        reference,
        snapshots,
        usage,
        compare,
        dashboard,
    )
    for module in modules:
        api.include_router(module.router)
    if context.settings.api.dashboard:
        api.mount("/static", StaticFiles(directory=STATIC), name="static")
    api.add_middleware(BodyLimit, max_bytes=context.settings.api.max_body_bytes)
    _time_requests(api, context)
    api.openapi = lambda: openapi_schema(api)  # type: ignore[method-assign]
    return api


def _time_requests(api: FastAPI, context: ApiContext) -> None:
    histogram = context.metrics.http_request_seconds

    @api.middleware("http")
    async def timing(request: Request, call_next):  # noqa: ANN001, ANN202 - starlette's middleware signature
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        histogram.labels(route=path, method=request.method, status=f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
        return response


def openapi_schema(api: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus the event models the ingest routes validate by hand."""
    if api.openapi_schema:
        return api.openapi_schema
    schema = get_openapi(title=api.title, version=api.version, description=api.description, routes=api.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (InferenceEvent, FeedbackEvent):
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model_schema.pop("$defs", {}))
        components[model.__name__] = model_schema
    api.openapi_schema = schema
    return schema
