"""Events that applications publish: one per LLM call, one per piece of user feedback.

Field names follow driftloop's own vocabulary; where the OpenTelemetry GenAI semantic
conventions name the same thing (``gen_ai.request.model``, ``gen_ai.usage.input_tokens``…),
that name is accepted too, so spans exported as JSON can be published as they are.

Text size limits are configurable: pass ``context={"limits": TextLimits(...)}`` to
``model_validate``/``model_validate_json``; without it the defaults apply.

>>> event = InferenceEvent.model_validate({
...     "event_id": "e-1", "event_time": "2026-11-22T10:00:00Z", "app": "support-bot",
...     "gen_ai.request.model": "gpt-x", "model_version": "2026-10", "prompt": "hi",
...     "response": "hello", "gen_ai.usage.input_tokens": 3})
>>> (event.model, event.tokens_in, event.event_time.tzinfo is not None)
('gpt-x', 3, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = 1
"""Bumped on any incompatible change; events carrying another version are rejected to the DLQ."""

DEFAULT_MAX_TEXT_BYTES = 256 * 1024
MAX_TAGS = 32

EARLIEST_EVENT_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_EVENT_TIME = datetime(2100, 1, 1, tzinfo=UTC)
"""Event and feedback times outside ``[EARLIEST_EVENT_TIME, LATEST_EVENT_TIME)`` are rejected.

The store's retention is ``toDateTime(time) + days``; ClickHouse ``DateTime`` ends in February 2106, and a
later time wraps round to look expired, so such a row would be inserted and then silently dropped.
"""

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
TagValue = Annotated[str, StringConstraints(max_length=256)]


@dataclass(frozen=True)
class TextLimits:
    """Upper bounds on free text, in UTF-8 bytes (settings ``ingest.max_text_bytes``)."""

    max_prompt_bytes: int = DEFAULT_MAX_TEXT_BYTES
    max_response_bytes: int = DEFAULT_MAX_TEXT_BYTES
    max_feedback_text_bytes: int = DEFAULT_MAX_TEXT_BYTES


def _limits(info: ValidationInfo) -> TextLimits:
    context = info.context or {}
    return context.get("limits") or TextLimits()


def _check_size(value: str | None, limit: int, field: str) -> str | None:
    # A character is at most 4 bytes in UTF-8: short texts need no encoding to be measured.
    if value is not None and len(value) * 4 > limit and len(value.encode("utf-8")) > limit:
        raise ValueError(f"{field} is larger than {limit} bytes")
    return value


def _as_utc(value: datetime) -> datetime:
    """Event times are stored in UTC; a naive time is taken to be UTC already; the range is checked.

    >>> _as_utc(datetime(2106, 3, 1))
    Traceback (most recent call last):
    ValueError: time must be from 1970-01-01 to before 2100-01-01 (UTC)
    """
    try:
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00+05:00 has no UTC datetime
        raise ValueError("time is out of range once converted to UTC") from exc
    if not EARLIEST_EVENT_TIME <= utc < LATEST_EVENT_TIME:
        earliest, latest = f"{EARLIEST_EVENT_TIME:%Y-%m-%d}", f"{LATEST_EVENT_TIME:%Y-%m-%d}"
        raise ValueError(f"time must be from {earliest} to before {latest} (UTC)")
    return utc


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, str_max_length=10_000_000)

    schema_version: Literal[1] = SCHEMA_VERSION


class InferenceEvent(_Event):
    """One LLM call as the application saw it."""

    event_id: Identifier = Field(description="Unique id of the call; the deduplication key.")
    event_time: datetime = Field(description="When the call happened (UTC; naive times are taken as UTC).")
    app: Name = Field(validation_alias=AliasChoices("app", "service.name"))
    model: Name = Field(validation_alias=AliasChoices("model", "gen_ai.request.model", "gen_ai.response.model"))
    model_version: Name = "unversioned"
    prompt: str
    response: str
    latency_ms: float | None = Field(default=None, ge=0, le=86_400_000)
    tokens_in: int | None = Field(
        default=None,
        ge=0,
        le=100_000_000,
        validation_alias=AliasChoices("tokens_in", "gen_ai.usage.input_tokens"),
    )
    tokens_out: int | None = Field(
        default=None,
        ge=0,
        le=100_000_000,
        validation_alias=AliasChoices("tokens_out", "gen_ai.usage.output_tokens"),
    )
    cost_usd: float | None = Field(default=None, ge=0, le=1_000_000)
    user_id: Identifier | None = Field(default=None, validation_alias=AliasChoices("user_id", "user.id"))
    session_id: Identifier | None = Field(
        default=None, validation_alias=AliasChoices("session_id", "gen_ai.conversation.id", "session.id")
    )
    tags: dict[TagKey, TagValue] = Field(default_factory=dict, max_length=MAX_TAGS)

    _normalise_time = field_validator("event_time")(lambda cls, v: _as_utc(v))

    @field_validator("prompt")
    @classmethod
    def _prompt_size(cls, value: str, info: ValidationInfo) -> str:
        return _check_size(value, _limits(info).max_prompt_bytes, "prompt")

    @field_validator("response")
    @classmethod
    def _response_size(cls, value: str, info: ValidationInfo) -> str:
        return _check_size(value, _limits(info).max_response_bytes, "response")


class FeedbackKind(StrEnum):
    THUMBS = "thumbs"
    """value +1 (up) or -1 (down)."""
    RATING = "rating"
    """value from 1 to 5."""
    FLAG = "flag"
    """a problem report; ``labels`` say which (e.g. "unsafe", "off_topic")."""
    CORRECTION = "correction"
    """``text`` is the answer the user expected."""
    COMMENT = "comment"
    """``text`` is free-form."""


class FeedbackEvent(_Event):
    """A user's judgement of one inference, joined to it later by ``event_id``."""

    feedback_id: Identifier
    event_id: Identifier = Field(description="The inference this feedback is about; it may arrive before it.")
    feedback_time: datetime
    kind: FeedbackKind
    value: float | None = Field(default=None, allow_inf_nan=False)
    labels: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=MAX_TAGS
    )
    text: str | None = None
    user_id: Identifier | None = None

    _normalise_time = field_validator("feedback_time")(lambda cls, v: _as_utc(v))

    @field_validator("text")
    @classmethod
    def _text_size(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_size(value, _limits(info).max_feedback_text_bytes, "text")

    @model_validator(mode="after")
    def _value_fits_kind(self) -> FeedbackEvent:
        kind, value = self.kind, self.value
        if kind is FeedbackKind.THUMBS and value not in (1, -1):
            raise ValueError("thumbs feedback needs value +1 (up) or -1 (down)")
        if kind is FeedbackKind.RATING and (value is None or not 1 <= value <= 5):
            raise ValueError("rating feedback needs a value from 1 to 5")
        if kind is FeedbackKind.FLAG and not self.labels:
            raise ValueError("flag feedback needs at least one label")
        if kind in (FeedbackKind.CORRECTION, FeedbackKind.COMMENT) and not self.text:
            raise ValueError(f"{kind.value} feedback needs text")
        return self
