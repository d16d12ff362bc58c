"""The drift repository: drift verdicts per window, the window monitor's progress, and pinned references.

A window evaluated again replaces the earlier verdict of the same detector and feature; a stream's
progress and its reference pin are one row each, the latest write winning (all read with ``FINAL``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from infra.store import rows as row_lib
from infra.store.client import Repository
from infra.store.where import Where
from schemas import DriftResult, StreamKey


@dataclass(frozen=True)
class ReferencePin:
    """A pinned reference window ``[start, end)`` of a stream (``driftloop reference set``)."""

    stream: StreamKey
    start: datetime
    end: datetime
    note: str = ""
    pinned_at: datetime | None = None


SIGNAL_PREFIX = "signal."
"""Detectors of the stream signals (``monitor.signals``) are named ``signal.<name>``."""


class DriftRepository(Repository):
    """Drift verdicts (``drift_scores``), monitor progress and reference pins."""

    tables = ("drift_scores", "monitor_progress", "reference_pins")

    def insert(self, results: Sequence[DriftResult]) -> int:
        """Store drift verdicts; each needs ``stream``, ``window_start`` and ``window_end``."""
        return self._client.insert("drift_scores", row_lib.drift_columns(results))

    def results(
        self,
        stream: StreamKey | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        detector: str | None = None,
        signals: bool = False,
        limit: int = 1000,
    ) -> list[DriftResult]:
        """Stored verdicts whose window starts in ``[start, end)``: the latest ``limit``, oldest first.

        Drift tests' verdicts, or with ``signals`` the stream signals' results (detectors ``signal.*``).
        """
        where = Where().stream(stream).time("window_start", start, end).equal("detector", detector)
        where.add(
            f"{'' if signals else 'NOT '}startsWith(detector, {{signal_prefix:String}})", signal_prefix=SIGNAL_PREFIX
        )
        rows = self._client.rows(
            f"SELECT * FROM drift_scores FINAL {where.sql()} "
            "ORDER BY window_start DESC, detector, feature LIMIT {limit:UInt64}",
            {**where.params, "limit": limit},
        )
        return [row_lib.drift_from_row(r) for r in reversed(rows)]

    def latest_clusters(self, stream: StreamKey) -> DriftResult | None:
        """The latest stored verdict of ``stream`` that carries topic clusters (the most clusters first), if any."""
        where = Where().stream(stream).add("clusters NOT IN ('', '[]')")
        rows = self._client.rows(
            f"SELECT * FROM drift_scores FINAL {where.sql()} "
            "ORDER BY window_start DESC, JSONLength(clusters) DESC, detector, feature LIMIT 1",
            where.params,
        )
        return row_lib.drift_from_row(rows[0]) if rows else None

    def latest_windows(self, detectors: Sequence[str]) -> dict[StreamKey, datetime]:
        """The end of the latest window with a stored result of any of ``detectors``, per stream.

        The signal monitor's progress: it stores a window's results last, so a stored window is a done one.
        """
        rows = self._client.rows(
            "SELECT app, model, model_version, max(window_end) AS window_end FROM drift_scores FINAL "
            "WHERE detector IN {detectors:Array(String)} GROUP BY app, model, model_version",
            {"detectors": list(detectors)},
        )
        return row_lib.progress_from_rows(rows)

    def latest_signals(self, stream: StreamKey | None = None) -> list[DriftResult]:
        """The latest stored result of every signal rule of each stream (or of ``stream``)."""
        where = Where().stream(stream).add("startsWith(detector, {prefix:String})", prefix=SIGNAL_PREFIX)
        rows = self._client.rows(
            f"SELECT * FROM drift_scores FINAL {where.sql()} ORDER BY app, model, model_version, detector, "
            "window_start DESC LIMIT 1 BY app, model, model_version, detector",
            where.params,
        )
        return [row_lib.drift_from_row(r) for r in rows]

    # ---- window monitor progress (monitor.windows) ---------------------------------------------------

    def progress(self) -> dict[StreamKey, datetime]:
        """The end of the last evaluated window of every stream."""
        rows = self._client.rows("SELECT app, model, model_version, window_end FROM monitor_progress FINAL")
        return row_lib.progress_from_rows(rows)

    def set_progress(self, stream: StreamKey, window_end: datetime) -> None:
        self._client.insert("monitor_progress", row_lib.progress_columns({stream: window_end}))

    # ---- pinned references ---------------------------------------------------------------------------

    def reference_pin(self, stream: StreamKey) -> ReferencePin | None:
        """The stream's active pinned reference, if any."""
        where = Where().stream(stream)
        rows = self._client.rows(f"SELECT * FROM reference_pins FINAL {where.sql()}", where.params)
        if not rows or not rows[0]["active"]:
            return None
        r = rows[0]
        return ReferencePin(stream, r["reference_start"], r["reference_end"], r["note"], r["pinned_at"])

    def pin_reference(self, stream: StreamKey, start: datetime, end: datetime, note: str = "") -> ReferencePin:
        """Pin ``[start, end)`` of event time as the stream's reference; replaces an earlier pin."""
        if end <= start:
            raise ValueError("a reference window needs start < end")
        self._write_pin(stream, start, end, active=True, note=note)
        pin = self.reference_pin(stream)
        assert pin is not None
        return pin

    def unpin_reference(self, stream: StreamKey) -> None:
        """Drop the stream's pinned reference: it goes back to the trailing reference."""
        epoch = datetime.fromtimestamp(0, tz=UTC)
        self._write_pin(stream, epoch, epoch, active=False, note="")

    def _write_pin(self, stream: StreamKey, start: datetime, end: datetime, *, active: bool, note: str) -> None:
        columns = row_lib.reference_pin_columns(
            stream, start, end, active=active, note=note, pinned_at=datetime.now(UTC)
        )
        self._client.insert("reference_pins", columns)
