"""Insults, hostility and demeaning statements about groups, in prompts or responses."""

from __future__ import annotations

from detectors.safety.corpus import ProbeTask
from detectors.safety.probe_detector import ProbeDetector
from schemas.safety import DEFAULT_SAFETY_THRESHOLDS, SafetyTarget


class ToxicityDetector(ProbeDetector):
    """Toxicity probe on either side of the event; run one instance per side.

    Examples
    --------
    >>> ToxicityDetector.allowed_targets
    (<SafetyTarget.RESPONSE: 'response'>, <SafetyTarget.PROMPT: 'prompt'>)
    """

    name = "toxicity"
    task = ProbeTask.TOXICITY
    default_threshold = DEFAULT_SAFETY_THRESHOLDS.toxicity_threshold
    allowed_targets = (SafetyTarget.RESPONSE, SafetyTarget.PROMPT)
