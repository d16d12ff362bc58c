"""Builds the pieces a worker needs from settings (embedder, safety detectors, scorer)."""

from __future__ import annotations

from consumers.scoring import BatchScorer, UnscoredBatch
from infra.settings import Settings


def build_scorer(settings: Settings) -> BatchScorer:
    """The batch scorer the settings ask for: detectors unless ``embedding.enabled`` is off."""
    if not settings.embedding.enabled:
        return UnscoredBatch()
    from consumers.detector_scorer import DetectorScorer
    from detectors.embedding import build_embedder
    from detectors.safety import SafetySuite

    embedding, safety = settings.embedding, settings.safety
    embedder = build_embedder(
        embedding.backend,
        batch_size=embedding.batch_size,
        max_seq_length=embedding.max_seq_length,
        cache_size=embedding.cache_size,
        artefact_dir=settings.cache_dir / "models",
    )
    suite = SafetySuite.default(
        embedder,
        cache_dir=settings.cache_dir / "probes",
        jailbreak_threshold=safety.jailbreak_threshold,
        harmful_threshold=safety.harmful_threshold,
        toxicity_threshold=safety.toxicity_threshold,
        refusal_threshold=safety.refusal_threshold,
        relevance_threshold=safety.relevance_threshold,
        pii_min_findings=safety.pii_min_findings,
    )
    return DetectorScorer(embedder, suite)
