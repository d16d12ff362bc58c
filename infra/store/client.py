"""The connection every repository of the store shares: queries, inserts and the embedded engine's lock.

Calls on the embedded engine (chdb) are serialised with a lock; against a server, the HTTP client
runs without a session so its connection pool serves threads concurrently, and the lock is a no-op.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, ClassVar

import pyarrow as pa

from infra.store import rows as row_lib


class Client:
    """A clickhouse-connect client bound to the store's database, with one lock for the embedded engine."""

    def __init__(self, raw: Any, *, database: str, embedded: bool) -> None:
        self.raw = raw
        """The clickhouse-connect client; hold :attr:`lock` while using it directly."""
        self.database = database
        self.lock: contextlib.AbstractContextManager[Any] = threading.RLock() if embedded else contextlib.nullcontext()

    def rows(self, sql: str, params: dict[str, Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        """The result of ``sql`` as one dict per row; ``kwargs`` go to clickhouse-connect's ``query``."""
        with self.lock:
            result = self.raw.query(sql, parameters=params or {}, **kwargs)
        names = result.column_names
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        """The first column of the first row of ``sql``."""
        with self.lock:
            return self.raw.query(sql, parameters=params or {}).first_row[0]

    def command(self, sql: str) -> Any:
        with self.lock:
            return self.raw.command(sql)

    def insert(self, table: str, columns: row_lib.Columns) -> int:
        """Insert column-oriented rows (see :mod:`infra.store.rows`); return how many rows were written."""
        names, data = columns
        if not data or not data[0]:
            return 0
        with self.lock:
            self.raw.insert(table, data, column_names=names, column_oriented=True, database=self.database)
        return len(data[0])

    def insert_arrow(self, table: str, data: pa.Table) -> int:
        with self.lock:
            self.raw.insert_arrow(table, data, database=self.database)
        return data.num_rows

    def ping(self) -> bool:
        with self.lock:
            return bool(self.raw.ping())

    def close(self) -> None:
        with self.lock:
            self.raw.close()


class Repository:
    """Reads and writes of one group of tables, through the store's shared :class:`Client`."""

    tables: ClassVar[tuple[str, ...]] = ()
    """The tables this repository writes (read-only repositories own none)."""

    def __init__(self, client: Client) -> None:
        self._client = client
