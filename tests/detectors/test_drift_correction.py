"""Multiple-testing correction across one window's drift results."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import false_discovery_control

from detectors.drift import Correction, adjust_p_values, correct
from detectors.drift.base import decide
from schemas.drift import DriftDecision, DriftResult


def _result(p: float | None, *, decision: DriftDecision | None = None, alpha: float = 0.05) -> DriftResult:
    if decision is None:
        decision = decide(p, alpha) if p is not None else DriftDecision.NO_DRIFT
    return DriftResult(
        detector="d",
        detector_version="1",
        statistic=0.0,
        p_value=p,
        threshold=None if p is not None else 0.2,
        alpha=alpha,
        decision=decision,
        n_reference=100,
        n_current=100,
    )


@pytest.mark.parametrize("seed", range(5))
def test_benjamini_hochberg_matches_scipy(seed: int) -> None:
    p = np.random.default_rng(seed).beta(0.5, 3.0, size=25)
    np.testing.assert_allclose(adjust_p_values(p, Correction.BENJAMINI_HOCHBERG), false_discovery_control(p))


def test_bonferroni_and_none() -> None:
    p = [0.001, 0.02, 0.4]
    np.testing.assert_allclose(adjust_p_values(p, "bonferroni"), [0.003, 0.06, 1.0])
    np.testing.assert_allclose(adjust_p_values(p, "none"), p)
    assert adjust_p_values([], "benjamini_hochberg").size == 0


def test_correct_redecides_on_the_adjusted_p_value() -> None:
    raw = [0.01, 0.04, 0.03, 0.5]
    results = [_result(p) for p in raw]
    assert [r.decision for r in results].count(DriftDecision.DRIFT) == 3
    bh = correct(results)
    assert [r.decision for r in bh] == [DriftDecision.DRIFT] + [DriftDecision.NO_DRIFT] * 3
    assert [r.p_value for r in bh] == raw
    np.testing.assert_allclose([r.adjusted_p_value for r in bh], false_discovery_control(raw))
    assert bh[0].config["correction"] == {"method": "benjamini_hochberg", "n_tests": 4}
    bonf = correct(results, Correction.BONFERRONI)
    assert [r.decision for r in bonf] == [DriftDecision.DRIFT] + [DriftDecision.NO_DRIFT] * 3
    none = correct(results, "none")
    assert [r.decision for r in none] == [r.decision for r in results]
    assert correct(results, "none", alpha=0.001)[0].decision is DriftDecision.NO_DRIFT


def test_results_without_a_test_are_left_alone_and_not_counted() -> None:
    insufficient = _result(None, decision=DriftDecision.INSUFFICIENT_DATA)
    thresholded = _result(None, decision=DriftDecision.DRIFT)
    out = correct([insufficient, _result(0.02), thresholded, _result(0.3)], Correction.BONFERRONI)
    assert out[0] == insufficient and out[2] == thresholded
    assert out[1].adjusted_p_value == pytest.approx(0.04)
    assert out[1].config["correction"]["n_tests"] == 2


def test_unknown_method_is_rejected() -> None:
    with pytest.raises(ValueError):
        correct([_result(0.1)], "holm")  # type: ignore[arg-type]
