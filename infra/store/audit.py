"""The audit repository: the trail of alert transitions, retraining decisions, reference changes and promotions.

Entries are written through :func:`infra.audit.record_audit`; an entry written twice is kept once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from infra.audit import ActorKind, AuditAction, AuditEntry
from infra.store import rows as row_lib
from infra.store.client import Repository
from infra.store.where import Where
from schemas import StreamKey


class AuditRepository(Repository):
    """Audit entries."""

    tables = ("audit",)

    def insert(self, entries: Sequence[AuditEntry]) -> int:
        """Append audit entries (an entry written twice is kept once)."""
        return self._client.insert("audit", row_lib.audit_columns(entries))

    def entries(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        action: AuditAction | None = None,
        actor: str | None = None,
        stream: StreamKey | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Audit entries in ``[since, until)``, newest first, optionally of one action, actor or stream."""
        where = Where().stream(stream).time("at", since, until)
        where.equal("action", action.value if action else None).equal("actor", actor)
        rows = self._client.rows(
            f"SELECT {', '.join(row_lib.AUDIT_COLUMNS)} FROM audit FINAL {where.sql()} "
            "ORDER BY at DESC, audit_id LIMIT {limit:UInt64}",
            {**where.params, "limit": limit},
        )
        return [
            AuditEntry(
                audit_id=r["audit_id"],
                at=r["at"],
                action=AuditAction(r["action"]),
                actor_kind=ActorKind(r["actor_kind"]),
                actor=r["actor"],
                stream=row_lib.stream_of(r) if r["app"] else None,
                subject=r["subject"],
                summary=r["summary"],
                evidence=json.loads(r["evidence"] or "{}"),
            )
            for r in rows
        ]
