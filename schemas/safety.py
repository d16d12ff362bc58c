"""Per-event safety scores: one row per (event, detector, target)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class SafetyTarget(StrEnum):
    PROMPT = "prompt"
    RESPONSE = "response"
    PAIR = "pair"
    """Scores that need both texts, e.g. prompt–response relevance."""


class SafetyScore(BaseModel):
    """What one safety detector said about one event.

    ``details`` carries counts and sub-scores (e.g. PII kinds found), never the offending values.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    detector: str = Field(description="Detector name, e.g. 'jailbreak', 'toxicity', 'pii'.")
    detector_version: str
    target: SafetyTarget
    score: float
    threshold: float
    breached: bool
    details: dict[str, float] = Field(default_factory=dict)
    explanation: str = ""
