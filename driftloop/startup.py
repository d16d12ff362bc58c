"""Builds the pieces a worker needs from settings (embedder, safety detectors, scorer)."""

from __future__ import annotations

from consumers.scoring import BatchScorer, UnscoredBatch
from infra.settings import Settings


def build_scorer(settings: Settings) -> BatchScorer:
    """The batch scorer the settings ask for: detectors unless ``embedding.enabled`` is off.

    Probe-based detectors follow the retraining registry: a promoted probe version is picked
    up by running workers without a restart.
    """
    if not settings.embedding.enabled:
        return UnscoredBatch()
    from consumers.detector_scorer import DetectorScorer
    from detectors.embedding import build_embedder
    from detectors.safety import ProbeDetector, SafetySuite
    from retrain import ProbeReloader, ReloadingScorer

    embedding = settings.embedding
    embedder = build_embedder(
        embedding.backend,
        batch_size=embedding.batch_size,
        max_seq_length=embedding.max_seq_length,
        cache_size=embedding.cache_size,
        artefact_dir=settings.cache_dir / "models",
    )
    suite = SafetySuite.default(embedder, settings.safety, cache_dir=settings.cache_dir / "probes")
    reloader = ProbeReloader(
        settings.data_dir / "registry",
        [detector for detector in suite.detectors if isinstance(detector, ProbeDetector)],
        poll_s=settings.retrain.reload_poll_s,
        embedder_name=embedder.name,
    )
    return ReloadingScorer(DetectorScorer(embedder, suite), reloader)


def scorer_embedder(scorer: BatchScorer):
    """The embedder inside a scorer, to share with retraining (None when events are not embedded)."""
    inner = getattr(scorer, "inner", scorer)
    return getattr(inner, "embedder", None)
