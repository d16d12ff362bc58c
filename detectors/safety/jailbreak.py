"""Jailbreak and prompt-injection attempts in prompts."""

from __future__ import annotations

from detectors.safety.corpus import ProbeTask
from detectors.safety.probe_detector import ProbeDetector
from schemas.safety import DEFAULT_SAFETY_THRESHOLDS


class JailbreakDetector(ProbeDetector):
    """Persona jailbreaks, instruction overrides, indirect injections, adversarial suffixes.

    A probe on the prompt embedding plus lexical features (symbol density catches optimised suffixes),
    trained on driftloop's own attack templates against benign prompts full of the same trigger words
    ("ignore", "override", "system", "developer mode").
    """

    name = "jailbreak"
    task = ProbeTask.JAILBREAK
    default_threshold = DEFAULT_SAFETY_THRESHOLDS.jailbreak_threshold
