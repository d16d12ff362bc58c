"""Drift detectors: a reference sample against a current window, one method per module.

Embedding detectors share one contract (:class:`DriftDetector`: ``fit(reference) -> Self``,
``test(current) -> DriftResult``); :class:`ScalarDriftDetector` tests per-event descriptor columns;
:func:`correct` applies a multiple-testing correction across a window's results.
"""

from detectors.drift.base import DriftDetector, Outcome
from detectors.drift.classifier import ClassifierDetector
from detectors.drift.correction import Correction, adjust_p_values, correct
from detectors.drift.evidently_embeddings import EvidentlyEmbeddingDetector
from detectors.drift.mean_distance import MeanDistanceDetector
from detectors.drift.mmd import MMDDetector
from detectors.drift.neighbours import NearestNeighbourDetector
from detectors.drift.scalar import ScalarDriftDetector
from detectors.drift.topic import TopicDriftDetector
from schemas.errors import DetectorNotFittedError

__all__ = [
    "ClassifierDetector",
    "Correction",
    "DetectorNotFittedError",
    "DriftDetector",
    "EvidentlyEmbeddingDetector",
    "MMDDetector",
    "MeanDistanceDetector",
    "NearestNeighbourDetector",
    "Outcome",
    "ScalarDriftDetector",
    "TopicDriftDetector",
    "adjust_p_values",
    "correct",
]
