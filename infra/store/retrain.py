"""The retrain repository: retraining run transitions and the probe registry's versions.

A run is a series of transitions (requested, running, then a final status), one row each; summaries
fold them into one row per run. Writing a probe version again (e.g. once promoted) replaces its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from infra.store import rows as row_lib
from infra.store.client import Repository
from infra.store.where import Where
from schemas import RetrainRun, RetrainRunSummary, RetrainStatus, StreamKey
from schemas.retrain import ProbeVersion


class RetrainRepository(Repository):
    """Retrain runs and probe versions."""

    tables = ("retrain_runs", "probe_versions")

    def insert_runs(self, runs: Sequence[RetrainRun]) -> int:
        return self._client.insert("retrain_runs", row_lib.retrain_columns(runs))

    def insert_probe_versions(self, versions: Sequence[ProbeVersion]) -> int:
        """Record registry entries; writing a version again (e.g. once promoted) replaces its row."""
        return self._client.insert("probe_versions", row_lib.probe_version_columns(versions))

    def runs(self, run_id: str | None = None, *, limit: int = 100) -> list[RetrainRun]:
        """Retrain run transitions, newest first."""
        where = Where().equal("run_id", run_id)
        rows = self._client.rows(
            f"SELECT * FROM retrain_runs FINAL {where.sql()} ORDER BY updated_at DESC LIMIT {{limit:UInt64}}",
            {**where.params, "limit": limit},
        )
        return [row_lib.retrain_from_row(r) for r in rows]

    def runs_of(
        self, stream: StreamKey | None = None, *, since: datetime | None = None, limit: int = 1000
    ) -> list[RetrainRun]:
        """Retrain run transitions of ``stream`` (every stream when None) since ``since``, newest first."""
        where = Where().stream(stream).time("updated_at", since, None)
        rows = self._client.rows(
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

    def run_summaries(
        self, stream: StreamKey | None = None, *, status: RetrainStatus | None = None, limit: int = 100
    ) -> list[RetrainRunSummary]:
        """One row per retraining run (latest status, evidence of its transitions), newest request first."""
        where = Where().stream(stream)
        having = ""
        params: dict[str, Any] = {**where.params, "limit": limit}
        if status is not None:
            having = "HAVING status = {status:String}"
            params["status"] = status.value
        rows = self._client.rows(
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

    def status_counts(self) -> dict[str, int]:
        """Retraining runs by their latest status."""
        rows = self._client.rows(
            "SELECT status, count() AS count FROM (SELECT run_id, argMax(st, (ts, rk)) AS status "
            f"FROM ({self._RUNS}) GROUP BY run_id) GROUP BY status ORDER BY status"
        )
        return {r["status"]: int(r["count"]) for r in rows}

    def probe_versions(self, task: str | None = None, *, limit: int = 1000) -> list[ProbeVersion]:
        """Registry entries, oldest first."""
        where = Where().equal("task", task)
        rows = self._client.rows(
            f"SELECT {', '.join(row_lib.PROBE_VERSION_COLUMNS)} FROM probe_versions FINAL {where.sql()} "
            "ORDER BY created_at, version LIMIT {limit:UInt64}",
            {**where.params, "limit": limit},
        )
        return [ProbeVersion(**r) for r in rows]
