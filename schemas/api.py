"""What the HTTP API answers: ingest receipts, stream aggregates, errors.

Events, drift results, alerts and retrain runs travel as their own wire models; the models here
are the aggregates and receipts that exist only at the API (and the store queries behind it).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.drift import ClusterShift, StreamKey


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Scope(StrEnum):
    """What a bearer token may do; ``admin`` implies the other two."""

    INGEST = "ingest"
    READ = "read"
    ADMIN = "admin"


class FieldError(_Out):
    """One rejected field: ``field`` is a dotted path, with ``[i]`` for the i-th event of a batch."""

    field: str
    message: str
    type: str = ""


class ApiError(_Out):
    """Every 4xx/5xx body: a machine-readable ``error`` code, a sentence, and the bad fields if any."""

    error: str
    message: str
    fields: list[FieldError] = Field(default_factory=list)


class IngestReceipt(_Out):
    """Events accepted and acknowledged by the broker; ``ids`` in the order they were sent."""

    kind: Literal["inference", "feedback"]
    accepted: int = Field(ge=0)
    ids: list[str]
    topic: str


class StreamOverview(_Out):
    """One stream on the overview: totals over all time, rates over the last ``window_s`` seconds."""

    stream: StreamKey
    events: int = Field(ge=0, description="Stored events, all time.")
    first_event: datetime
    last_event: datetime
    window_s: int = Field(gt=0)
    window_events: int = Field(ge=0, description="Events with event time in the last window_s seconds.")
    event_rate_per_min: float = Field(ge=0)
    safety_breach_rate: float | None = Field(
        default=None, ge=0, le=1, description="Share of scored events in the window with any safety breach."
    )
    thumbs_feedback: int = Field(default=0, ge=0, description="Thumbs feedback in the window, joined to the stream.")
    thumbs_down_rate: float | None = Field(default=None, ge=0, le=1)
    open_alerts: int = Field(default=0, ge=0)


class UsageBucket(_Out):
    """Events, latency, tokens and cost of one stream in one time bucket."""

    bucket: datetime
    events: int = Field(ge=0)
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    tokens_in_mean: float | None = None
    tokens_out_mean: float | None = None
    cost_usd: float | None = None


class SafetyBucket(_Out):
    """Share of events one safety detector flagged in one time bucket."""

    bucket: datetime
    detector: str
    scored: int = Field(ge=0)
    breached: int = Field(ge=0)
    rate: float = Field(ge=0, le=1)


class FeedbackByVersion(_Out):
    """Feedback of one app/model, per model version, joined to its inferences in ClickHouse."""

    stream: StreamKey
    feedback: int = Field(ge=0)
    thumbs: int = Field(ge=0)
    thumbs_down: int = Field(ge=0)
    thumbs_down_rate: float | None = Field(default=None, ge=0, le=1)
    ratings: int = Field(ge=0)
    mean_rating: float | None = None
    flags: int = Field(ge=0)


class TopicClusters(_Out):
    """The topic clusters of a stream's latest evaluated window against its reference."""

    stream: StreamKey
    detector: str
    window_start: datetime | None = None
    window_end: datetime | None = None
    reference_start: datetime | None = None
    reference_end: datetime | None = None
    p_value: float | None = None
    clusters: list[ClusterShift] = Field(default_factory=list)


class AlertCount(_Out):
    state: str
    count: int = Field(ge=0)


def _named(stream: StreamKey) -> StreamKey:
    for name in ("app", "model", "model_version"):
        if not 1 <= len(getattr(stream, name)) <= 128:
            raise ValueError(f"stream.{name} must have 1 to 128 characters")
    return stream


class RetrainTrigger(BaseModel):
    """``POST /v1/retrain``: start one manual run of a stream."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stream: StreamKey
    reason: str = Field(default="manual", min_length=1, max_length=1000)

    _stream_named = field_validator("stream")(classmethod(lambda cls, v: _named(v)))


class RetrainTriggered(_Out):
    run_id: str
    stream: StreamKey
    reason: str


class ReferenceRequest(BaseModel):
    """``POST /v1/reference``: pin ``[start, end)`` of event time as the stream's reference."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stream: StreamKey
    start: datetime
    end: datetime
    note: str = Field(default="", max_length=1000)

    _stream_named = field_validator("stream")(classmethod(lambda cls, v: _named(v)))

    @field_validator("start", "end")
    @classmethod
    def _storable(cls, value: datetime) -> datetime:
        if not 1900 < value.year < 2299:
            raise ValueError("times must be between the years 1901 and 2298")
        return value


class ReferenceOut(_Out):
    """A stream's pinned reference; ``enough`` says whether it holds ``drift.min_samples`` events."""

    stream: StreamKey
    start: datetime
    end: datetime
    note: str = ""
    pinned_at: datetime | None = None
    events: int | None = Field(default=None, ge=0)
    enough: bool | None = None


class SnapshotOut(_Out):
    """A dataset snapshot written for retraining: its content hash and manifest."""

    sha256: str
    created_at: datetime
    manifest: dict[str, Any]


class Healthz(_Out):
    status: Literal["ok"] = "ok"


__all__ = [
    "AlertCount",
    "ApiError",
    "FeedbackByVersion",
    "FieldError",
    "Healthz",
    "IngestReceipt",
    "ReferenceOut",
    "ReferenceRequest",
    "RetrainTrigger",
    "RetrainTriggered",
    "SafetyBucket",
    "Scope",
    "SnapshotOut",
    "StreamOverview",
    "TopicClusters",
    "UsageBucket",
]
