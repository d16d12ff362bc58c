"""Every error the API answers is an :class:`~schemas.ApiError` body naming what was wrong.

Routes raise :class:`~driftloop.errors.ApiProblem` for answers they choose; any other
:class:`~driftloop.errors.DriftloopError` that reaches the app is answered with the status and code of
its nearest class in :data:`STATUS` (500 for one not listed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from driftloop.errors import (
    ApiProblem,
    BackendUnavailableError,
    BrokerUnavailable,
    DriftloopError,
    InvalidEvent,
    InvalidStreamKey,
    PublishError,
    ServiceNotRunning,
    StoreOpenError,
    WatermarkUnknown,
)
from schemas import ApiError, FieldError

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    500: "internal_error",
    501: "not_implemented",
    503: "unavailable",
}

STATUS: dict[type[DriftloopError], tuple[int, str]] = {
    InvalidStreamKey: (422, "invalid_request"),
    InvalidEvent: (422, "invalid_request"),
    ServiceNotRunning: (503, "unavailable"),
    BrokerUnavailable: (503, "broker_unavailable"),
    PublishError: (503, "publish_failed"),
    WatermarkUnknown: (503, "unavailable"),
    StoreOpenError: (503, "store_unavailable"),
    BackendUnavailableError: (503, "unavailable"),
}
"""Status and code of the driftloop errors a route can meet without choosing an answer itself."""


def status_of(error: DriftloopError) -> tuple[int, str]:
    """The status and code to answer ``error`` with: its own for an ApiProblem, else its nearest class in STATUS.

    >>> from driftloop.errors import LocalBrokerError, StoreError
    >>> status_of(LocalBrokerError("down")), status_of(StoreError("odd")), status_of(ApiProblem(404, "no"))
    ((503, 'broker_unavailable'), (500, 'internal_error'), (404, 'not_found'))
    """
    if isinstance(error, ApiProblem):
        return error.status, error.error or ERROR_CODES.get(error.status, "error")
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500, ERROR_CODES[500]


def field_path(loc: Sequence[Any], prefix: str = "") -> str:
    """``("body", 2, "prompt")`` -> ``[2].prompt``; pydantic's locations as one readable path.

    >>> field_path(("body", 2, "prompt")), field_path(("query", "limit")), field_path((), "[0]")
    ('[2].prompt', 'limit', '[0]')
    """
    out = prefix
    for part in loc:
        if part in ("body", "query", "path", "header", "cookie") and not out:
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(body)"


def describe(errors: Sequence[dict[str, Any]], prefix: str = "") -> list[FieldError]:
    return [
        FieldError(
            field=field_path(e.get("loc", ()), prefix), message=str(e.get("msg", "")), type=str(e.get("type", ""))
        )
        for e in errors
    ]


def problem_response(
    status: int, message: str, fields: Sequence[FieldError] = (), headers=None, error: str | None = None
) -> JSONResponse:
    body = ApiError(error=error or ERROR_CODES.get(status, "error"), message=message, fields=list(fields))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DriftloopError)
    async def _driftloop(request: Request, exc: DriftloopError) -> JSONResponse:
        status, error = status_of(exc)
        return problem_response(status, str(exc), exc.fields if isinstance(exc, ApiProblem) else (), error=error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = describe(exc.errors())
        names = ", ".join(sorted({f.field for f in fields}))
        return problem_response(422, f"invalid request: {names}", fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))
