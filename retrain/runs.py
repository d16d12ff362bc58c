"""Run records: transitions in, one summary per run out (what ``driftloop retrain list`` shows)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from infra.store import Store
from schemas import RetrainRun, RetrainRunSummary, RetrainStatus, StreamKey

STATUS_ORDER = {
    RetrainStatus.REQUESTED: 0,
    RetrainStatus.RUNNING: 1,
    RetrainStatus.SUCCEEDED: 2,
    RetrainStatus.REJECTED: 2,
    RetrainStatus.FAILED: 2,
}


def summarise_runs(transitions: Iterable[RetrainRun]) -> list[RetrainRunSummary]:
    """Collapse transitions into one summary per run, newest request first.

    ``store.retrain.run_summaries`` does the same in ClickHouse, for the API's filtered pages.

    >>> from datetime import UTC, datetime
    >>> s = StreamKey(app="a", model="m", model_version="1")
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> rows = [RetrainRun(run_id="r", stream=s, status=st, job="builtin", updated_at=t)
    ...         for st in ("running", "requested")]
    >>> summarise_runs(rows)[0].status.value
    'running'
    """
    by_run: dict[str, list[RetrainRun]] = defaultdict(list)
    for row in transitions:
        by_run[row.run_id].append(row)
    out = []
    for run_id, rows in by_run.items():
        rows.sort(key=lambda r: (r.updated_at, STATUS_ORDER[r.status]))
        last = rows[-1]
        requested = next((r.updated_at for r in rows if r.status is RetrainStatus.REQUESTED), rows[0].updated_at)
        out.append(
            RetrainRunSummary(
                run_id=run_id,
                stream=last.stream,
                job=last.job,
                status=last.status,
                requested_at=requested,
                updated_at=last.updated_at,
                snapshot_sha256=next((r.snapshot_sha256 for r in reversed(rows) if r.snapshot_sha256), None),
                champion_version=next((r.champion_version for r in reversed(rows) if r.champion_version), None),
                challenger_version=next((r.challenger_version for r in reversed(rows) if r.challenger_version), None),
                metrics=last.metrics,
                message=last.message,
            )
        )
    return sorted(out, key=lambda r: (r.requested_at, r.run_id), reverse=True)


def list_runs(store: Store, stream: StreamKey | None = None, *, limit: int = 50) -> list[RetrainRunSummary]:
    """The latest ``limit`` runs (of one stream, or all), newest first."""
    return summarise_runs(store.retrain.runs_of(stream, limit=limit * 5))[:limit]


def format_runs(runs: Sequence[RetrainRunSummary], gate_metric: str = "auroc") -> str:
    """A plain-text table of runs for the terminal."""
    if not runs:
        return "no retraining runs"
    header = ("run", "stream", "job", "status", "requested", "snapshot", "champion", "challenger", gate_metric)
    lines = [header]
    for r in runs:
        champ, chall = r.metrics.get(f"champion_{gate_metric}"), r.metrics.get(f"challenger_{gate_metric}")
        score = f"{champ:.3f}->{chall:.3f}" if champ is not None and chall is not None else "-"
        lines.append(
            (
                r.run_id,
                str(r.stream),
                r.job,
                r.status.value,
                r.requested_at.strftime("%Y-%m-%d %H:%M:%S"),
                (r.snapshot_sha256 or "-")[:12],
                r.champion_version or "-",
                r.challenger_version or "-",
                score,
            )
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in lines)
