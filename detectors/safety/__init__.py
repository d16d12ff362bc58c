"""Per-event safety detectors: jailbreak / injection, harmful requests, toxicity, refusal, relevance, PII.

Each takes a :class:`SafetyBatch` (texts plus embeddings computed once upstream) and returns one
:class:`schemas.SafetyScore` per event. Probe-based detectors use versioned :class:`Probe` files trained
on texts driftloop ships.

Names load on first use: the PII helpers are imported by code (the demo, redaction) that must not pay for
scikit-learn and the probes.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Corpus": "detectors.safety.corpus",
    "HarmfulRequestDetector": "detectors.safety.harmful",
    "JailbreakDetector": "detectors.safety.jailbreak",
    "PII_KINDS": "detectors.safety.pii",
    "PiiDetector": "detectors.safety.pii",
    "PiiKind": "detectors.safety.pii",
    "Probe": "detectors.safety.probe",
    "ProbeDetector": "detectors.safety.probe_detector",
    "ProbeMetadata": "detectors.safety.probe",
    "ProbeTask": "detectors.safety.corpus",
    "RefusalDetector": "detectors.safety.refusal",
    "RelevanceDetector": "detectors.safety.relevance",
    "SafetyBatch": "detectors.safety.base",
    "SafetyDetector": "detectors.safety.base",
    "SafetySuite": "detectors.safety.suite",
    "ToxicityDetector": "detectors.safety.toxicity",
    "count_pii": "detectors.safety.pii",
    "default_cache_dir": "detectors.safety.probe",
    "default_probe": "detectors.safety.probe",
    "list_probe_versions": "detectors.safety.probe",
    "load_corpus": "detectors.safety.corpus",
    "load_probe": "detectors.safety.probe",
    "redact": "detectors.safety.pii",
    "refusal_cue": "detectors.safety.refusal",
    "save_probe": "detectors.safety.probe",
    "train_probe": "detectors.safety.probe",
}

__all__ = [
    "PII_KINDS",
    "Corpus",
    "HarmfulRequestDetector",
    "JailbreakDetector",
    "PiiDetector",
    "PiiKind",
    "Probe",
    "ProbeDetector",
    "ProbeMetadata",
    "ProbeTask",
    "RefusalDetector",
    "RelevanceDetector",
    "SafetyBatch",
    "SafetyDetector",
    "SafetySuite",
    "ToxicityDetector",
    "count_pii",
    "default_cache_dir",
    "default_probe",
    "list_probe_versions",
    "load_corpus",
    "load_probe",
    "redact",
    "refusal_cue",
    "save_probe",
    "train_probe",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
