"""Drift of per-event descriptors (lengths, latency, tokens, cost, safety scores, feedback) via Evidently."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

import numpy as np
import pandas as pd

from detectors.drift.base import decide
from schemas.drift import DEFAULT_DRIFT_TESTING, DriftDecision, DriftResult
from schemas.errors import DetectorNotFittedError

StatTestName = Literal[
    "ks",
    "mannw",
    "anderson",
    "cramer_von_mises",
    "t_test",
    "es",
    "chisquare",
    "z",
    "g_test",
    "fisher_exact",
    "wasserstein",
    "psi",
    "jensenshannon",
    "kl_div",
    "hellinger",
    "ed",
    "TVD",
]
"""Evidently column stat tests by registered name."""

P_VALUE_TESTS: frozenset[str] = frozenset(
    {"ks", "mannw", "anderson", "cramer_von_mises", "t_test", "es", "chisquare", "z", "g_test", "fisher_exact"}
)
"""Tests whose Evidently drift score is a p-value; the others return a distance compared with a threshold."""

Columns = Mapping[str, Any] | pd.DataFrame


class ScalarDriftDetector:
    """One Evidently column drift test per descriptor column, each result a :class:`~schemas.DriftResult`.

    Parameters
    ----------
    alpha
        Level for p-value tests: DRIFT when the p-value is at most ``alpha``.
    numerical_stattest, categorical_stattest
        Evidently test for numerical and for categorical columns; ``"auto"`` lets Evidently choose by
        sample size and number of distinct values (for more than 1,000 reference rows it picks a distance,
        Wasserstein or Jensen-Shannon, which has a threshold and no p-value).
    stattests
        Per-column override of the test.
    stattest_threshold
        Threshold of distance tests; ``None`` keeps Evidently's default for the test.
    categorical_columns
        Columns tested as categorical; boolean, string and category dtypes are categorical anyway.
    min_reference, min_current
        Per column, counted after dropping missing values: below them the column's result is
        INSUFFICIENT_DATA.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> reference = {"latency_ms": rng.gamma(2.0, 100.0, 500), "thumbs_up": rng.random(500) < 0.8}
    >>> current = {"latency_ms": rng.gamma(2.0, 150.0, 300), "thumbs_up": rng.random(300) < 0.8}
    >>> det = ScalarDriftDetector().fit(reference)
    >>> [(r.feature, r.decision.value) for r in det.test(current)]
    [('latency_ms', 'drift'), ('thumbs_up', 'no_drift')]
    """

    name = "evidently_column"
    version = "1"

    def __init__(
        self,
        *,
        alpha: float = DEFAULT_DRIFT_TESTING.alpha,
        numerical_stattest: StatTestName | Literal["auto"] = "ks",
        categorical_stattest: StatTestName | Literal["auto"] = "chisquare",
        stattests: Mapping[str, StatTestName] | None = None,
        stattest_threshold: float | None = None,
        categorical_columns: Sequence[str] = (),
        min_reference: int = 30,
        min_current: int = 30,
    ) -> None:
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {alpha}")
        if min_reference < 2 or min_current < 2:
            raise ValueError("min_reference and min_current must be at least 2")
        self.alpha = alpha
        self.numerical_stattest = numerical_stattest
        self.categorical_stattest = categorical_stattest
        self.stattests = dict(stattests or {})
        self.stattest_threshold = stattest_threshold
        self.categorical_columns = tuple(categorical_columns)
        self.min_reference = min_reference
        self.min_current = min_current
        self._reference: pd.DataFrame | None = None

    def fit(self, reference: Columns) -> Self:
        """Keep the reference columns (a DataFrame or a mapping of column name to values)."""
        self._reference = _frame(reference)
        return self

    def test(self, current: Columns) -> list[DriftResult]:
        """One result per reference column, in the reference's column order."""
        if self._reference is None:
            raise DetectorNotFittedError("ScalarDriftDetector.test called before fit")
        cur = _frame(current)
        return [self._test_column(col, cur.get(col)) for col in self._reference.columns]

    def _is_categorical(self, column: str, values: pd.Series) -> bool:
        return (
            column in self.categorical_columns
            or pd.api.types.is_bool_dtype(values)
            or isinstance(values.dtype, pd.CategoricalDtype)
            or pd.api.types.is_object_dtype(values)
            or pd.api.types.is_string_dtype(values)
        )

    def _test_column(self, column: str, current: pd.Series | None) -> DriftResult:
        from evidently.legacy.calculations.stattests import get_stattest
        from evidently.legacy.core import ColumnType

        assert self._reference is not None
        ref = self._reference[column].dropna()
        cur = current.dropna() if current is not None else pd.Series([], dtype=ref.dtype)
        categorical = self._is_categorical(column, ref)
        chosen = self.stattests.get(column, self.categorical_stattest if categorical else self.numerical_stattest)
        config: dict[str, Any] = {
            "stattest": chosen,
            "column_type": "categorical" if categorical else "numerical",
            "alpha": self.alpha,
            "min_reference": self.min_reference,
            "min_current": self.min_current,
        }
        base = {
            "detector": self.name,
            "detector_version": self.version,
            "feature": column,
            "alpha": self.alpha,
            "n_reference": len(ref),
            "n_current": len(cur),
        }
        if len(ref) < self.min_reference or len(cur) < self.min_current:
            return DriftResult(
                **base,
                statistic=0.0,
                decision=DriftDecision.INSUFFICIENT_DATA,
                explanation=(
                    f"insufficient data: n_reference={len(ref)} (min {self.min_reference}), "
                    f"n_current={len(cur)} (min {self.min_current}); no test was run"
                ),
                config=config,
            )
        if categorical:
            ref, cur = ref.astype(str), cur.astype(str)
        else:
            ref, cur = ref.astype(np.float64), cur.astype(np.float64)
        column_type = ColumnType.Categorical if categorical else ColumnType.Numerical
        stattest = get_stattest(ref, cur, column_type, None if chosen == "auto" else chosen)
        config["stattest"] = stattest.name
        if stattest.name in P_VALUE_TESTS:
            outcome = stattest(ref, cur, column_type, self.alpha)
            p = float(np.clip(outcome.drift_score, 0.0, 1.0))
            return DriftResult(
                **base,
                statistic=p,
                p_value=p,
                decision=decide(p, self.alpha),
                explanation=f"Evidently {stattest.display_name}: p={p:.3g}",
                config=config,
            )
        outcome = stattest(ref, cur, column_type, self.stattest_threshold)
        config["threshold"] = float(outcome.actual_threshold)
        return DriftResult(
            **base,
            statistic=float(outcome.drift_score),
            threshold=float(outcome.actual_threshold),
            decision=DriftDecision.DRIFT if outcome.drifted else DriftDecision.NO_DRIFT,
            explanation=(
                f"Evidently {stattest.display_name}: {float(outcome.drift_score):.3g} "
                f"(threshold {float(outcome.actual_threshold):g}); no p-value"
            ),
            config=config,
        )


def _frame(columns: Columns) -> pd.DataFrame:
    if isinstance(columns, pd.DataFrame):
        return columns.reset_index(drop=True)
    return pd.DataFrame({name: pd.Series(np.asarray(values)) for name, values in columns.items()})
