"""Shared machinery of the detectors that score one side of an event with a linear probe."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Self

import numpy as np

from detectors.embedding.base import Embedder
from detectors.safety.base import SafetyBatch, SafetyDetector
from detectors.safety.corpus import ProbeTask
from detectors.safety.probe import Probe, default_probe
from schemas.safety import SafetyScore, SafetyTarget


class ProbeDetector(SafetyDetector):
    """Scores ``P(unsafe)`` from a :class:`Probe`; reports the probe in details, and for a breach, the exemplar
    similarity that explains it.

    Parameters
    ----------
    probe
        A probe trained for this detector's task (see :func:`default_probe`, :func:`train_probe`).
    threshold
        Breach when the score is at least this; ``None``: the detector's ``default_threshold``, its field of
        :class:`~schemas.safety.SafetyThresholds`.
    target
        Which side of the event to score.

    Notes
    -----
    ``detector_version`` is ``<detector version>/<probe version>``, so every score says which probe
    produced it; :meth:`swap_probe` replaces the probe in place (one attribute assignment).
    """

    task: ProbeTask
    default_threshold: ClassVar[float]
    base_version = "1.0.0"
    allowed_targets: tuple[SafetyTarget, ...] = (SafetyTarget.PROMPT,)

    def __init__(self, probe: Probe, *, threshold: float | None = None, target: SafetyTarget | None = None) -> None:
        target = SafetyTarget(target or self.allowed_targets[0])
        if target not in self.allowed_targets:
            raise ValueError(f"{type(self).__name__} scores {[t.value for t in self.allowed_targets]}, not {target}")
        threshold = self.default_threshold if threshold is None else threshold
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        self.threshold = threshold
        self.target = target
        self.swap_probe(probe)

    @classmethod
    def from_embedder(cls, embedder: Embedder, *, cache_dir: Path | str | None = None, **kwargs) -> Self:
        """Build with the shipped default probe for ``embedder`` (trained and cached on first use)."""
        return cls(default_probe(cls.task, embedder, cache_dir=cache_dir), **kwargs)

    @property
    def version(self) -> str:  # type: ignore[override]
        return f"{self.base_version}/{self._probe.version}"

    @property
    def probe(self) -> Probe:
        return self._probe

    def swap_probe(self, probe: Probe) -> None:
        """Use ``probe`` from the next batch on (e.g. a retrained challenger that passed its gate)."""
        if probe.task != self.task.value:
            raise ValueError(f"{type(self).__name__} needs a {self.task.value} probe, got {probe.task}")
        self._probe = probe

    def _combine(
        self, probe_scores: np.ndarray, texts: list[str], embeddings: np.ndarray
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Hook for subclasses that blend in other evidence: the scores, and per-event evidence for the details.

        Default: the probe alone."""
        return probe_scores, {}

    def score(self, batch: SafetyBatch) -> list[SafetyScore]:
        probe = self._probe
        emb = batch.embeddings(self.target)
        texts = [t or "" for t in batch.texts(self.target)]
        p = probe.predict(emb, texts)
        scores, evidence = self._combine(p, texts, emb)
        details: list[dict[str, float]] = [{"probe": float(value)} for value in p]
        for name, values in evidence.items():
            for event_details, value in zip(details, values.tolist(), strict=True):
                event_details[name] = value
        # Similarity to the unsafe exemplars explains a breach; for every event it would cost more than the probe.
        breached = np.flatnonzero(scores >= self.threshold)
        for i, similarity in zip(breached, probe.similarity(emb[breached]), strict=True):
            details[i]["exemplar_similarity"] = float(similarity)
        return self._scores(batch, self.target, scores, self.threshold, details, self._explain(scores))

    def _explain(self, scores: np.ndarray) -> list[str]:
        return [
            f"{self.name} probability {s:.2f} {'>=' if s >= self.threshold else '<'} {self.threshold:.2f}"
            for s in scores
        ]
