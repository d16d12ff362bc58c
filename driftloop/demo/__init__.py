"""Demo traffic for driftloop: realistic, seeded, controllable LLM calls and user feedback.

Three made-up applications (a bank's support bot, a travel assistant, a coding helper) serve users in
sessions; every call is a valid ``InferenceEvent`` and every piece of feedback a valid ``FeedbackEvent``.
Topic shifts, unsafe prompts, PII leaks and worse feedback for a segment or a model version are injected on
request, and what was injected is reported beside each event (``DemoItem.truth``), never inside it.

Generation is pure: nothing is published here; ``driftloop demo`` sends what :func:`generate_wire` yields.

>>> from driftloop.demo import DemoConfig, generate
>>> config = DemoConfig(seed=7, count=400, shift_at=200, shift_fraction=0.3, feedback_fraction=0.5)
>>> items = list(generate(config))
>>> calls = [item for item in items if item.stream == "inference"]
>>> len(calls), len(items) > len(calls)
(400, True)
>>> sum(item.truth.is_shifted for item in calls if item.truth.index < 200)
0
>>> 0.15 < sum(item.truth.is_shifted for item in calls if item.truth.index >= 200) / 200 < 0.45
True
>>> "is_shifted" in calls[0].event.model_dump_json()   # the truth never travels with the event
False
>>> items == list(generate(config))                     # same seed, same stream
True
>>> record = items[0].to_wire()
>>> record.stream, record.key == items[0].event.event_id.encode()
('inference', True)
"""

from detectors.safety.pii import PiiKind
from driftloop.demo.config import DemoConfig, Moment, SegmentEffect, VersionEffect
from driftloop.demo.generator import generate, generate_wire
from driftloop.demo.items import DemoItem, FeedbackTiming, Stream, Truth, UnsafeKind, WireRecord

__all__ = [
    "DemoConfig",
    "DemoItem",
    "FeedbackTiming",
    "Moment",
    "PiiKind",
    "SegmentEffect",
    "Stream",
    "Truth",
    "UnsafeKind",
    "VersionEffect",
    "WireRecord",
    "generate",
    "generate_wire",
]
