"""Every safety detector over one batch."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from detectors.embedding.base import Embedder
from detectors.safety.base import SafetyBatch, SafetyDetector
from detectors.safety.harmful import HarmfulRequestDetector
from detectors.safety.jailbreak import JailbreakDetector
from detectors.safety.pii import PiiDetector
from detectors.safety.refusal import RefusalDetector
from detectors.safety.relevance import RelevanceDetector
from detectors.safety.toxicity import ToxicityDetector
from schemas.safety import DEFAULT_SAFETY_THRESHOLDS, SafetyScore, SafetyTarget, SafetyThresholds


class SafetySuite:
    """Runs detectors in order and concatenates their scores (grouped by detector, batch order within).

    Examples
    --------
    >>> suite = SafetySuite([PiiDetector()])
    >>> [s.breached for s in suite.score(SafetyBatch(["e1", "e2"], ["", ""], ["jo@example.org", "hi"]))]
    [True, False]
    """

    def __init__(self, detectors: Sequence[SafetyDetector]) -> None:
        keys = [(d.name, getattr(d, "target", None)) for d in detectors]
        if len(set(keys)) != len(keys):
            raise ValueError(f"two detectors share a name and target: {keys}")
        self.detectors = list(detectors)

    @property
    def needs_embeddings(self) -> bool:
        return any(d.needs_embeddings for d in self.detectors)

    def score(self, batch: SafetyBatch) -> list[SafetyScore]:
        if len(batch) == 0:
            return []
        return [s for d in self.detectors for s in d.score(batch)]

    def detector(self, name: str, target: SafetyTarget | None = None) -> SafetyDetector:
        """The detector called ``name`` (and scoring ``target``, when several share the name)."""
        for d in self.detectors:
            if d.name == name and (target is None or getattr(d, "target", None) == target):
                return d
        raise KeyError(name)

    @classmethod
    def default(
        cls,
        embedder: Embedder,
        thresholds: SafetyThresholds = DEFAULT_SAFETY_THRESHOLDS,
        *,
        cache_dir: Path | str | None = None,
    ) -> SafetySuite:
        """All shipped detectors with their default probes for ``embedder``, breaching at ``thresholds``
        (the service passes its ``safety`` settings, which are a :class:`~schemas.safety.SafetyThresholds`)."""
        kw = {"cache_dir": cache_dir}
        return cls(
            [
                JailbreakDetector.from_embedder(embedder, threshold=thresholds.jailbreak_threshold, **kw),
                HarmfulRequestDetector.from_embedder(embedder, threshold=thresholds.harmful_threshold, **kw),
                ToxicityDetector.from_embedder(
                    embedder, threshold=thresholds.toxicity_threshold, target=SafetyTarget.PROMPT, **kw
                ),
                ToxicityDetector.from_embedder(
                    embedder, threshold=thresholds.toxicity_threshold, target=SafetyTarget.RESPONSE, **kw
                ),
                RefusalDetector.from_embedder(embedder, threshold=thresholds.refusal_threshold, **kw),
                RelevanceDetector(threshold=thresholds.relevance_threshold),
                PiiDetector(min_findings=thresholds.pii_min_findings),
            ]
        )
