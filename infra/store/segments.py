"""The segments repository: disparity results of segment windows, and how far the segment monitor got.

A window evaluated again replaces its rows (read with ``FINAL``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from infra.store import rows as row_lib
from infra.store.client import Repository
from infra.store.where import Where
from schemas import SegmentDisparity, StreamKey


class SegmentRepository(Repository):
    """Segment disparity results and segment monitor progress."""

    tables = ("segment_results", "segment_progress")

    def insert(self, results: Sequence[SegmentDisparity]) -> int:
        """Store disparity results; a window evaluated again replaces its rows."""
        return self._client.insert("segment_results", row_lib.segment_result_columns(results))

    def results(
        self,
        stream: StreamKey | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        disparate_only: bool = False,
        limit: int = 1000,
    ) -> list[SegmentDisparity]:
        """Stored disparity results of windows starting in ``[start, end)``, newest window first."""
        where = Where().stream(stream).time("window_start", start, end)
        if disparate_only:
            where.add("disparate")
        rows = self._client.rows(
            f"SELECT result FROM segment_results FINAL {where.sql()} "
            "ORDER BY window_start DESC, app, model, model_version, tag, value, metric LIMIT {limit:UInt64}",
            {**where.params, "limit": limit},
        )
        return [SegmentDisparity.model_validate_json(r["result"]) for r in rows]

    def progress(self) -> dict[StreamKey, datetime]:
        """The end of the last segment window evaluated per stream."""
        rows = self._client.rows("SELECT app, model, model_version, window_end FROM segment_progress FINAL")
        return row_lib.progress_from_rows(rows)

    def set_progress(self, stream: StreamKey, window_end: datetime) -> None:
        self._client.insert("segment_progress", row_lib.progress_columns({stream: window_end}))
