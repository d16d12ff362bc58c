"""Version comparison and usage on stored demo traffic: B refusing more and answering off-topic is worse there only."""

from __future__ import annotations

import pytest

from analytics import compare_versions
from driftloop.demo import DemoConfig, VersionEffect
from infra.settings import Settings
from infra.store import Store
from schemas import StreamKey, Verdict
from tests.analytics.traffic import only, recent_start, store_demo

APP = "bank-support"
A = StreamKey.parse("nimbus-8b@2026-02", app=APP)
B = StreamKey.parse("nimbus-8b@2026-05", app=APP)


def _demo(seed: int, effects: tuple[VersionEffect, ...] = ()) -> DemoConfig:
    return DemoConfig(
        seed=seed,
        count=3000,
        rate=1.0,
        start=recent_start(2),
        apps=(APP,),
        arrivals="even",
        feedback_fraction=0.5,
        deployment_weights=only(["nimbus-8b/2026-02", "nimbus-8b/2026-05"], APP),
        version_effects=effects,
    )


def test_version_with_more_refusals_and_off_topic_answers_is_worse_on_those(store: Store, tmp_path) -> None:  # noqa: ANN001
    effect = VersionEffect(app=APP, model_version="2026-05", refusal_rate=0.15)
    store_demo(store, _demo(3, (effect,)), off_topic={"2026-05": 0.15})
    result = compare_versions(store, Settings(data_dir=tmp_path), A, B)
    verdicts = {m.metric: m.verdict for m in result.metrics}
    assert result.verdict in (Verdict.WORSE, Verdict.MIXED)
    assert verdicts["refusal"] is Verdict.WORSE and verdicts["off_topic"] is Verdict.WORSE
    assert verdicts["relevance"] is Verdict.WORSE
    assert verdicts["safety_breach"] is not Verdict.WORSE and verdicts["latency_ms"] is not Verdict.WORSE
    refusal = next(m for m in result.metrics if m.metric == "refusal")
    assert refusal.rates is not None and refusal.rates.first.rate > refusal.rates.second.rate
    assert refusal.effect_size is not None and refusal.effect_size > 0
    assert any(line.startswith("refusal: worse") for line in result.evidence)
    assert result.events_a + result.events_b == 3000


@pytest.mark.slow
@pytest.mark.parametrize("seed", [31, 32, 33])
def test_same_behaviour_no_significant_difference(store: Store, tmp_path, seed: int) -> None:  # noqa: ANN001
    store_demo(store, _demo(seed))
    result = compare_versions(store, Settings(data_dir=tmp_path), A, B)
    worse_or_better = [m.metric for m in result.metrics if m.verdict in (Verdict.WORSE, Verdict.BETTER)]
    assert worse_or_better == [], result.evidence
    assert result.verdict is Verdict.NO_SIGNIFICANT_DIFFERENCE


def test_experiment_tag_restricts_both_versions(store: Store, tmp_path) -> None:  # noqa: ANN001
    store_demo(store, _demo(4))
    result = compare_versions(store, Settings(data_dir=tmp_path), A, B, experiment={"channel": "web"})
    everything = compare_versions(store, Settings(data_dir=tmp_path), A, B)
    assert 0 < result.events_a < everything.events_a and 0 < result.events_b < everything.events_b


def test_usage_aggregates(store: Store) -> None:
    store_demo(store, _demo(6))
    start = recent_start(2)
    total = store.aggregates.usage_totals(None, None, group_by="none")[0]
    by_version = store.aggregates.usage_totals(None, None, group_by="version")
    assert total["requests"] == 3000 == sum(r["requests"] for r in by_version)
    assert 0 < total["users"] <= 400 and total["users"] < total["sessions"] < total["requests"]
    assert total["requests_per_user"] == pytest.approx(total["with_user"] / total["users"])
    assert sum(r["cost_usd"] for r in by_version) == pytest.approx(total["cost_usd"])
    assert sum(r["tokens_out"] for r in by_version) == total["tokens_out"] > 0
    top = store.aggregates.usage_totals(None, None, group_by="model", order_by_cost=True)
    assert [r["cost_usd"] for r in top] == sorted((r["cost_usd"] for r in top), reverse=True)
    series = store.aggregates.usage_series(start, start.replace(hour=start.hour) + (recent_start(0) - start), 1800)
    assert sum(p["requests"] for p in series) == 3000 and len(series) >= 2
