"""The FastAPI application: health, readiness and service status for now."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Response, status

from schemas import ServiceStatus


def create_api(status_provider: Callable[[], ServiceStatus]) -> FastAPI:
    api = FastAPI(title="driftloop", version="0.1.0")

    @api.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz", response_model=ServiceStatus)
    def readyz(response: Response) -> ServiceStatus:
        current = status_provider()
        if not current.ready:
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return current

    @api.get("/v1/status", response_model=ServiceStatus)
    def service_status() -> ServiceStatus:
        return status_provider()

    return api
