"""Usage analytics over a time range: totals, per app/model/version, over time, and the top spenders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from infra.store import Store
from schemas import UsagePoint, UsageReport, UsageTotals


def _totals(row: dict[str, Any]) -> UsageTotals:
    return UsageTotals(
        app=row.get("app"),
        model=row.get("model"),
        model_version=row.get("model_version"),
        requests=row["requests"],
        users=row["users"],
        sessions=row["sessions"],
        requests_per_user=row["requests_per_user"],
        requests_per_session=row["requests_per_session"],
        tokens_in=row["tokens_in"],
        tokens_out=row["tokens_out"],
        cost_usd=float(row["cost_usd"]),
    )


def usage_point(row: dict[str, Any]) -> UsagePoint:
    """One row of ``Store.usage_series``; app, model and version are absent when not grouped by them."""
    return UsagePoint(
        bucket=row["bucket"],
        app=row.get("app"),
        model=row.get("model"),
        model_version=row.get("model_version"),
        requests=row["requests"],
        users=row["users"],
        sessions=row["sessions"],
        tokens_in=row["tokens_in"],
        tokens_out=row["tokens_out"],
        cost_usd=float(row["cost_usd"]),
    )


def overall_usage(
    store: Store, start: datetime, end: datetime, bucket_s: int, *, app: str | None = None
) -> list[UsagePoint]:
    """Usage of every selected event per bucket: distinct users and sessions do not add up over versions."""
    return [usage_point(r) for r in store.usage_series(start, end, bucket_s, group_by="none", app=app)]


def usage_report(
    store: Store, start: datetime, end: datetime, bucket_s: int, *, app: str | None = None, top: int = 10
) -> UsageReport:
    """Everything the usage page, ``/v1/usage`` and ``driftloop usage`` show, aggregated in ClickHouse."""
    total = store.usage_totals(start, end, group_by="none", app=app)
    series = store.usage_series(start, end, bucket_s, group_by="version", app=app)
    return UsageReport(
        start=start,
        end=end,
        bucket_s=bucket_s,
        total=_totals(total[0]),
        by_version=[_totals(r) for r in store.usage_totals(start, end, group_by="version", app=app)],
        series=[usage_point(r) for r in series],
        top_apps=[_totals(r) for r in store.usage_totals(start, end, group_by="app", order_by_cost=True, limit=top)],
        top_models=[
            _totals(r) for r in store.usage_totals(start, end, group_by="model", app=app, order_by_cost=True, limit=top)
        ],
    )
