"""Internal records between driftloop's own processes.

Workers validate and score events, then publish these to ``driftloop.scored``; the one
process that owns the store writes them to ClickHouse (README.md, "Store ownership").
Dead letters go to ``driftloop.dlq`` with the original bytes and why they were rejected.
"""

from __future__ import annotations

import base64
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    field_serializer,
    field_validator,
)

from schemas.events import FeedbackEvent, InferenceEvent
from schemas.safety import SafetyScore


def _as_vector(value: object) -> np.ndarray:
    """A float32 vector from an array, a sequence of numbers, or base64 of little-endian float32 (the wire form)."""
    if isinstance(value, str):
        return np.frombuffer(base64.b64decode(value, validate=True), dtype="<f4")
    vector = np.asarray(value, dtype=np.float32)
    if vector.ndim != 1:
        raise ValueError(f"an embedding is one vector, got an array of shape {vector.shape}")
    return vector


def _pack_vector(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


Vector = Annotated[
    np.ndarray,
    PlainValidator(_as_vector),
    PlainSerializer(_pack_vector, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "contentEncoding": "base64", "description": "little-endian float32"}),
]
"""An embedding: a NumPy float32 vector in Python, base64 of its bytes on the wire (a quarter of its JSON size).

Vectors stay arrays from the embedder to the store's insert; Python float lists cost more than the detectors.
"""


class ScoredInference(BaseModel):
    """An inference event with what the worker computed for it.

    Embeddings are :data:`Vector` s: NumPy arrays here, base64 of float32 on the wire.

    >>> from datetime import UTC, datetime
    >>> from schemas import InferenceEvent
    >>> event = InferenceEvent(event_id="e", event_time=datetime.now(UTC), app="a", model="m", prompt="p", response="r")
    >>> row = ScoredInference(event=event, received_at=datetime.now(UTC), prompt_embedding=[0.5, -1.0])
    >>> ScoredInference.model_validate_json(row.model_dump_json()).prompt_embedding.tolist()
    [0.5, -1.0]
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["inference"] = "inference"
    event: InferenceEvent
    received_at: datetime
    prompt_embedding: Vector = Field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    response_embedding: Vector = Field(default_factory=lambda: np.zeros(0, dtype=np.float32))
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
