"""Store reads of retrain runs, the probe registry, reference pins and audit; mixed into :class:`~infra.store.Store`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from infra.audit import ActorKind, AuditAction, AuditEntry
from infra.store import rows as row_lib
from infra.store.queries import QueryBase
from infra.store.where import Where
from schemas import RetrainRun, RetrainRunSummary, RetrainStatus, StreamKey
from schemas.retrain import ProbeVersion


@dataclass(frozen=True)
class ReferencePin:
    """A pinned reference window ``[start, end)`` of a stream (``driftloop reference set``)."""

    stream: StreamKey
    start: datetime
    end: datetime
    note: str = ""
    pinned_at: datetime | None = None


class RetrainQueries(QueryBase):
    """Reads of retrain runs, probe versions, reference pins and audit entries."""

    def retrain_runs(self, run_id: str | None = None, *, limit: int = 100) -> list[RetrainRun]:
        """Retrain run transitions, newest first."""
        where = Where()
        if run_id is not None:
            where.add("run_id = {run_id:String}", run_id=run_id)
        rows = self._rows(
            f"SELECT * FROM retrain_runs FINAL {where.sql()} ORDER BY updated_at DESC LIMIT {{limit:UInt64}}",
            {**where.params, "limit": limit},
        )
        return [row_lib.retrain_from_row(r) for r in rows]

    def retrain_runs_of(
        self, stream: StreamKey | None = None, *, since: datetime | None = None, limit: int = 1000
    ) -> list[RetrainRun]:
        """Retrain run transitions of ``stream`` (every stream when None) since ``since``, newest first."""
        where = Where().stream(stream).time("updated_at", since, None)
        rows = self._rows(
            f"SELECT * FROM retrain_runs FINAL {where.sql()} "
            "ORDER BY updated_at DESC, run_id, status LIMIT {limit:UInt64}",
            {**where.params, "limit": limit},
        )
        return [row_lib.retrain_from_row(r) for r in rows]

    _RUNS = (
        "SELECT run_id, app, model, model_version, status AS st, job AS jb, updated_at AS ts, "
        "multiIf(status = 'requested', 0, status = 'running', 1, 2) AS rk, snapshot_sha256 AS snap, "
        "champion_version AS champ, challenger_version AS chall, metrics AS mx, message AS msg FROM retrain_runs FINAL"
    )

    """Run transitions with short column names, so aggregates may be aliased as the columns they summarise."""

    def retrain_run_summaries(
        self, stream: StreamKey | None = None, *, status: RetrainStatus | None = None, limit: int = 100
    ) -> list[RetrainRunSummary]:
        """One row per retraining run (latest status, evidence of its transitions), newest request first."""
        where = Where().stream(stream)
        having = ""
        params: dict[str, Any] = {**where.params, "limit": limit}
        if status is not None:
            having = "HAVING status = {status:String}"
            params["status"] = status.value
        rows = self._rows(
            "SELECT run_id, any(app) AS app, any(model) AS model, any(model_version) AS model_version, "
            "argMax(st, (ts, rk)) AS status, argMax(jb, (ts, rk)) AS job, min(ts) AS requested_at, "
            "max(ts) AS updated_at, argMaxIf(snap, (ts, rk), isNotNull(snap)) AS snapshot_sha256, "
            "argMaxIf(champ, (ts, rk), isNotNull(champ)) AS champion_version, "
            "argMaxIf(chall, (ts, rk), isNotNull(chall)) AS challenger_version, "
            "argMaxIf(mx, (ts, rk), notEmpty(mx)) AS metrics, argMaxIf(msg, (ts, rk), msg != '') AS message "
            f"FROM ({self._RUNS} {where.sql()}) GROUP BY run_id {having} "
            "ORDER BY requested_at DESC, run_id LIMIT {limit:UInt64}",
            params,
        )
        return [
            RetrainRunSummary(
                stream=StreamKey(app=r.pop("app"), model=r.pop("model"), model_version=r.pop("model_version")), **r
            )
            for r in rows
        ]

    def retrain_status_counts(self) -> dict[str, int]:
        """Retraining runs by their latest status."""
        rows = self._rows(
            "SELECT status, count() AS count FROM (SELECT run_id, argMax(st, (ts, rk)) AS status "
            f"FROM ({self._RUNS}) GROUP BY run_id) GROUP BY status ORDER BY status"
        )
        return {r["status"]: int(r["count"]) for r in rows}

    def probe_versions(self, task: str | None = None, *, limit: int = 1000) -> list[ProbeVersion]:
        """Registry entries, oldest first."""
        where = Where()
        if task is not None:
            where.add("task = {task:String}", task=task)
        rows = self._rows(
            "SELECT task, version, parent_version, run_id, snapshot_sha256, embedder, artefact_path, n_train, "
            f"metrics, promoted, created_at FROM probe_versions FINAL {where.sql()} "
            "ORDER BY created_at, version LIMIT {limit:UInt64}",
            {**where.params, "limit": limit},
        )
        return [ProbeVersion(**r) for r in rows]

    def reference_pin(self, stream: StreamKey) -> ReferencePin | None:
        """The stream's active pinned reference, if any."""
        where = Where().stream(stream)
        rows = self._rows(f"SELECT * FROM reference_pins FINAL {where.sql()}", where.params)
        if not rows or not rows[0]["active"]:
            return None
        r = rows[0]
        return ReferencePin(stream, r["reference_start"], r["reference_end"], r["note"], r["pinned_at"])

    _AUDIT_COLUMNS = (
        "audit_id", "at", "action", "actor_kind", "actor", "app", "model", "model_version", "subject", "summary",
        "evidence",
    )  # fmt: skip

    def audit_entries(
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
        if action is not None:
            where.add("action = {action:String}", action=action.value)
        if actor is not None:
            where.add("actor = {actor:String}", actor=actor)
        rows = self._rows(
            f"SELECT {', '.join(self._AUDIT_COLUMNS)} FROM audit FINAL {where.sql()} "
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
                stream=StreamKey(app=r["app"], model=r["model"], model_version=r["model_version"])
                if r["app"]
                else None,
                subject=r["subject"],
                summary=r["summary"],
                evidence=json.loads(r["evidence"] or "{}"),
            )
            for r in rows
        ]
