"""Every error the API answers is an :class:`~schemas.ApiError` body naming what was wrong."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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
    501: "not_implemented",
    503: "unavailable",
}


class ApiProblem(Exception):
    """Raised by routes for an answer with a status, a code, a message and (optionally) field errors."""

    def __init__(self, status: int, message: str, fields: Sequence[FieldError] = (), error: str | None = None):
        super().__init__(message)
        self.status = status
        self.body = ApiError(error=error or ERROR_CODES.get(status, "error"), message=message, fields=list(fields))


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


def problem_response(status: int, message: str, fields: Sequence[FieldError] = (), headers=None) -> JSONResponse:
    body = ApiError(error=ERROR_CODES.get(status, "error"), message=message, fields=list(fields))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def _problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return JSONResponse(exc.body.model_dump(mode="json"), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = describe(exc.errors())
        names = ", ".join(sorted({f.field for f in fields}))
        return problem_response(422, f"invalid request: {names}", fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))
