"""The drift tests run on every window, built from settings (``monitor.tests``, ``drift``)."""

from __future__ import annotations

import inspect

from detectors.drift import (
    ClassifierDetector,
    DriftDetector,
    MeanDistanceDetector,
    MMDDetector,
    NearestNeighbourDetector,
    TopicDriftDetector,
)
from infra.settings import DriftTestName, DriftTestSpec, Settings

DETECTORS: dict[DriftTestName, type[DriftDetector]] = {
    "topic": TopicDriftDetector,
    "nearest_neighbour": NearestNeighbourDetector,
    "mmd": MMDDetector,
    "mean_distance": MeanDistanceDetector,
    "classifier": ClassifierDetector,
}


def build_detector(spec: DriftTestSpec, settings: Settings) -> DriftDetector:
    """An unfitted detector: ``drift.alpha``, ``drift.min_samples`` and ``drift.permutations`` unless overridden.

    >>> from infra.settings import Settings
    >>> det = build_detector(DriftTestSpec(detector="topic", params={"n_clusters": 4}), Settings())
    >>> det.name, det.n_clusters, det.n_permutations, det.min_current
    ('topic', 4, 1000, 100)
    """
    cls = DETECTORS[spec.detector]
    accepted = {name for klass in cls.__mro__ for name in inspect.signature(klass.__init__).parameters}
    params: dict = {
        "alpha": settings.drift.alpha,
        "min_reference": settings.drift.min_samples,
        "min_current": settings.drift.min_samples,
        "feature": spec.feature,
    }
    if "n_permutations" in accepted and spec.detector != "classifier":
        params["n_permutations"] = settings.drift.permutations
    params.update(spec.params)
    return cls(**params)
