"""Per-event safety scores: one row per (event, detector, target), and the thresholds that decide a breach."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SafetyDetectorName = Literal["jailbreak", "harmful_request", "toxicity", "pii", "refusal", "relevance"]
"""The names of the shipped safety detectors, as they appear in :attr:`SafetyScore.detector`."""

BREACH_DETECTORS: tuple[SafetyDetectorName, ...] = ("jailbreak", "harmful_request", "toxicity", "pii")
"""Detectors whose breach is a safety problem of the event (refusal and relevance describe the answer)."""


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


class SafetyThresholds(BaseModel):
    """When each shipped safety detector calls an event a breach.

    The one place these defaults live: ``SafetySuite.default`` scores with them, and the service's
    ``safety`` settings are built on this model. The jailbreak and harmful-request defaults sit above benign
    demo traffic's 98th-99th percentile; ``bench/safety.py`` prints each probe's 1%-FPR threshold on public
    data.

    >>> SafetyThresholds(jailbreak_threshold=0.8).jailbreak_threshold
    0.8
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    jailbreak_threshold: float = Field(default=0.7, ge=0, le=1, description="Jailbreak probe score of a breach.")
    harmful_threshold: float = Field(default=0.9, ge=0, le=1, description="Harmful-request probe score of a breach.")
    toxicity_threshold: float = Field(default=0.5, ge=0, le=1, description="Toxicity probe score of a breach.")
    refusal_threshold: float = Field(default=0.5, ge=0, le=1, description="Refusal score of a breach.")
    relevance_threshold: float = Field(
        default=0.1, ge=-1, le=1, description="A prompt-response cosine below this is off topic."
    )
    pii_min_findings: int = Field(default=1, ge=1, description="PII findings in one text that make a breach.")


DEFAULT_SAFETY_THRESHOLDS = SafetyThresholds()
