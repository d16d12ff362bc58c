"""The alerts repository: alert transitions, the alert policy's state per dedup key, and the delivery outbox.

Each transition (firing, resolved) is one row of ``alerts``; an alert is the dedup key, and its state is
that of its latest transition. The outbox holds one row per (alert, sink), replaced on every attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from infra.store import rows as row_lib
from infra.store.client import Repository
from infra.store.rows import Delivery
from infra.store.where import Where
from schemas import Alert, AlertCount, AlertKind, AlertState, StreamKey


class AlertRepository(Repository):
    """Alert transitions, alert policy state and the delivery outbox."""

    tables = ("alerts", "alert_policy_state", "alert_outbox")

    def insert(self, alerts: Sequence[Alert]) -> int:
        return self._client.insert("alerts", row_lib.alert_columns(alerts))

    def page(
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
        where.equal("state", state.value if state else None).equal("kind", kind.value if kind else None)
        where.equal("alert_id", alert_id)
        if open_only:
            where.add(
                "state = 'firing' AND (dedup_key, created_at) IN "
                "(SELECT dedup_key, max(created_at) FROM alerts FINAL GROUP BY dedup_key)"
            )
        rows = self._client.rows(
            f"SELECT * FROM alerts FINAL {where.sql()} ORDER BY created_at DESC, alert_id LIMIT {{limit:UInt64}}",
            {**where.params, "limit": limit},
        )
        return [row_lib.alert_from_row(r) for r in rows]

    def counts(self) -> list[AlertCount]:
        """Alerts (dedup keys) by the state of their latest transition: how many are firing, how many resolved."""
        rows = self._client.rows(
            "SELECT last_state AS state, count() AS count FROM (SELECT dedup_key, argMax(state, created_at) "
            "AS last_state FROM alerts FINAL GROUP BY dedup_key) GROUP BY state ORDER BY state"
        )
        return [AlertCount(**r) for r in rows]

    # ---- alert policy state (monitor.alerting) -------------------------------------------------------

    def policy_states(self) -> dict[str, str]:
        """Alert policy state (JSON, owned by ``monitor.alerting``) of every dedup key."""
        rows = self._client.rows("SELECT dedup_key, state FROM alert_policy_state FINAL")
        return {r["dedup_key"]: r["state"] for r in rows}

    def save_policy_states(self, states: Mapping[str, str]) -> int:
        return self._client.insert("alert_policy_state", row_lib.policy_state_columns(states, datetime.now(UTC)))

    # ---- delivery outbox (monitor.alerting) ----------------------------------------------------------

    def deliveries(
        self,
        *,
        pending: bool | None = None,
        due_before: datetime | None = None,
        alert_id: str | None = None,
        limit: int = 1000,
    ) -> list[Delivery]:
        """Outbox rows, oldest first: all, only pending (``pending=True``, optionally due before a time) or done."""
        where = Where().equal("delivered", None if pending is None else not pending, "Bool")
        if due_before is not None:
            where.add("next_attempt_at <= {due:DateTime64(6, 'UTC')}", due=row_lib.utc(due_before))
        where.equal("alert_id", alert_id)
        rows = self._client.rows(
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

    def enqueue_deliveries(self, rows: Sequence[Delivery]) -> int:
        """Add pending deliveries; an (alert, sink) pair already in the outbox is left as it is."""
        if not rows:
            return 0
        known = {
            (r["alert_id"], r["sink"])
            for r in self._client.rows(
                "SELECT alert_id, sink FROM alert_outbox WHERE alert_id IN {ids:Array(String)}",
                {"ids": sorted({d.alert_id for d in rows})},
            )
        }
        return self._write_deliveries([d for d in rows if (d.alert_id, d.sink) not in known])

    def update_deliveries(self, rows: Sequence[Delivery]) -> int:
        """Record attempts: the new row of each (alert, sink) replaces the earlier one."""
        return self._write_deliveries(rows)

    def _write_deliveries(self, rows: Sequence[Delivery]) -> int:
        return self._client.insert("alert_outbox", row_lib.delivery_columns(rows, datetime.now(UTC)))
