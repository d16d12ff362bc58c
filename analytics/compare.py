"""Model-version comparison: version B of an app's model against version A over one time range.

Rates (thumbs-down, flags, safety breaches, refusals, off-topic answers) are counted exactly in
ClickHouse and tested with :func:`~detectors.compare.compare_rates`; latency, tokens, cost and
prompt-response relevance are tested on a deterministic sample of each version
(``compare.max_sample``) with :func:`~detectors.compare.compare_samples`; the responses' embeddings are
compared with a drift detector (``compare.drift_test``, version A as the reference). All p-values are
corrected together (``compare.correction``) and each metric gets a verdict from its direction; the
overall verdict is *worse*, *better*, *mixed*, *different* or *no significant difference*.

Canary and shadow traffic: ``experiment`` restricts both versions to events with those tags.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime

from detectors.compare import compare_rates, compare_samples, metric_verdict, overall_verdict
from detectors.drift import adjust_p_values
from infra.settings import Settings
from infra.store import Store
from monitor.windows.drift_tests import build_detector
from schemas import (
    Direction,
    DriftDecision,
    MetricComparison,
    MetricKind,
    StreamKey,
    Verdict,
    VersionComparison,
)

RATE_METRICS: dict[str, Direction] = {
    "thumbs_down": Direction.HIGHER_IS_WORSE,
    "flag": Direction.HIGHER_IS_WORSE,
    "safety_breach": Direction.HIGHER_IS_WORSE,
    "refusal": Direction.HIGHER_IS_WORSE,
    "off_topic": Direction.HIGHER_IS_WORSE,
}
SAMPLE_METRICS: dict[str, Direction] = {
    "latency_ms": Direction.HIGHER_IS_WORSE,
    "tokens_in": Direction.NEUTRAL,
    "tokens_out": Direction.NEUTRAL,
    "cost_usd": Direction.HIGHER_IS_WORSE,
    "relevance": Direction.LOWER_IS_WORSE,
}
EMBEDDING_METRICS: dict[str, Direction] = {"response_embedding": Direction.NEUTRAL}


def compare_versions(
    store: Store,
    settings: Settings,
    a: StreamKey,
    b: StreamKey,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    experiment: Mapping[str, str] | None = None,
) -> VersionComparison:
    """Compare version ``b`` against version ``a`` (see the module docstring)."""
    if a.app != b.app:
        raise ValueError(f"both versions must belong to one app, got {a.app!r} and {b.app!r}")
    began = time.perf_counter()
    cfg = settings.compare
    seg = settings.segments
    tags = dict(experiment or {})
    counts = {
        c.stream: c
        for c in store.aggregates.outcome_counts(
            [a, b],
            start,
            end,
            tag_filter=tags,
            refusal_detector=seg.refusal_detector,
            off_topic_detector=seg.off_topic_detector,
            breach_detectors=seg.breach_detectors,
        )
    }
    ca, cb = counts.get(a), counts.get(b)
    pending: list[dict] = []
    for metric in cfg.metrics:
        if metric in RATE_METRICS:
            pending.append(_rate_metric(metric, ca, cb, cfg))
    sample_metrics = [m for m in cfg.metrics if m in SAMPLE_METRICS]
    if sample_metrics:
        kw = {"tag_filter": tags, "limit": cfg.max_sample, "relevance_detector": seg.off_topic_detector}
        sa, sb = store.events.metric_samples(a, start, end, **kw), store.events.metric_samples(b, start, end, **kw)
        for metric in sample_metrics:
            pending.append(_sample_metric(metric, sa[metric], sb[metric], cfg))
    if "response_embedding" in cfg.metrics:
        pending.append(_embedding_metric(store, settings, a, b, start, end, tags))
    testable = [i for i, p in enumerate(pending) if p["p_value"] is not None]
    adjusted = adjust_p_values([pending[i]["p_value"] for i in testable], cfg.correction)
    adjusted_by_index = dict(zip(testable, adjusted.tolist(), strict=True))
    metrics = []
    for i, p in enumerate(pending):
        adj = adjusted_by_index.get(i)
        verdict = metric_verdict(p["direction"], adj, cfg.alpha, p.pop("sign"))
        metrics.append(MetricComparison(**p, adjusted_p_value=adj, verdict=verdict))
    evidence = [
        f"{m.metric}: {m.verdict.value} ({m.explanation}; adjusted p={m.adjusted_p_value:.2g})"
        for m in metrics
        if m.verdict not in (Verdict.NO_SIGNIFICANT_DIFFERENCE, Verdict.INSUFFICIENT_DATA)
    ]
    return VersionComparison(
        app=a.app,
        a=a,
        b=b,
        start=start,
        end=end,
        experiment=tags,
        alpha=cfg.alpha,
        correction=cfg.correction,
        events_a=ca.events if ca else 0,
        events_b=cb.events if cb else 0,
        metrics=metrics,
        verdict=overall_verdict([m.verdict for m in metrics]),
        evidence=evidence,
        seconds=time.perf_counter() - began,
    )


def _rate_metric(metric: str, ca, cb, cfg) -> dict:  # noqa: ANN001 - OutcomeCounts | None, CompareSettings
    base = {
        "metric": metric,
        "kind": MetricKind.RATE,
        "direction": RATE_METRICS[metric],
        "effect_size_name": "cohens_h",
    }
    ka, na = ca.rate_counts(metric) if ca else (0, 0)
    kb, nb = cb.rate_counts(metric) if cb else (0, 0)
    if na < cfg.min_count or nb < cfg.min_count:
        return {**base, "p_value": None, "sign": None, "explanation": f"n_a={na}, n_b={nb} (min {cfg.min_count})"}
    r = compare_rates(kb, nb, ka, na, confidence=cfg.confidence, fisher_below=cfg.fisher_below)
    explanation = (
        f"B {r.first.rate:.1%} [{r.first.ci_low:.1%}, {r.first.ci_high:.1%}] (n={nb}) vs "
        f"A {r.second.rate:.1%} [{r.second.ci_low:.1%}, {r.second.ci_high:.1%}] (n={na}), {r.test.value}"
    )
    return {**base, "rates": r, "p_value": r.p_value, "effect_size": r.cohens_h, "sign": r.difference,
            "explanation": explanation}  # fmt: skip


def _sample_metric(metric: str, xa, xb, cfg) -> dict:  # noqa: ANN001 - arrays, CompareSettings
    import numpy as np

    base = {"metric": metric, "kind": MetricKind.CONTINUOUS, "direction": SAMPLE_METRICS[metric],
            "effect_size_name": "rank_biserial"}  # fmt: skip
    fa, fb = xa[np.isfinite(xa)], xb[np.isfinite(xb)]
    if fa.size < cfg.min_count or fb.size < cfg.min_count:
        return {
            **base,
            "p_value": None,
            "sign": None,
            "explanation": f"n_a={fa.size}, n_b={fb.size} (min {cfg.min_count})",
        }
    r = compare_samples(fb, fa, confidence=cfg.confidence, n_bootstrap=cfg.n_bootstrap, seed=cfg.seed)
    explanation = (
        f"median B {r.first.median:.4g} vs A {r.second.median:.4g} (n={r.first.n}/{r.second.n}), "
        f"rank-biserial {r.rank_biserial:+.3f}, mann_whitney_u"
    )
    return {**base, "samples": r, "p_value": r.p_value, "effect_size": r.rank_biserial, "sign": r.rank_biserial,
            "explanation": explanation}  # fmt: skip


def _embedding_metric(store, settings, a, b, start, end, tags) -> dict:  # noqa: ANN001
    cfg = settings.compare
    base = {"metric": "response_embedding", "kind": MetricKind.EMBEDDING, "direction": Direction.NEUTRAL,
            "effect_size_name": "statistic", "sign": None}  # fmt: skip
    feature = cfg.drift_test.feature
    ref, ref_texts = store.events.embedding_sample(
        a, start, end, feature=feature, tag_filter=tags, limit=cfg.max_embeddings
    )
    cur, cur_texts = store.events.embedding_sample(
        b, start, end, feature=feature, tag_filter=tags, limit=cfg.max_embeddings
    )
    detector = build_detector(cfg.drift_test, settings)
    if len(ref) < detector.min_reference or len(cur) < detector.min_current or ref.shape[1] != cur.shape[1]:
        return {**base, "p_value": None, "explanation": f"embedded events n_a={len(ref)}, n_b={len(cur)}"}
    result = detector.fit(ref, ref_texts).test(cur, cur_texts)
    if result.decision is DriftDecision.INSUFFICIENT_DATA:
        return {**base, "drift": result, "p_value": None, "explanation": result.explanation}
    return {**base, "drift": result, "p_value": result.p_value, "effect_size": result.statistic,
            "explanation": f"{result.detector} on {feature}: statistic {result.statistic:.3g}"}  # fmt: skip
