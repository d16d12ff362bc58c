"""The contract every per-event safety detector meets: a batch in, one typed score per event out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from schemas.safety import SafetyScore, SafetyTarget


@dataclass(frozen=True, slots=True)
class SafetyBatch:
    """Events to score together, with embeddings computed once upstream.

    Parameters
    ----------
    event_ids, prompts, responses
        One entry per event, in the same order.
    prompt_embeddings, response_embeddings
        L2-normalised float32 arrays of shape ``(n, dim)``; ``None`` when the caller embeds nothing
        (only the pattern-based detectors can run then).

    Examples
    --------
    >>> b = SafetyBatch(event_ids=["e1"], prompts=["hi"], responses=["hello"])
    >>> len(b)
    1
    """

    event_ids: Sequence[str]
    prompts: Sequence[str]
    responses: Sequence[str]
    prompt_embeddings: np.ndarray | None = None
    response_embeddings: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.event_ids)
        if len(self.prompts) != n or len(self.responses) != n:
            raise ValueError(
                f"event_ids, prompts and responses differ in length: {n}, {len(self.prompts)}, {len(self.responses)}"
            )
        for name in ("prompt_embeddings", "response_embeddings"):
            emb = getattr(self, name)
            if emb is not None and (emb.ndim != 2 or emb.shape[0] != n):
                raise ValueError(f"{name} must have shape (n={n}, dim), got {emb.shape}")

    def __len__(self) -> int:
        return len(self.event_ids)

    def embeddings(self, target: SafetyTarget) -> np.ndarray:
        """The embeddings of the prompt or response side; raises if they were not supplied."""
        emb = self.prompt_embeddings if target == SafetyTarget.PROMPT else self.response_embeddings
        if emb is None:
            raise ValueError(f"this detector needs {target.value} embeddings and the batch has none")
        return emb

    def texts(self, target: SafetyTarget) -> Sequence[str]:
        """The prompt or response texts."""
        return self.prompts if target == SafetyTarget.PROMPT else self.responses


class SafetyDetector(ABC):
    """One safety check. Subclasses set ``name`` and ``version`` and implement :meth:`score`.

    Thresholds are constructor parameters, so what ran is stamped into every :class:`SafetyScore`.
    """

    name: str
    version: str
    needs_embeddings: bool = True

    @abstractmethod
    def score(self, batch: SafetyBatch) -> list[SafetyScore]:
        """Score every event of ``batch``; returns scores in batch order (one or more per event)."""

    def _scores(
        self,
        batch: SafetyBatch,
        target: SafetyTarget,
        scores: np.ndarray,
        threshold: float,
        details: Sequence[dict[str, float]] | None = None,
        explanations: Sequence[str] | None = None,
        *,
        breach_below: bool = False,
    ) -> list[SafetyScore]:
        """Wrap per-event scores into :class:`SafetyScore` rows; breach at ``>= threshold`` by default."""
        scores = np.asarray(scores, dtype=np.float64)
        breached = scores < threshold if breach_below else scores >= threshold
        return [
            SafetyScore(
                event_id=batch.event_ids[i],
                detector=self.name,
                detector_version=self.version,
                target=target,
                score=float(scores[i]),
                threshold=float(threshold),
                breached=bool(breached[i]),
                details=details[i] if details is not None else {},
                explanation=explanations[i] if explanations is not None else "",
            )
            for i in range(len(batch))
        ]
