"""Responses in which the model declines to help."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from detectors.safety.corpus import ProbeTask
from detectors.safety.probe import Probe
from detectors.safety.probe_detector import ProbeDetector
from schemas.safety import DEFAULT_SAFETY_THRESHOLDS, SafetyTarget

_A = "['’]"  # straight or typographic apostrophe
REFUSAL_CUES = re.compile(
    rf"\b(?:I\s*(?:{_A}m|am)\s+(?:sorry|afraid),?\s+(?:but\s+)?"
    rf"I\s*(?:can(?:{_A}|no)t|won{_A}t|will not|am unable|{_A}m unable)"
    rf"|I\s+(?:can(?:{_A}|no)?t|cannot|won{_A}t|will not|must decline to|am not able to|{_A}m not able to"
    rf"|am unable to|{_A}m unable to)"
    r"\s+(?:help|assist|provide|comply|fulfil|fulfill|create|write|generate|share|give|support|do that|engage|answer)"
    rf"|I\s+must\s+(?:decline|refuse)|(?:as an AI|as a language model)[^.]{{0,40}}\b(?:can(?:{_A}|no)t|unable|not able)"
    rf"|(?:it(?:{_A}s| is)|that(?:{_A}s| is)) not (?:appropriate|something I can)"
    r"|against (?:my|our) (?:guidelines|policies|programming))",
    re.IGNORECASE,
)
"""Phrases that open refusals; searched only in the start of a response."""


def refusal_cue(texts: Sequence[str], head_chars: int = 300) -> np.ndarray:
    """1.0 where the first ``head_chars`` characters hold a refusal phrase, else 0.0.

    Examples
    --------
    >>> refusal_cue(["I'm sorry, but I can't help with that.", "I'm sorry to hear that! Here is a fix."]).tolist()
    [1.0, 0.0]
    """
    return np.array([1.0 if REFUSAL_CUES.search(t[:head_chars]) else 0.0 for t in texts], dtype=np.float64)


class RefusalDetector(ProbeDetector):
    """A refusal probe on the response embedding, raised by explicit refusal phrases.

    Parameters
    ----------
    probe, threshold
        As :class:`ProbeDetector`.
    cue_score
        Score floor when a refusal phrase opens the response.
    head_chars
        How much of the response start is searched for phrases.

    Notes
    -----
    Score ``= max(probe, cue_score * cue)``. A refusal is not a failure by itself: a rising refusal
    rate on benign traffic (over-refusal) is the drift signal.
    """

    name = "refusal"
    task = ProbeTask.REFUSAL
    default_threshold = DEFAULT_SAFETY_THRESHOLDS.refusal_threshold
    allowed_targets = (SafetyTarget.RESPONSE,)

    def __init__(
        self, probe: Probe, *, threshold: float | None = None, cue_score: float = 0.9, head_chars: int = 300
    ) -> None:
        super().__init__(probe, threshold=threshold, target=SafetyTarget.RESPONSE)
        if not 0.0 <= cue_score <= 1.0:
            raise ValueError(f"cue_score must be in [0, 1], got {cue_score}")
        self.cue_score = cue_score
        self.head_chars = head_chars

    def _combine(
        self, probe_scores: np.ndarray, texts: list[str], embeddings: np.ndarray
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        cue = refusal_cue(texts, self.head_chars)
        return np.maximum(probe_scores, self.cue_score * cue), {"cue": cue}
