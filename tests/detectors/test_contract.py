"""Shared checks over every exported drift detector: determinism, minimum sizes, typed results, pickle, power."""

from __future__ import annotations

import inspect
import json
import pickle
from collections.abc import Callable

import numpy as np
import pytest

import detectors.drift as drift
from detectors.drift import (
    ClassifierDetector,
    DetectorNotFittedError,
    DriftDetector,
    EvidentlyEmbeddingDetector,
    MeanDistanceDetector,
    MMDDetector,
    NearestNeighbourDetector,
    ScalarDriftDetector,
    TopicDriftDetector,
)
from schemas.drift import DriftDecision, DriftResult

DIM = 16

FACTORIES: dict[str, Callable[[], DriftDetector]] = {
    "mmd": lambda: MMDDetector(n_permutations=200),
    "mmd_full_permutations": lambda: MMDDetector(n_permutations=200, permutation_scheme="full"),
    "mean_distance": lambda: MeanDistanceDetector(n_permutations=200),
    "classifier": lambda: ClassifierDetector(),
    "topic": lambda: TopicDriftDetector(n_clusters=4, n_permutations=200),
    "nearest_neighbour": lambda: NearestNeighbourDetector(n_permutations=200),
    "evidently_mmd": lambda: EvidentlyEmbeddingDetector(method="mmd"),
    "evidently_model": lambda: EvidentlyEmbeddingDetector(method="model"),
    "evidently_distance": lambda: EvidentlyEmbeddingDetector(method="distance"),
    "evidently_ratio": lambda: EvidentlyEmbeddingDetector(method="ratio"),
}


def _sample(seed: int, n: int, shift: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(shift, 1.0, size=(n, DIM)).astype(np.float32)


@pytest.fixture(params=sorted(FACTORIES), ids=sorted(FACTORIES))
def factory(request: pytest.FixtureRequest) -> Callable[[], DriftDetector]:
    return FACTORIES[request.param]


def test_every_exported_detector_is_checked() -> None:
    exported = {
        obj
        for name in drift.__all__
        if inspect.isclass(obj := getattr(drift, name))
        and issubclass(obj, DriftDetector)
        and not inspect.isabstract(obj)
    }
    checked = {type(make()) for make in FACTORIES.values()}
    assert exported == checked
    methods = {make().name for make in FACTORIES.values() if isinstance(make(), EvidentlyEmbeddingDetector)}
    assert methods == {"evidently_mmd", "evidently_model", "evidently_distance", "evidently_ratio"}


def test_seeded_determinism(factory: Callable[[], DriftDetector]) -> None:
    reference, current = _sample(1, 150), _sample(2, 120, shift=0.1)
    first = factory().fit(reference).test(current)
    again = factory().fit(reference).test(current)
    assert first == again
    det = factory().fit(reference)
    assert det.test(current) == det.test(current)


def test_insufficient_current_makes_no_decision(factory: Callable[[], DriftDetector]) -> None:
    det = factory().fit(_sample(1, 150))
    result = det.test(_sample(2, det.min_current - 1, shift=5.0))
    assert result.decision is DriftDecision.INSUFFICIENT_DATA
    assert result.p_value is None
    assert result.n_current == det.min_current - 1
    assert "insufficient" in result.explanation


def test_insufficient_reference_makes_no_decision(factory: Callable[[], DriftDetector]) -> None:
    probe = factory()
    det = probe.fit(_sample(1, probe.min_reference - 1))
    result = det.test(_sample(2, 150, shift=5.0))
    assert result.decision is DriftDecision.INSUFFICIENT_DATA
    assert result.n_reference == probe.min_reference - 1


def test_result_is_typed_and_sane(factory: Callable[[], DriftDetector]) -> None:
    det = factory().fit(_sample(1, 150))
    result = det.test(_sample(2, 120))
    assert isinstance(result, DriftResult)
    assert result.detector == det.name and result.detector_version == det.version
    assert (result.n_reference, result.n_current) == (150, 120)
    assert result.alpha == det.alpha
    assert np.isfinite(result.statistic)
    assert result.decision in (DriftDecision.DRIFT, DriftDecision.NO_DRIFT)
    if result.p_value is None:  # only Evidently's methods decide on a threshold instead of a p-value
        assert isinstance(det, EvidentlyEmbeddingDetector) and result.threshold is not None
    if result.p_value is not None:
        assert 0 < result.p_value <= 1
        assert (result.decision is DriftDecision.DRIFT) == (result.p_value <= result.alpha)
    assert result.config["alpha"] == det.alpha and result.config["seed"] == det.seed
    assert result.explanation
    assert DriftResult.model_validate_json(result.model_dump_json()) == result
    json.dumps(result.config)


def test_pickle_round_trip(factory: Callable[[], DriftDetector]) -> None:
    det = factory().fit(_sample(1, 150))
    clone = pickle.loads(pickle.dumps(det))
    current = _sample(3, 120, shift=0.2)
    assert clone.test(current) == det.test(current)


def test_detects_an_obvious_shift(factory: Callable[[], DriftDetector]) -> None:
    det = factory().fit(_sample(1, 200))
    result = det.test(_sample(2, 200, shift=1.0))
    assert result.decision is DriftDecision.DRIFT
    if result.p_value is not None:
        assert result.p_value <= 0.01


def test_test_before_fit_and_bad_input_raise(factory: Callable[[], DriftDetector]) -> None:
    with pytest.raises(DetectorNotFittedError):
        factory().test(_sample(1, 50))
    det = factory().fit(_sample(1, 150))
    with pytest.raises(ValueError, match="dim"):
        det.test(np.zeros((50, DIM + 1)))
    with pytest.raises(ValueError, match="NaN"):
        det.test(np.full((50, DIM), np.nan))
    with pytest.raises(ValueError, match="texts"):
        det.test(_sample(2, 50), texts=["only one"])


def test_invalid_alpha_is_rejected(factory: Callable[[], DriftDetector]) -> None:
    det_type = type(factory())
    with pytest.raises(ValueError, match="alpha"):
        det_type(alpha=1.5)


def test_classifier_permutation_p_value() -> None:
    det = ClassifierDetector(n_folds=2, p_value_method="permutation", n_permutations=19, alpha=0.1)
    result = det.fit(_sample(1, 60)).test(_sample(2, 60, shift=1.5))
    assert result.p_value == pytest.approx(1 / 20)
    assert result.decision is DriftDecision.DRIFT


# ---- the scalar (per-event descriptor) detector ---------------------------------------------------------


def _descriptors(seed: int, n: int, latency_scale: float = 100.0, up_rate: float = 0.8) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "latency_ms": rng.gamma(2.0, latency_scale, n),
        "prompt_chars": rng.poisson(80, n).astype(float),
        "thumbs_up": rng.random(n) < up_rate,
    }


def test_scalar_detector_contract() -> None:
    reference = _descriptors(1, 600)
    det = ScalarDriftDetector().fit(reference)
    current = _descriptors(2, 400, latency_scale=160.0, up_rate=0.5)
    results = det.test(current)
    assert [r.feature for r in results] == ["latency_ms", "prompt_chars", "thumbs_up"]
    by_name = {r.feature: r for r in results}
    assert by_name["latency_ms"].decision is DriftDecision.DRIFT
    assert by_name["thumbs_up"].decision is DriftDecision.DRIFT
    assert by_name["latency_ms"].config["stattest"] == "ks"
    assert by_name["thumbs_up"].config["column_type"] == "categorical"
    for r in results:
        assert r.p_value is not None and 0 <= r.p_value <= 1
        assert (r.decision is DriftDecision.DRIFT) == (r.p_value <= r.alpha)
        assert r.detector == "evidently_column" and (r.n_reference, r.n_current) == (600, 400)
    assert det.test(current) == results
    assert pickle.loads(pickle.dumps(det)).test(current) == results


def test_scalar_detector_insufficient_and_missing_columns() -> None:
    det = ScalarDriftDetector(min_current=50).fit(_descriptors(1, 300))
    current = _descriptors(2, 40)
    del current["prompt_chars"]
    results = {r.feature: r for r in det.test(current)}
    assert results["prompt_chars"].n_current == 0
    assert all(r.decision is DriftDecision.INSUFFICIENT_DATA for r in results.values())


def test_scalar_detector_distance_tests_carry_a_threshold() -> None:
    det = ScalarDriftDetector(numerical_stattest="wasserstein").fit(_descriptors(1, 300))
    result = det.test(_descriptors(2, 300, latency_scale=300.0))[0]
    assert result.p_value is None and result.threshold == pytest.approx(0.1)
    assert result.decision is DriftDecision.DRIFT


def test_scalar_detector_under_no_drift_is_calibrated() -> None:
    """80 independent no-drift windows of 3 columns: 240 tests at alpha = 0.05, mean 12 alarms, sd 3.4."""
    alarms = 0
    for seed in range(1, 81):
        det = ScalarDriftDetector(categorical_stattest="z").fit(_descriptors(1000 + seed, 500))
        alarms += sum(r.decision is DriftDecision.DRIFT for r in det.test(_descriptors(seed, 300)))
    # KS on Poisson counts (ties) is conservative, so only the upper side is tight: mean + 3.5 sd.
    assert alarms <= 24
