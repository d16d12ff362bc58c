"""Internal records between driftloop's own processes.

Workers validate and score events, then publish these to ``driftloop.scored``; the one
process that owns the store writes them to ClickHouse (see DESIGN.md, "store ownership").
Dead letters go to ``driftloop.dlq`` with the original bytes and why they were rejected.
"""

from __future__ import annotations

import base64
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from schemas.events import FeedbackEvent, InferenceEvent
from schemas.safety import SafetyScore


class ScoredInference(BaseModel):
    """An inference event with what the worker computed for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["inference"] = "inference"
    event: InferenceEvent
    received_at: datetime
    prompt_embedding: list[float] = Field(default_factory=list)
    response_embedding: list[float] = Field(default_factory=list)
    embedding_model: str = ""
    safety: list[SafetyScore] = Field(default_factory=list)


class ScoredFeedback(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["feedback"] = "feedback"
    feedback: FeedbackEvent
    received_at: datetime


class RejectionKind(StrEnum):
    """Why a message could not become an event."""

    EMPTY = "empty"
    OVERSIZED = "oversized"
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    SCHEMA_VERSION = "schema_version"
    INVALID = "invalid"


ScoredRecord = Annotated[ScoredInference | ScoredFeedback, Field(discriminator="kind")]
"""What travels on ``driftloop.scored``: either kind, told apart by ``kind``."""


class DeadLetter(BaseModel):
    """A message that could not become an event, kept whole so nothing is lost."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source_topic: str
    source_partition: int
    source_offset: int
    reason: str
    error_kind: RejectionKind
    original: bytes
    received_at: datetime

    @field_serializer("original")
    def _b64(self, value: bytes) -> str:
        return base64.b64encode(value).decode("ascii")

    @field_validator("original", mode="before")
    @classmethod
    def _from_b64(cls, value: object) -> object:
        if isinstance(value, str):
            return base64.b64decode(value)
        return value
