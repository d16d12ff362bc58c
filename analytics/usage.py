"""Usage analytics over a time range: totals, per app/model/version, over time, and the top spenders."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from infra.store import Store
from schemas import UsagePoint, UsageReport, UsageTotals

RowModel = TypeVar("RowModel", UsagePoint, UsageTotals)


def _from_row(model: type[RowModel], row: dict[str, Any]) -> RowModel:
    """A usage model from a store row; pydantic converts the Decimal cost; group columns absent stay None."""
    return model(**{name: row[name] for name in model.model_fields if name in row})


def _totals(row: dict[str, Any]) -> UsageTotals:
    return _from_row(UsageTotals, row)


def usage_point(row: dict[str, Any]) -> UsagePoint:
    """One row of ``store.aggregates.usage_series``; app, model and version are absent when not grouped by them."""
    return _from_row(UsagePoint, row)


def overall_usage(
    store: Store, start: datetime, end: datetime, bucket_s: int, *, app: str | None = None
) -> list[UsagePoint]:
    """Usage of every selected event per bucket: distinct users and sessions do not add up over versions."""
    return [usage_point(r) for r in store.aggregates.usage_series(start, end, bucket_s, group_by="none", app=app)]


def usage_report(
    store: Store, start: datetime, end: datetime, bucket_s: int, *, app: str | None = None, top: int = 10
) -> UsageReport:
    """Everything the usage page, ``/v1/usage`` and ``driftloop usage`` show, aggregated in ClickHouse."""
    total = store.aggregates.usage_totals(start, end, group_by="none", app=app)
    series = store.aggregates.usage_series(start, end, bucket_s, group_by="version", app=app)
    return UsageReport(
        start=start,
        end=end,
        bucket_s=bucket_s,
        total=_totals(total[0]),
        by_version=[_totals(r) for r in store.aggregates.usage_totals(start, end, group_by="version", app=app)],
        series=[usage_point(r) for r in series],
        top_apps=[
            _totals(r) for r in store.aggregates.usage_totals(start, end, group_by="app", order_by_cost=True, limit=top)
        ],
        top_models=[
            _totals(r)
            for r in store.aggregates.usage_totals(start, end, group_by="model", app=app, order_by_cost=True, limit=top)
        ],
    )
