"""The seam where detectors plug into the consumer batch.

A worker hands each validated batch to a ``BatchScorer`` in two phases: ``embed`` (the
embedder, which keeps every core busy) and ``detect`` (the safety detectors and the rows,
mostly one core). The worker runs one batch's ``detect`` while the next batch is embedded.
``UnscoredBatch`` stores events as they are; ``consumers.detector_scorer`` embeds prompts
and responses once and runs the safety detectors over the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from schemas import InferenceEvent, ScoredInference


@dataclass
class EmbeddedBatch:
    """A batch between the two phases: its events and, when the scorer embeds, their vectors."""

    events: Sequence[InferenceEvent]
    prompt_vectors: np.ndarray | None = None
    response_vectors: np.ndarray | None = None


class BatchScorer(Protocol):
    """Called from worker threads, so each phase may block on CPU."""

    def embed(self, events: Sequence[InferenceEvent]) -> EmbeddedBatch: ...

    def detect(self, batch: EmbeddedBatch) -> list[ScoredInference]: ...


def score_batch(scorer: BatchScorer, events: Sequence[InferenceEvent]) -> list[ScoredInference]:
    """Both phases at once, for callers that do not overlap batches."""
    return scorer.detect(scorer.embed(events))


class UnscoredBatch:
    """Stores events without embeddings or safety scores."""

    def embed(self, events: Sequence[InferenceEvent]) -> EmbeddedBatch:
        return EmbeddedBatch(events)

    def detect(self, batch: EmbeddedBatch) -> list[ScoredInference]:
        now = datetime.now(UTC)
        return [ScoredInference(event=event, received_at=now) for event in batch.events]
