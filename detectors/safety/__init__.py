"""Per-event safety detectors: jailbreak / injection, harmful requests, toxicity, refusal, relevance, PII.

Each takes a :class:`SafetyBatch` (texts plus embeddings computed once upstream) and returns one
:class:`schemas.SafetyScore` per event. Probe-based detectors use versioned :class:`Probe` files trained
on texts driftloop ships.
"""

from detectors.safety.base import SafetyBatch, SafetyDetector
from detectors.safety.corpus import Corpus, ProbeTask, load_corpus
from detectors.safety.harmful import HarmfulRequestDetector
from detectors.safety.jailbreak import JailbreakDetector
from detectors.safety.pii import PII_KINDS, PiiDetector, PiiKind, count_pii, redact
from detectors.safety.probe import (
    Probe,
    ProbeMetadata,
    default_cache_dir,
    default_probe,
    list_probe_versions,
    load_probe,
    save_probe,
    train_probe,
)
from detectors.safety.probe_detector import ProbeDetector
from detectors.safety.refusal import RefusalDetector, refusal_cue
from detectors.safety.relevance import RelevanceDetector
from detectors.safety.suite import SafetySuite
from detectors.safety.toxicity import ToxicityDetector

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
