"""The WHERE builder of every store query: fixed SQL fragments, every value a bound parameter.

Column names come from the code, never from input; values travel as ``{name:Type}`` parameters.

>>> where = Where().stream(StreamKey(app="bot", model="m", model_version="1")).equal("detector", "mmd")
>>> where.sql()
'WHERE (app = {a0:String} AND model = {m0:String} AND model_version = {v0:String}) AND detector = {detector:String}'
>>> where.params["a0"], where.params["detector"]
('bot', 'mmd')
>>> Where().equal("detector", None).sql()
''
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from infra.store import rows as row_lib
from schemas import StreamKey


class Where:
    """WHERE clauses joined with AND; each method adds one clause (or none when its value is None)."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: dict[str, Any] = {}

    def add(self, clause: str, **params: Any) -> Where:
        self.clauses.append(clause)
        self.params.update(params)
        return self

    def equal(self, column: str, value: Any, sql_type: str = "String") -> Where:
        """``column = value``, the value bound under the column's name; nothing when ``value`` is None."""
        if value is not None:
            self.add(f"{column} = {{{column}:{sql_type}}}", **{column: value})
        return self

    def streams(self, streams: Sequence[StreamKey], prefix: str = "") -> Where:
        """Rows of any of ``streams`` (all rows when there is none); ``prefix`` qualifies the columns."""
        alternatives = []
        for i, s in enumerate(streams):
            alternatives.append(
                f"({prefix}app = {{a{i}:String}} AND {prefix}model = {{m{i}:String}} "
                f"AND {prefix}model_version = {{v{i}:String}})"
            )
            self.params.update({f"a{i}": s.app, f"m{i}": s.model, f"v{i}": s.model_version})
        if alternatives:
            self.clauses.append(alternatives[0] if len(alternatives) == 1 else f"({' OR '.join(alternatives)})")
        return self

    def stream(self, stream: StreamKey | None, prefix: str = "") -> Where:
        return self.streams([] if stream is None else [stream], prefix)

    def time(self, column: str, start: datetime | None, end: datetime | None) -> Where:
        """``start <= column < end``, either bound left out when None."""
        if start is not None:
            self.add(f"{column} >= {{start:DateTime64(6, 'UTC')}}", start=row_lib.utc(start))
        if end is not None:
            self.add(f"{column} < {{end:DateTime64(6, 'UTC')}}", end=row_lib.utc(end))
        return self

    def tags(self, tag_filter: Mapping[str, str] | None) -> Where:
        """``tags[name] = value`` for each item of ``tag_filter``."""
        for i, (name, value) in enumerate(sorted((tag_filter or {}).items())):
            self.add(f"tags[{{tk{i}:String}}] = {{tv{i}:String}}", **{f"tk{i}": name, f"tv{i}": value})
        return self

    @staticmethod
    def merged(*wheres: Where, **extra: Any) -> dict[str, Any]:
        """The parameters of several builders in one query; a name bound to two different values is an error.

        >>> Where.merged(Where().time("t", datetime(2026, 1, 1), None), Where().equal("app", "bot"), limit=5)["limit"]
        5
        """
        merged: dict[str, Any] = {}
        for params in [*(w.params for w in wheres), extra]:
            for name, value in params.items():
                if name in merged and merged[name] != value:
                    raise ValueError(f"query parameter {name!r} is bound to two values: {merged[name]!r}, {value!r}")
                merged[name] = value
        return merged

    def sql(self) -> str:
        return f"WHERE {' AND '.join(self.clauses)}" if self.clauses else ""
