"""Store reads of drift verdicts, alerts, the alert outbox and monitor state; mixed into :class:`~infra.store.Store`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from infra.store import rows as row_lib
from infra.store.queries import QueryBase
from infra.store.where import Where
from schemas import Alert, AlertCount, AlertKind, AlertState, DriftResult, StreamKey


@dataclass(frozen=True)
class Delivery:
    """One alert on its way to one sink; pending until ``delivered``.

    ``payload`` is the alert as JSON; ``next_attempt_at`` is when a pending delivery is due again.
    """

    alert_id: str
    sink: str
    created_at: datetime
    payload: str
    delivered: bool = False
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""


class DriftQueries(QueryBase):
    """Reads of drift scores, clusters, alerts, outbox, policy state and monitor progress."""

    def drift_results(
        self,
        stream: StreamKey | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        detector: str | None = None,
        limit: int = 1000,
    ) -> list[DriftResult]:
        """Stored verdicts whose window starts in ``[start, end)``: the latest ``limit``, oldest first."""
        where = Where().stream(stream).time("window_start", start, end)
        if detector is not None:
            where.add("detector = {detector:String}", detector=detector)
        rows = self._rows(
            f"SELECT * FROM drift_scores FINAL {where.sql()} "
            "ORDER BY window_start DESC, detector, feature LIMIT {limit:UInt64}",
            {**where.params, "limit": limit},
        )
        return [row_lib.drift_from_row(r) for r in reversed(rows)]

    def latest_clusters(self, stream: StreamKey) -> DriftResult | None:
        """The latest stored verdict of ``stream`` that carries topic clusters (the most clusters first), if any."""
        where = Where().stream(stream).add("clusters NOT IN ('', '[]')")
        rows = self._rows(
            f"SELECT * FROM drift_scores FINAL {where.sql()} "
            "ORDER BY window_start DESC, JSONLength(clusters) DESC, detector, feature LIMIT 1",
            where.params,
        )
        return row_lib.drift_from_row(rows[0]) if rows else None

    def monitor_progress(self) -> dict[StreamKey, datetime]:
        """The end of the last evaluated window of every stream."""
        rows = self._rows("SELECT app, model, model_version, window_end FROM monitor_progress FINAL")
        return {
            StreamKey(app=r["app"], model=r["model"], model_version=r["model_version"]): r["window_end"] for r in rows
        }

    def alerts(
        self,
        stream: StreamKey | None = None,
        *,
        state: AlertState | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[Alert]:
        """Alert transitions, newest first."""
        where = Where().stream(stream).time("created_at", since, None)
        if state is not None:
            where.add("state = {state:String}", state=state.value)
        rows = self._rows(
            f"SELECT * FROM alerts FINAL {where.sql()} ORDER BY created_at DESC, alert_id LIMIT {{limit:UInt64}}",
            {**where.params, "limit": limit},
        )
        return [row_lib.alert_from_row(r) for r in rows]

    def alert_page(
        self,
        stream: StreamKey | None = None,
        *,
        state: AlertState | None = None,
        kind: AlertKind | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        open_only: bool = False,
        alert_id: str | None = None,
        limit: int = 100,
    ) -> list[Alert]:
        """Alert transitions created in ``[since, until)``, newest first.

        ``open_only`` keeps the alerts whose latest transition (per dedup key) is still firing.
        """
        where = Where().stream(stream).time("created_at", since, until)
        if state is not None:
            where.add("state = {state:String}", state=state.value)
        if kind is not None:
            where.add("kind = {kind:String}", kind=kind.value)
        if alert_id is not None:
            where.add("alert_id = {alert_id:String}", alert_id=alert_id)
        if open_only:
            where.add(
                "state = 'firing' AND (dedup_key, created_at) IN "
                "(SELECT dedup_key, max(created_at) FROM alerts FINAL GROUP BY dedup_key)"
            )
        rows = self._rows(
            f"SELECT * FROM alerts FINAL {where.sql()} ORDER BY created_at DESC, alert_id LIMIT {{limit:UInt64}}",
            {**where.params, "limit": limit},
        )
        return [row_lib.alert_from_row(r) for r in rows]

    def alert_counts(self) -> list[AlertCount]:
        """Alerts (dedup keys) by the state of their latest transition: how many are firing, how many resolved."""
        rows = self._rows(
            "SELECT last_state AS state, count() AS count FROM (SELECT dedup_key, argMax(state, created_at) "
            "AS last_state FROM alerts FINAL GROUP BY dedup_key) GROUP BY state ORDER BY state"
        )
        return [AlertCount(**r) for r in rows]

    def alert_policy_states(self) -> dict[str, str]:
        """Alert policy state (JSON, owned by ``monitor.alerting``) of every dedup key."""
        rows = self._rows("SELECT dedup_key, state FROM alert_policy_state FINAL")
        return {r["dedup_key"]: r["state"] for r in rows}

    def deliveries(
        self,
        *,
        pending: bool | None = None,
        due_before: datetime | None = None,
        alert_id: str | None = None,
        limit: int = 1000,
    ) -> list[Delivery]:
        """Outbox rows, oldest first: all, only pending (``pending=True``, optionally due before a time) or done."""
        where = Where()
        if pending is not None:
            where.add("delivered = {delivered:Bool}", delivered=not pending)
        if due_before is not None:
            where.add("next_attempt_at <= {due:DateTime64(6, 'UTC')}", due=row_lib.utc(due_before))
        if alert_id is not None:
            where.add("alert_id = {alert_id:String}", alert_id=alert_id)
        rows = self._rows(
            f"SELECT * FROM alert_outbox FINAL {where.sql()} "
            "ORDER BY created_at, alert_id, sink LIMIT {limit:UInt64}",
            {**where.params, "limit": limit},
        )
        return [
            Delivery(
                alert_id=r["alert_id"],
                sink=r["sink"],
                created_at=r["created_at"],
                payload=r["payload"],
                delivered=bool(r["delivered"]),
                attempts=int(r["attempts"]),
                next_attempt_at=r["next_attempt_at"],
                last_error=r["last_error"],
            )
            for r in rows
        ]
