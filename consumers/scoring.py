"""The seam where detectors plug into the consumer batch.

A worker hands each validated batch to a ``BatchScorer``; what comes back is what gets
stored. ``UnscoredBatch`` stores events as they are; ``consumers.detector_scorer`` embeds
prompts and responses once and runs the safety detectors over the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from schemas import InferenceEvent, ScoredInference


class BatchScorer(Protocol):
    def score(self, events: Sequence[InferenceEvent]) -> list[ScoredInference]:
        """Score a batch; called from a worker thread, so it may block on CPU."""
        ...


class UnscoredBatch:
    """Stores events without embeddings or safety scores."""

    def score(self, events: Sequence[InferenceEvent]) -> list[ScoredInference]:
        now = datetime.now(UTC)
        return [ScoredInference(event=event, received_at=now) for event in events]
