"""Domain classifier: can a model tell current rows from reference rows better than chance?"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy.stats import mannwhitneyu
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from detectors.drift.base import DriftDetector, Outcome
from detectors.stats import permutation_p_value

PValueMethod = Literal["holdout", "permutation"]


class ClassifierDetector(DriftDetector):
    """ROC-AUC of a logistic regression separating current from reference, on rows it was not trained on.

    Parameters
    ----------
    p_value_method
        ``"holdout"`` (default): train on a stratified ``1 - test_fraction`` of the pooled rows, score the
        rest; the AUC is the Mann-Whitney ``U / (n m)`` of the held-out scores and its one-sided
        Mann-Whitney p-value is exact (given the trained model, held-out scores are i.i.d. under no drift).
        ``"permutation"``: the ``n_folds`` cross-validated AUC of every row, compared with the AUCs of
        ``n_permutations`` relabelled refits: uses all rows, exact, ``n_permutations`` times the cost.
    test_fraction
        Held-out share for ``"holdout"``.
    n_folds
        Stratified folds for ``"permutation"``.
    n_permutations
        Relabellings for ``"permutation"``.
    regularization
        Inverse L2 strength ``C`` of the logistic regression.
    max_iter
        Solver iterations of the logistic regression.
    **kwargs
        ``alpha``, ``min_reference``, ``min_current``, ``seed``, ``feature`` (see :class:`DriftDetector`).

    Notes
    -----
    Pooling cross-validated (out-of-fold) scores and reading the Mann-Whitney null off them is *not*
    calibrated: scores from models that share training rows are dependent, the AUC varies more than the
    null assumes, and on CLINC150 embeddings (500 vs 500, 5 folds) such a test flagged 10% of no-drift
    windows at alpha 0.05. Hence a single held-out split, or a permutation test over the whole procedure.

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
    version = "2"

    def __init__(
        self,
        *,
        p_value_method: PValueMethod = "holdout",
        test_fraction: float = 0.5,
        n_folds: int = 5,
        n_permutations: int = 100,
        regularization: float = 1.0,
        max_iter: int = 200,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if p_value_method not in ("holdout", "permutation"):
            raise ValueError(f"unknown p_value_method {p_value_method!r}")
        if not 0 < test_fraction < 1:
            raise ValueError("test_fraction must be in (0, 1)")
        if n_folds < 2:
            raise ValueError("n_folds must be >= 2")
        if regularization <= 0:
            raise ValueError("regularization must be > 0")
        if n_permutations < 1:
            raise ValueError("n_permutations must be >= 1")
        self.p_value_method = p_value_method
        self.test_fraction = test_fraction
        self.n_folds = n_folds
        self.n_permutations = n_permutations
        self.regularization = regularization
        self.max_iter = max_iter

    def _fit(self, reference: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> None:
        pass

    def _model(self) -> LogisticRegression:
        return LogisticRegression(C=self.regularization, max_iter=self.max_iter)

    def _oof_scores(self, x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
        folds = StratifiedKFold(n_splits=self.n_folds, shuffle=True, random_state=seed)
        scores = np.empty(len(y), dtype=np.float64)
        for train, held_out in folds.split(x, y):
            scores[held_out] = self._model().fit(x[train], y[train]).decision_function(x[held_out])
        return scores

    def _score(self, current: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> Outcome:
        x = np.vstack([self.reference, current])
        y = np.r_[np.zeros(len(self.reference)), np.ones(len(current))].astype(np.int64)
        seed = int(rng.integers(2**31 - 1))
        if self.p_value_method == "holdout":
            train, test = train_test_split(
                np.arange(len(y)), test_size=self.test_fraction, stratify=y, random_state=seed
            )
            scores = self._model().fit(x[train], y[train]).decision_function(x[test])
            y_test = y[test]
            auc = float(roc_auc_score(y_test, scores))
            p = float(mannwhitneyu(scores[y_test == 1], scores[y_test == 0], alternative="greater").pvalue)
            how = f"held-out {len(test)} of {len(y)} rows, exact Mann-Whitney"
        else:
            if min(len(self.reference), len(current)) < self.n_folds:
                raise ValueError(f"each sample needs at least n_folds={self.n_folds} rows")
            auc = float(roc_auc_score(y, self._oof_scores(x, y, seed)))
            null = np.empty(self.n_permutations)
            for b in range(self.n_permutations):
                y_perm = rng.permutation(y)
                null[b] = roc_auc_score(y_perm, self._oof_scores(x, y_perm, seed))
            p = permutation_p_value(auc, null)
            how = f"{self.n_folds}-fold out-of-fold, {self.n_permutations} permutations"
        return Outcome(statistic=auc, p_value=p, explanation=f"classifier ROC-AUC {auc:.3f} ({how})")
