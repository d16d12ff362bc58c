"""Requests for clearly harmful help in prompts."""

from __future__ import annotations

from detectors.safety.corpus import ProbeTask
from detectors.safety.probe_detector import ProbeDetector
from schemas.safety import DEFAULT_SAFETY_THRESHOLDS


class HarmfulRequestDetector(ProbeDetector):
    """Asks for weapons, crime, abuse, hate or self-harm help, as opposed to safe questions that sound
    dangerous ("how do I kill a Python process").
    """

    name = "harmful_request"
    task = ProbeTask.HARMFUL
    default_threshold = DEFAULT_SAFETY_THRESHOLDS.harmful_threshold
