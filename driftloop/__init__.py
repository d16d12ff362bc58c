"""driftloop: monitoring and feedback loop for LLM applications.

The public Python surface: publish events with :class:`Publisher`; every error driftloop
raises on purpose derives from :class:`DriftloopError`.
"""

from driftloop.errors import (
    BrokerUnavailable,
    ConfigError,
    DriftloopError,
    InvalidEvent,
    PublishError,
    ServiceNotRunning,
)
from driftloop.publisher import Publisher
from schemas import FeedbackEvent, FeedbackKind, InferenceEvent

__all__ = [
    "BrokerUnavailable",
    "ConfigError",
    "DriftloopError",
    "FeedbackEvent",
    "FeedbackKind",
    "InferenceEvent",
    "InvalidEvent",
    "Publisher",
    "PublishError",
    "ServiceNotRunning",
]
