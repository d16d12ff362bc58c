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
from schemas.safety import SafetyScore, SafetyTarget


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
        *,
        cache_dir: Path | str | None = None,
        jailbreak_threshold: float = 0.5,
        harmful_threshold: float = 0.5,
        toxicity_threshold: float = 0.5,
        refusal_threshold: float = 0.5,
        relevance_threshold: float = 0.1,
        pii_min_findings: int = 1,
    ) -> SafetySuite:
        """All shipped detectors with their default probes for ``embedder``."""
        kw = {"cache_dir": cache_dir}
        return cls(
            [
                JailbreakDetector.from_embedder(embedder, threshold=jailbreak_threshold, **kw),
                HarmfulRequestDetector.from_embedder(embedder, threshold=harmful_threshold, **kw),
                ToxicityDetector.from_embedder(
                    embedder, threshold=toxicity_threshold, target=SafetyTarget.PROMPT, **kw
                ),
                ToxicityDetector.from_embedder(
                    embedder, threshold=toxicity_threshold, target=SafetyTarget.RESPONSE, **kw
                ),
                RefusalDetector.from_embedder(embedder, threshold=refusal_threshold, **kw),
                RelevanceDetector(threshold=relevance_threshold),
                PiiDetector(min_findings=pii_min_findings),
            ]
        )
