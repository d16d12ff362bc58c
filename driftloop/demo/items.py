"""What the demo generator yields: wire events plus the ground truth the events themselves never reveal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal, NamedTuple

from detectors.safety.pii import PiiKind
from schemas import FeedbackEvent, InferenceEvent

Stream = Literal["inference", "feedback"]
"""Which of driftloop's input topics a record belongs on."""


class UnsafeKind(StrEnum):
    JAILBREAK = "jailbreak"
    PROMPT_INJECTION = "prompt_injection"
    TOXIC = "toxic"


class FeedbackTiming(StrEnum):
    AFTER = "after"
    """Published after its inference (the usual case)."""
    BEFORE = "before"
    """Published before its inference: the app sent the inference late."""
    UNKNOWN_EVENT = "unknown_event"
    """Names an event id that is never published."""


@dataclass(frozen=True, slots=True)
class Truth:
    """What really happened in one call; for tests and benchmarks, never sent to driftloop."""

    index: int
    """Position of the inference among all generated inferences (0-based, event-time order)."""
    app: str
    topic: str
    """Topic name; for unsafe prompts, the unsafe kind."""
    is_shifted: bool
    """The prompt is on one of the app's new topics (a topic shift)."""
    unsafe_kind: UnsafeKind | None
    pii: tuple[PiiKind, ...]
    """Kinds of fake personal data the response leaks."""
    is_refusal: bool
    p_negative: float
    """Probability that feedback on this call is negative, after every effect."""
    feedback_timing: FeedbackTiming | None
    """How this call's feedback is published, or None when it gets none."""

    @property
    def is_unsafe(self) -> bool:
        return self.unsafe_kind is not None


class WireRecord(NamedTuple):
    """One Kafka record as a producer would send it."""

    stream: Stream
    key: bytes
    """The inference's event id, so feedback lands on the same partition as its inference."""
    value: bytes
    at: datetime


@dataclass(frozen=True, slots=True)
class DemoItem:
    """One record of the demo stream: an inference or a feedback event (exactly one is set), and its truth."""

    at: datetime
    """When a producer publishes it; the stream is ordered by this."""
    event: InferenceEvent | None
    feedback: FeedbackEvent | None
    truth: Truth
    """For feedback, the truth of the call it is about (even when its id is unknown to driftloop)."""

    @property
    def stream(self) -> Stream:
        return "inference" if self.event is not None else "feedback"

    def to_wire(self) -> WireRecord:
        """The record a producer sends: UTF-8 JSON of the wire model, keyed by event id."""
        if self.event is not None:
            return WireRecord("inference", self.event.event_id.encode(), self.event.model_dump_json().encode(), self.at)
        assert self.feedback is not None
        return WireRecord(
            "feedback", self.feedback.event_id.encode(), self.feedback.model_dump_json().encode(), self.at
        )
