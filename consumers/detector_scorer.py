"""Detectors plugged into the consumer batch: embed once, score safety, attach both to each event."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from consumers.scoring import EmbeddedBatch
from detectors.embedding import Embedder
from detectors.safety import SafetyBatch, SafetySuite
from infra.metrics import default_metrics
from schemas import InferenceEvent, SafetyScore, ScoredInference


class DetectorScorer:
    """Embeds prompts and responses in one pass, then runs every safety detector over the batch.

    Prompts and responses go through the embedder together, so its text cache serves
    repeated prompts and identical canned responses alike.
    """

    def __init__(self, embedder: Embedder, suite: SafetySuite) -> None:
        self.embedder = embedder
        self.suite = suite
        self.metrics = default_metrics()

    def embed(self, events: Sequence[InferenceEvent]) -> EmbeddedBatch:
        if not events:
            return EmbeddedBatch(events)
        n = len(events)
        with self.metrics.detector_seconds.labels(detector="embedding").time():
            vectors = self.embedder.embed([e.prompt for e in events] + [e.response for e in events])
        return EmbeddedBatch(events, prompt_vectors=vectors[:n], response_vectors=vectors[n:])

    def detect(self, batch: EmbeddedBatch) -> list[ScoredInference]:
        events, prompt_vectors, response_vectors = batch.events, batch.prompt_vectors, batch.response_vectors
        if not events:
            return []
        safety_batch = SafetyBatch(
            event_ids=[e.event_id for e in events],
            prompts=[e.prompt for e in events],
            responses=[e.response for e in events],
            prompt_embeddings=prompt_vectors,
            response_embeddings=response_vectors,
        )
        by_event: dict[str, list[SafetyScore]] = defaultdict(list)
        for detector in self.suite.detectors:
            with self.metrics.detector_seconds.labels(detector=f"{detector.name}").time():
                scores = detector.score(safety_batch)
            for score in scores:
                by_event[score.event_id].append(score)
        now = datetime.now(UTC)
        return [
            ScoredInference(
                event=event,
                received_at=now,
                prompt_embedding=prompt_vectors[i],
                response_embedding=response_vectors[i],
                embedding_model=self.embedder.name,
                safety=by_event.get(event.event_id, []),
            )
            for i, event in enumerate(events)
        ]
