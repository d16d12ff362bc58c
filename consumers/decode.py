"""Turning message bytes into events, or into a precise reason why not.

Pure functions: no Kafka here, so every malformed input can be tested directly.

>>> from schemas import InferenceEvent
>>> decode_event(b"not json", InferenceEvent).kind.value
'not_json'
>>> decode_event(b'{"schema_version": 9}', InferenceEvent).kind.value
'schema_version'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from pydantic import ValidationError

from schemas import FeedbackEvent, InferenceEvent, RejectionKind, TextLimits

EventT = TypeVar("EventT", InferenceEvent, FeedbackEvent)

ENVELOPE_OVERHEAD_BYTES = 64 * 1024
"""Room for an event's other fields on top of its free-text limits."""


@dataclass(frozen=True)
class Rejection:
    kind: RejectionKind
    reason: str


def max_message_bytes(limits: TextLimits) -> int:
    return limits.max_prompt_bytes + limits.max_response_bytes + ENVELOPE_OVERHEAD_BYTES


def decode_event(raw: bytes | None, model: type[EventT], limits: TextLimits | None = None) -> EventT | Rejection:
    """Validate one message against ``model``; never raises on bad input."""
    limits = limits or TextLimits()
    if not raw:
        return Rejection(RejectionKind.EMPTY, "message has no value")
    if len(raw) > max_message_bytes(limits):
        return Rejection(RejectionKind.OVERSIZED, f"message is {len(raw)} bytes, over {max_message_bytes(limits)}")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection(RejectionKind.NOT_UTF8, f"not valid UTF-8 at byte {exc.start}")
    try:
        return model.model_validate_json(raw, context={"limits": limits})
    except ValidationError as exc:
        return _rejection_from(exc)
    except Exception as exc:  # noqa: BLE001 - a validator bug must cost one dead letter, not the worker
        return Rejection(RejectionKind.INVALID, f"event could not be validated: {type(exc).__name__}: {exc}"[:500])


def _rejection_from(exc: ValidationError) -> Rejection:
    errors = exc.errors(include_url=False, include_input=False)
    if any(error["type"] == "json_invalid" for error in errors) or any(
        error["type"] == "model_type" and not error["loc"] for error in errors
    ):
        return Rejection(RejectionKind.NOT_JSON, "value is not a JSON object: " + errors[0]["msg"])
    if any(error["loc"] == ("schema_version",) for error in errors):
        return Rejection(RejectionKind.SCHEMA_VERSION, "unsupported schema_version (this driftloop reads version 1)")
    oversized = any("larger than" in error["msg"] for error in errors)
    kind = RejectionKind.OVERSIZED if oversized else RejectionKind.INVALID
    reason = "; ".join(f"{'.'.join(str(p) for p in error['loc']) or 'event'}: {error['msg']}" for error in errors[:10])
    return Rejection(kind, reason[:2000])
