"""Detectors plugged into the consumer batch: embed once, score safety, attach both to each event."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

import numpy as np

from detectors.embedding import Embedder
from detectors.safety import SafetyBatch, SafetySuite
from infra.metrics import default_metrics
from schemas import InferenceEvent, SafetyScore, ScoredInference


class DetectorScorer:
    """Embeds prompts and responses in one pass and runs every safety detector over the batch.

    Prompts and responses go through the embedder together, so its text cache serves
    repeated prompts and identical canned responses alike. A batch is scored in chunks of
    ``chunk_size`` events: while the detectors score one chunk (one core), the next chunk is
    tokenised and embedded on a helper thread, so the embedder's streams are not left idle.
    """

    def __init__(self, embedder: Embedder, suite: SafetySuite, chunk_size: int = 256) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        self.embedder = embedder
        self.suite = suite
        self.chunk_size = chunk_size
        self.metrics = default_metrics()
        self._embedding_thread = ThreadPoolExecutor(1, thread_name_prefix="driftloop-embed")

    def score(self, events: Sequence[InferenceEvent]) -> list[ScoredInference]:
        chunks = [events[i : i + self.chunk_size] for i in range(0, len(events), self.chunk_size)]
        scored: list[ScoredInference] = []
        pending = self._embed_later(chunks[0]) if chunks else None
        for k, chunk in enumerate(chunks):
            vectors = pending.result()
            pending = self._embed_later(chunks[k + 1]) if k + 1 < len(chunks) else None
            scored += self._score_chunk(chunk, vectors)
        return scored

    def _embed_later(self, events: Sequence[InferenceEvent]) -> Future[np.ndarray]:
        return self._embedding_thread.submit(self._embed, events)

    def _embed(self, events: Sequence[InferenceEvent]) -> np.ndarray:
        with self.metrics.detector_seconds.labels(detector="embedding").time():
            return self.embedder.embed([e.prompt for e in events] + [e.response for e in events])

    def _score_chunk(self, events: Sequence[InferenceEvent], vectors: np.ndarray) -> list[ScoredInference]:
        n = len(events)
        prompt_vectors, response_vectors = vectors[:n], vectors[n:]
        batch = SafetyBatch(
            event_ids=[e.event_id for e in events],
            prompts=[e.prompt for e in events],
            responses=[e.response for e in events],
            prompt_embeddings=prompt_vectors,
            response_embeddings=response_vectors,
        )
        by_event: dict[str, list[SafetyScore]] = defaultdict(list)
        for detector in self.suite.detectors:
            with self.metrics.detector_seconds.labels(detector=f"{detector.name}").time():
                scores = detector.score(batch)
            for score in scores:
                by_event[score.event_id].append(score)
        now = datetime.now(UTC)
        return [
            ScoredInference(
                event=event,
                received_at=now,
                prompt_embedding=prompt_vectors[i].tolist(),
                response_embedding=response_vectors[i].tolist(),
                embedding_model=self.embedder.name,
                safety=by_event.get(event.event_id, []),
            )
            for i, event in enumerate(events)
        ]
