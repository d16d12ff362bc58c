"""Evidently's embedding-drift methods (``mmd``, ``model``, ``distance``, ``ratio``) behind the driftloop contract.

These use Evidently's own decision rules: a fixed threshold on the score, or with ``bootstrap=True`` a
quantile of a resampled score. They return no p-value, so the result carries ``threshold`` (when fixed)
and a decision, and a multiple-testing correction leaves them untouched. The calibrated detectors of
this package (:class:`~detectors.drift.MMDDetector`, ...) are the defaults; these are for comparison
and for users who already rely on Evidently's numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from detectors.drift.base import DriftDetector, Outcome

EvidentlyMethod = Literal["mmd", "model", "distance", "ratio"]
DistanceName = Literal["euclidean", "cosine", "cityblock", "chebyshev"]


class EvidentlyEmbeddingDetector(DriftDetector):
    """One of Evidently 0.7's legacy embedding drift methods, run on reference and current embeddings.

    Parameters
    ----------
    method
        ``"mmd"`` (RBF MMD², threshold 0.015), ``"model"`` (domain classifier ROC-AUC, threshold 0.55),
        ``"distance"`` (distance between means, threshold 0.2) or ``"ratio"`` (share of drifted
        components, threshold 0.2).
    threshold
        Score above which drift is declared; ``None`` keeps Evidently's default for the method.
    bootstrap
        Evidently's resampled threshold instead of the fixed one (``mmd``, ``model``, ``distance``).
    quantile_probability
        Quantile of the resampled score used when ``bootstrap`` is set; ``None`` keeps Evidently's default.
    pca_components
        Reduce both samples with a PCA fitted on the reference first.
    distance
        Metric of the ``distance`` method.
    component_stattest, component_stattest_threshold
        Per-component test of the ``ratio`` method and its threshold.
    **kwargs
        ``alpha``, ``min_reference``, ``min_current``, ``seed``, ``feature`` (see :class:`DriftDetector`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> det = EvidentlyEmbeddingDetector(method="distance").fit(rng.normal(size=(100, 8)))
    >>> result = det.test(rng.normal(1.0, 1, size=(100, 8)))
    >>> result.detector, result.decision.value, result.p_value is None, result.threshold
    ('evidently_distance', 'drift', True, 0.2)
    """

    name = "evidently"

    def __init__(
        self,
        *,
        method: EvidentlyMethod = "mmd",
        threshold: float | None = None,
        bootstrap: bool = False,
        quantile_probability: float | None = None,
        pca_components: int | None = None,
        distance: DistanceName = "euclidean",
        component_stattest: str = "wasserstein",
        component_stattest_threshold: float = 0.1,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if method not in ("mmd", "model", "distance", "ratio"):
            raise ValueError(f"unknown Evidently embedding drift method {method!r}")
        if bootstrap and method == "ratio":
            raise ValueError("Evidently's ratio method has no bootstrap option")
        self.method = method
        self.threshold = threshold
        self.bootstrap = bootstrap
        self.quantile_probability = quantile_probability
        self.pca_components = pca_components
        self.distance = distance
        self.component_stattest = component_stattest
        self.component_stattest_threshold = component_stattest_threshold
        self.name = f"evidently_{method}"

    def build_method(self) -> Any:
        """The Evidently ``DriftMethod`` object with this detector's settings (defaults resolved by Evidently)."""
        from evidently.legacy.metrics.data_drift import embedding_drift_methods as edm

        options: dict[str, Any] = {"pca_components": self.pca_components}
        if self.threshold is not None:
            options["threshold"] = self.threshold
        if self.method == "ratio":
            options["component_stattest"] = self.component_stattest
            options["component_stattest_threshold"] = self.component_stattest_threshold
            return edm.ratio(**options)
        options["bootstrap"] = self.bootstrap
        if self.quantile_probability is not None:
            options["quantile_probability"] = self.quantile_probability
        if self.method == "distance":
            return edm.distance(dist=self.distance, **options)
        return edm.mmd(**options) if self.method == "mmd" else edm.model(**options)

    def _fit(self, reference: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> None:
        method = self.build_method()
        self._resolved["evidently"] = {
            k: v for k, v in method.__dict__.items() if isinstance(v, str | int | float | bool | None)
        }

    def _score(self, current: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> Outcome:
        import pandas as pd

        method = self.build_method()
        # Evidently's ``model`` method adds a column to the frames it is given: pass fresh ones.
        score, drifted, _ = method(
            pd.DataFrame(current.astype(np.float64)), pd.DataFrame(self.reference.astype(np.float64))
        )
        threshold = None if self.bootstrap else float(method.threshold)
        rule = "bootstrap quantile" if self.bootstrap else f"threshold {threshold:g}"
        return Outcome(
            statistic=float(score),
            drift=bool(drifted),
            threshold=threshold,
            explanation=f"Evidently {self.method} score {float(score):.4g} ({rule}); no p-value",
        )
