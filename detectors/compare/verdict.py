"""From corrected p-values and effect signs to a verdict per metric and one overall verdict.

A metric is *worse* (or *better*) when its corrected p-value is at most ``alpha`` and its effect points
the way its :class:`~schemas.analytics.Direction` calls worse (or better). A neutral metric that
differs is *different*. Overall: *worse* when some metric is worse and none better, *better* the other
way round, *mixed* when both happen, *different* when only neutral metrics differ, otherwise *no
significant difference* (or *insufficient data* when no metric could be tested).
"""

from __future__ import annotations

from collections.abc import Sequence

from schemas.analytics import Direction, Verdict


def metric_verdict(direction: Direction, adjusted_p: float | None, alpha: float, effect: float | None) -> Verdict:
    """The verdict of one metric; ``effect`` is positive when B's value is higher than A's.

    >>> metric_verdict(Direction.HIGHER_IS_WORSE, 0.001, 0.05, 0.12).value
    'worse'
    >>> metric_verdict(Direction.LOWER_IS_WORSE, 0.001, 0.05, 0.12).value
    'better'
    >>> metric_verdict(Direction.HIGHER_IS_WORSE, 0.2, 0.05, 0.12).value
    'no_significant_difference'
    """
    if adjusted_p is None:
        return Verdict.INSUFFICIENT_DATA
    if adjusted_p > alpha:
        return Verdict.NO_SIGNIFICANT_DIFFERENCE
    if direction is Direction.NEUTRAL or effect is None or effect == 0:
        return Verdict.DIFFERENT
    higher = effect > 0
    return Verdict.WORSE if higher == (direction is Direction.HIGHER_IS_WORSE) else Verdict.BETTER


def overall_verdict(verdicts: Sequence[Verdict]) -> Verdict:
    """One verdict for the whole comparison (see the module docstring).

    >>> overall_verdict([Verdict.WORSE, Verdict.NO_SIGNIFICANT_DIFFERENCE, Verdict.DIFFERENT]).value
    'worse'
    >>> overall_verdict([Verdict.WORSE, Verdict.BETTER]).value
    'mixed'
    >>> overall_verdict([Verdict.INSUFFICIENT_DATA]).value
    'insufficient_data'
    """
    seen = set(verdicts)
    if Verdict.WORSE in seen and Verdict.BETTER in seen:
        return Verdict.MIXED
    for verdict in (Verdict.WORSE, Verdict.BETTER, Verdict.DIFFERENT):
        if verdict in seen:
            return verdict
    if seen and seen <= {Verdict.INSUFFICIENT_DATA}:
        return Verdict.INSUFFICIENT_DATA
    return Verdict.NO_SIGNIFICANT_DIFFERENCE
