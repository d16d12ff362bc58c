"""Multiple-testing correction across the drift results of one window.

A window is tested by several detectors and features (prompt embeddings, response embeddings, latency,
tokens, ...). Each test alone keeps its false-alarm rate at ``alpha``; together they would alarm far
more often. :func:`correct` adjusts the p-values of one window's results jointly and re-decides:

- ``benjamini_hochberg`` (default) controls the false discovery rate, the expected share of false alarms
  among the alarms raised: adjusted ``p_(i) = min_{j >= i} p_(j) m / j`` over the sorted p-values.
- ``bonferroni`` controls the family-wise error rate, the chance of any false alarm:
  adjusted ``p = min(1, p m)``; stricter, for when every alarm pages someone.
- ``none`` copies the raw p-value, so downstream code can rely on ``adjusted_p_value`` being set.

Only results that have a p-value and a decision take part (``m`` counts them); results of methods
without a p-value and INSUFFICIENT_DATA results are returned unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import numpy as np

from detectors.drift.base import decide
from schemas.drift import DriftDecision, DriftResult


class Correction(StrEnum):
    BENJAMINI_HOCHBERG = "benjamini_hochberg"
    BONFERRONI = "bonferroni"
    NONE = "none"


def adjust_p_values(p_values: Sequence[float], method: Correction | str) -> np.ndarray:
    """Adjusted p-values in the input order.

    Examples
    --------
    >>> adjust_p_values([0.01, 0.04, 0.03, 0.5], "benjamini_hochberg").round(3).tolist()
    [0.04, 0.053, 0.053, 0.5]
    >>> adjust_p_values([0.01, 0.04, 0.03, 0.5], "bonferroni").round(3).tolist()
    [0.04, 0.16, 0.12, 1.0]
    """
    method = Correction(method)
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0 or method is Correction.NONE:
        return p.copy()
    if method is Correction.BONFERRONI:
        return np.minimum(p * m, 1.0)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def correct(
    results: Sequence[DriftResult],
    method: Correction | str = Correction.BENJAMINI_HOCHBERG,
    alpha: float | None = None,
) -> list[DriftResult]:
    """Fill ``adjusted_p_value`` across one window's results and re-decide on it.

    Parameters
    ----------
    results
        The results of one window (any detectors, any features).
    method
        See the module docstring.
    alpha
        Level for the new decisions; ``None`` keeps each result's own ``alpha``.

    Returns
    -------
    list of DriftResult
        New results in the input order; ``config["correction"]`` records the method and the family size.

    Examples
    --------
    >>> from schemas.drift import DriftDecision, DriftResult
    >>> def result(p):
    ...     return DriftResult(detector="d", detector_version="1", statistic=0.0, p_value=p, alpha=0.05,
    ...                        decision=decide(p, 0.05), n_reference=100, n_current=100)
    >>> [r.decision.value for r in correct([result(0.01), result(0.04), result(0.03), result(0.5)])]
    ['drift', 'no_drift', 'no_drift', 'no_drift']
    """
    method = Correction(method)
    testable = [
        i for i, r in enumerate(results) if r.p_value is not None and r.decision is not DriftDecision.INSUFFICIENT_DATA
    ]
    adjusted = adjust_p_values([results[i].p_value for i in testable], method)  # type: ignore[misc]
    out = list(results)
    for i, adj in zip(testable, adjusted, strict=True):
        r = results[i]
        level = r.alpha if alpha is None else alpha
        out[i] = r.model_copy(
            update={
                "adjusted_p_value": float(adj),
                "alpha": level,
                "decision": decide(float(adj), level),
                "config": {**r.config, "correction": {"method": method.value, "n_tests": len(testable)}},
            }
        )
    return out
