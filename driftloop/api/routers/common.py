"""Error responses the read and admin routes document in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from schemas import ApiError


def errors(*extra: int) -> dict[int | str, dict[str, Any]]:
    """401, 403, 422 and 503 (every authenticated route can answer them) plus ``extra``."""
    described = {
        401: "Missing or unknown token.",
        403: "The token lacks the route's scope.",
        404: "Nothing with that id or for that stream.",
        409: "Refused by policy; the message says why.",
        422: "A parameter is invalid; `fields` names it.",
        501: "Not available in this process; the message says why.",
        503: "No store attached to this process.",
    }
    codes = sorted({401, 403, 422, 503, *extra})
    return {code: {"model": ApiError, "description": described[code]} for code in codes}
