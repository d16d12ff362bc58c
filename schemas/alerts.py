"""Alerts: each lifecycle transition (firing, resolved) is one ``Alert`` event on ``driftloop.alerts``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.drift import DriftResult, StreamKey
from schemas.safety import SafetyScore


class AlertKind(StrEnum):
    DRIFT = "drift"
    SAFETY = "safety"
    DISPARITY = "disparity"
    """A user segment gets a worse rate than the rest of its stream (``monitor.segments``)."""
    SIGNAL = "signal"
    """A stream's window signal (latency, cost, feedback, safety rates, volume) broke a rule (``monitor.signals``)."""


class AlertState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Alert(BaseModel):
    """An alert transition with the evidence that caused it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: str
    kind: AlertKind
    state: AlertState
    severity: Severity
    stream: StreamKey
    detector: str
    dedup_key: str = Field(description="Stream + detector: transitions of one alert share it.")
    created_at: datetime
    summary: str
    event_id: str | None = Field(default=None, description="The event that breached, for safety alerts.")
    safety: list[SafetyScore] = Field(default_factory=list)
    drift: DriftResult | None = None
    report_path: str | None = None
