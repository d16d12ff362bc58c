"""What the store's query mixins (``reads_*``, ``analytics``) build on: ``Store`` supplies these three."""

from __future__ import annotations

from typing import Any

from infra.store import rows as row_lib


class QueryBase:
    """Run a query and get rows or one value back, or insert columns; implemented by :class:`~infra.store.Store`."""

    def _rows(self, sql: str, params: dict[str, Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        raise NotImplementedError

    def _insert(self, table: str, columns: row_lib.Columns) -> int:
        raise NotImplementedError
