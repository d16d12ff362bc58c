"""What the dashboard's usage and compare pages show: chart series and table rows.

Built from the same results the JSON API answers with (:class:`~schemas.UsageReport`,
:class:`~schemas.VersionComparison`); ``static/dashboard.js`` draws the series.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas import MetricComparison, MetricKind, UsagePoint, UsageReport, UsageTotals, Verdict, VersionComparison


def version_label(point: UsagePoint | UsageTotals) -> str:
    """``app/model@version`` of a usage point or of usage totals.

    >>> from datetime import datetime
    >>> version_label(UsagePoint(bucket=datetime(2026, 1, 1), app="bank", model="nimbus", model_version="2",
    ...     requests=1, users=1, sessions=1, tokens_in=1, tokens_out=1, cost_usd=0))
    'bank/nimbus@2'
    """
    return f"{point.app}/{point.model}@{point.model_version}"


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def usage_charts(report: UsageReport, overall: Sequence[UsagePoint]) -> dict[str, Any]:
    """Series for the usage page.

    ``overall`` is the usage of all selected events per bucket: distinct users and sessions are not
    additive over versions, so active users over time come from it rather than from ``report.series``.
    Requests per user and per session count every request, also those without a user or session id.
    """
    per_version: dict[str, dict[str, list[Any]]] = {}
    for p in report.series:
        s = per_version.setdefault(version_label(p), {"x": [], "requests": [], "tokens": [], "cost": []})
        s["x"].append(p.bucket.isoformat())
        s["requests"].append(p.requests)
        s["tokens"].append(p.tokens_in + p.tokens_out)
        s["cost"].append(p.cost_usd)
    return {
        "bucket_s": report.bucket_s,
        "activity": {
            "x": [p.bucket.isoformat() for p in overall],
            "users": [p.users for p in overall],
            "sessions": [p.sessions for p in overall],
            "per_user": [_ratio(p.requests, p.users) for p in overall],
            "per_session": [_ratio(p.requests, p.sessions) for p in overall],
        },
        "versions": [{"name": name, **values} for name, values in sorted(per_version.items())],
        "top_apps": [{"name": t.app, "cost": t.cost_usd, "requests": t.requests} for t in report.top_apps],
        "top_models": [{"name": t.model, "cost": t.cost_usd, "requests": t.requests} for t in report.top_models],
    }


@dataclass(frozen=True)
class MetricRow:
    """One row of the compare page's table: a metric's test, statistic, p-values, effect and both values."""

    metric: str
    kind: str
    test: str
    statistic: float | None
    p_value: float | None
    adjusted_p_value: float | None
    effect_size: float | None
    effect_size_name: str
    value_a: str
    value_b: str
    verdict: Verdict
    explanation: str


def _values(m: MetricComparison) -> tuple[str, str]:
    if m.rates is not None:
        a, b = m.rates.second, m.rates.first
        return (f"{a.rate:.2%} ({a.k:,}/{a.n:,})" if a.rate is not None else f"- (n={a.n})",
                f"{b.rate:.2%} ({b.k:,}/{b.n:,})" if b.rate is not None else f"- (n={b.n})")  # fmt: skip
    if m.samples is not None:
        a, b = m.samples.second, m.samples.first
        return (f"median {a.median:.4g} (n={a.n:,})" if a.median is not None else f"- (n={a.n})",
                f"median {b.median:.4g} (n={b.n:,})" if b.median is not None else f"- (n={b.n})")  # fmt: skip
    if m.drift is not None:
        return f"reference n={m.drift.n_reference:,}", f"current n={m.drift.n_current:,}"
    return "-", "-"


def metric_rows(result: VersionComparison) -> list[MetricRow]:
    """The table of the compare page, one row per metric in the comparison's order."""
    rows = []
    for m in result.metrics:
        test, statistic = "-", None
        if m.rates is not None:
            test, statistic = m.rates.test.value, m.rates.statistic
        elif m.samples is not None:
            test, statistic = m.samples.test, m.samples.statistic
        elif m.drift is not None:
            test, statistic = m.drift.detector, m.drift.statistic
        value_a, value_b = _values(m)
        rows.append(
            MetricRow(
                metric=m.metric,
                kind=m.kind.value,
                test=test,
                statistic=statistic,
                p_value=m.p_value,
                adjusted_p_value=m.adjusted_p_value,
                effect_size=m.effect_size,
                effect_size_name=m.effect_size_name,
                value_a=value_a,
                value_b=value_b,
                verdict=m.verdict,
                explanation=m.explanation,
            )
        )
    return rows


def compare_charts(result: VersionComparison) -> dict[str, Any]:
    """Series for the compare page: signed effect sizes, rate differences and relative median changes (B - A).

    Effect sizes share one axis (Cohen's h for rates, rank-biserial for continuous metrics); the embedding
    test's statistic is unsigned and has a scale of its own, so it stays in the table.
    """
    effects, rates, medians = [], [], []
    for m in result.metrics:
        if m.kind is not MetricKind.EMBEDDING and m.effect_size is not None:
            effects.append(
                {"metric": m.metric, "effect": m.effect_size, "name": m.effect_size_name, "verdict": m.verdict.value}
            )
        if m.rates is not None:
            r = m.rates
            rates.append(
                {
                    "metric": m.metric,
                    "delta": r.difference,
                    "low": r.difference_ci_low,
                    "high": r.difference_ci_high,
                    "verdict": m.verdict.value,
                }
            )
        s = m.samples
        if s is not None and s.median_difference is not None and s.second.median:
            base = abs(s.second.median)
            low, high = s.median_difference_ci_low, s.median_difference_ci_high
            medians.append(
                {
                    "metric": m.metric,
                    "delta": s.median_difference / base,
                    "low": None if low is None else low / base,
                    "high": None if high is None else high / base,
                    "verdict": m.verdict.value,
                }
            )
    return {"effects": effects, "rates": rates, "medians": medians, "confidence": _confidence(result)}


def _confidence(result: VersionComparison) -> float | None:
    for m in result.metrics:
        if m.rates is not None:
            return m.rates.confidence
        if m.samples is not None:
            return m.samples.confidence
    return None
