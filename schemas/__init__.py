"""The wire contract of driftloop: every event, score, result and alert is one of these models.

Non-Python producers use the JSON Schema files generated next to this module
(``driftloop schemas export``); a test keeps them in sync with the models.
"""

from schemas.alerts import Alert, AlertKind, AlertState, Severity
from schemas.analytics import *  # noqa: F403 - segment, comparison and usage results, see schemas.analytics
from schemas.api import *  # noqa: F403 - the HTTP API's response models, see schemas.api.__all__
from schemas.drift import ClusterShift, DriftDecision, DriftResult, StreamKey
from schemas.events import (
    SCHEMA_VERSION,
    FeedbackEvent,
    FeedbackKind,
    InferenceEvent,
    TextLimits,
)
from schemas.records import DeadLetter, RejectionKind, ScoredBatch, ScoredFeedback, ScoredInference, ScoredRecord
from schemas.retrain import RetrainRequest, RetrainRun, RetrainRunSummary, RetrainStatus
from schemas.safety import SafetyScore, SafetyTarget
from schemas.status import ConsumerLag, DriftWindowsStatus, ServiceStatus

__all__ = [
    "SCHEMA_VERSION",
    "Alert",
    "AlertKind",
    "AlertState",
    "ClusterShift",
    "ConsumerLag",
    "DriftWindowsStatus",
    "DeadLetter",
    "DriftDecision",
    "DriftResult",
    "FeedbackEvent",
    "FeedbackKind",
    "InferenceEvent",
    "RejectionKind",
    "RetrainRequest",
    "RetrainRun",
    "RetrainRunSummary",
    "RetrainStatus",
    "SafetyScore",
    "SafetyTarget",
    "ScoredBatch",
    "ScoredFeedback",
    "ScoredInference",
    "ScoredRecord",
    "ServiceStatus",
    "Severity",
    "StreamKey",
    "TextLimits",
]
