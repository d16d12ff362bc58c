"""Internal records between driftloop's own processes.

Workers validate and score events, then publish these to ``driftloop.scored``; the one
process that owns the store writes them to ClickHouse (see DESIGN.md, "store ownership").
Dead letters go to ``driftloop.dlq`` with the original bytes and why they were rejected.
"""

from __future__ import annotations

import base64
from array import array
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from schemas.events import FeedbackEvent, InferenceEvent
from schemas.safety import SafetyScore


def _pack_vector(values: list[float]) -> str:
    return base64.b64encode(array("f", values).tobytes()).decode("ascii")


def _unpack_vector(value: object) -> object:
    if isinstance(value, str):
        packed = array("f")
        packed.frombytes(base64.b64decode(value))
        return packed.tolist()
    return value


class ScoredInference(BaseModel):
    """An inference event with what the worker computed for it.

    Embeddings travel as base64 of little-endian float32 (a quarter of their JSON size).

    >>> from datetime import UTC, datetime
    >>> from schemas import InferenceEvent
    >>> event = InferenceEvent(event_id="e", event_time=datetime.now(UTC), app="a", model="m", prompt="p", response="r")
    >>> row = ScoredInference(event=event, received_at=datetime.now(UTC), prompt_embedding=[0.5, -1.0])
    >>> ScoredInference.model_validate_json(row.model_dump_json()).prompt_embedding
    [0.5, -1.0]
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["inference"] = "inference"
    event: InferenceEvent
    received_at: datetime
    prompt_embedding: list[float] = Field(default_factory=list)
    response_embedding: list[float] = Field(default_factory=list)
    embedding_model: str = ""
    safety: list[SafetyScore] = Field(default_factory=list)

    _unpack = field_validator("prompt_embedding", "response_embedding", mode="before")(
        classmethod(lambda cls, value: _unpack_vector(value))
    )

    @field_serializer("prompt_embedding", "response_embedding", when_used="json")
    def _pack(self, value: list[float]) -> str:
        return _pack_vector(value)


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
"""Either kind of scored row, told apart by ``kind``."""


class ScoredBatch(BaseModel):
    """One message on ``driftloop.scored``: many rows, so per-message costs are paid once per chunk."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    records: list[ScoredRecord]


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
