"""Builds the pieces a worker needs from settings (detectors, scorer)."""

from __future__ import annotations

from consumers.scoring import BatchScorer, UnscoredBatch
from infra.settings import Settings


def build_scorer(settings: Settings) -> BatchScorer:
    """The batch scorer the settings ask for."""
    return UnscoredBatch()
