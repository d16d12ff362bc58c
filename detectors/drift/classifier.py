"""Domain classifier: can a model tell current rows from reference rows better than chance?"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy.stats import mannwhitneyu
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from detectors.drift.base import DriftDetector, Outcome
from detectors.stats import permutation_p_value

PValueMethod = Literal["mann_whitney", "permutation"]


class ClassifierDetector(DriftDetector):
    """Cross-validated ROC-AUC of a logistic regression separating current from reference.

    Parameters
    ----------
    n_folds
        Stratified folds; every row is scored by a model that did not see it (out-of-fold scores).
    regularization
        Inverse L2 strength ``C`` of the logistic regression.
    p_value_method
        ``"mann_whitney"``: the one-sided Mann-Whitney test of current vs reference out-of-fold scores (the
        AUC is ``U / (n m)``), cheap. ``"permutation"``: refit on ``n_permutations`` relabellings and
        compare AUCs, exact but ``n_permutations`` times the cost.
    n_permutations
        Relabellings for ``p_value_method="permutation"``.
    max_iter
        Solver iterations of the logistic regression.
    **kwargs
        ``alpha``, ``min_reference``, ``min_current``, ``seed``, ``feature`` (see :class:`DriftDetector`).

    Notes
    -----
    Under no drift, a row's out-of-fold score is independent of its label, so the Mann-Whitney null holds
    within a fold; pooling folds whose models differ slightly makes the test somewhat conservative
    (cross-validated AUC under no drift tends to fall below 0.5), never anti-conservative in practice.
    The false-alarm rate is measured by ``bench/drift_quality.py``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> det = ClassifierDetector().fit(rng.normal(size=(150, 8)))
    >>> det.test(rng.normal(size=(150, 8))).decision.value
    'no_drift'
    >>> result = det.test(rng.normal(0.7, 1, size=(150, 8)))
    >>> result.decision.value, result.statistic > 0.6
    ('drift', True)
    """

    name = "classifier"

    def __init__(
        self,
        *,
        n_folds: int = 5,
        regularization: float = 1.0,
        p_value_method: PValueMethod = "mann_whitney",
        n_permutations: int = 100,
        max_iter: int = 200,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if n_folds < 2:
            raise ValueError("n_folds must be >= 2")
        if regularization <= 0:
            raise ValueError("regularization must be > 0")
        if n_permutations < 1:
            raise ValueError("n_permutations must be >= 1")
        self.n_folds = n_folds
        self.regularization = regularization
        self.p_value_method = p_value_method
        self.n_permutations = n_permutations
        self.max_iter = max_iter

    def _fit(self, reference: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> None:
        pass

    def _oof_scores(self, x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
        folds = StratifiedKFold(n_splits=self.n_folds, shuffle=True, random_state=seed)
        scores = np.empty(len(y), dtype=np.float64)
        for train, held_out in folds.split(x, y):
            model = LogisticRegression(C=self.regularization, max_iter=self.max_iter)
            model.fit(x[train], y[train])
            scores[held_out] = model.decision_function(x[held_out])
        return scores

    def _score(self, current: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> Outcome:
        x = np.vstack([self.reference, current])
        y = np.r_[np.zeros(len(self.reference)), np.ones(len(current))].astype(np.int64)
        if min(len(self.reference), len(current)) < self.n_folds:
            raise ValueError(f"each sample needs at least n_folds={self.n_folds} rows")
        seed = int(rng.integers(2**31 - 1))
        scores = self._oof_scores(x, y, seed)
        auc = float(roc_auc_score(y, scores))
        if self.p_value_method == "mann_whitney":
            p = float(mannwhitneyu(scores[y == 1], scores[y == 0], alternative="greater").pvalue)
        else:
            null = np.empty(self.n_permutations)
            for b in range(self.n_permutations):
                y_perm = rng.permutation(y)
                null[b] = roc_auc_score(y_perm, self._oof_scores(x, y_perm, seed))
            p = permutation_p_value(auc, null)
        return Outcome(
            statistic=auc,
            p_value=p,
            explanation=f"out-of-fold ROC-AUC {auc:.3f} ({self.n_folds} folds, {self.p_value_method})",
        )
