"""WHERE clauses for the store's queries, built from fixed fragments with every value a bound parameter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from infra.store import rows as row_lib
from schemas import StreamKey


class Where:
    """WHERE clauses from fixed fragments; every value travels as a bound parameter."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: dict[str, Any] = {}

    def add(self, clause: str, **params: Any) -> Where:
        self.clauses.append(clause)
        self.params.update(params)
        return self

    def stream(self, stream: StreamKey | None, prefix: str = "") -> Where:
        if stream is not None:
            self.add(
                f"{prefix}app = {{app:String}} AND {prefix}model = {{model:String}} "
                f"AND {prefix}model_version = {{model_version:String}}",
                app=stream.app,
                model=stream.model,
                model_version=stream.model_version,
            )
        return self

    def time(self, column: str, start: datetime | None, end: datetime | None) -> Where:
        if start is not None:
            self.add(f"{column} >= {{start:DateTime64(6, 'UTC')}}", start=row_lib.utc(start))
        if end is not None:
            self.add(f"{column} < {{end:DateTime64(6, 'UTC')}}", end=row_lib.utc(end))
        return self

    def sql(self) -> str:
        return f"WHERE {' AND '.join(self.clauses)}" if self.clauses else ""
