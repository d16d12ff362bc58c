"""Turn wire models into insert columns (column-oriented, one list per column) and result rows back into models.

Column-oriented lists are what clickhouse-connect serialises fastest; embeddings stay Python lists
of floats (converting them to NumPy rows first is several times slower).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from schemas import (
    Alert,
    ClusterShift,
    DeadLetter,
    DriftResult,
    RetrainRun,
    ScoredFeedback,
    ScoredInference,
    StreamKey,
)

Columns = tuple[list[str], list[list[Any]]]


def utc(value: datetime) -> datetime:
    """An aware UTC datetime; naive values are taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


INFERENCE_COLUMNS = [
    "event_id",
    "event_time",
    "app",
    "model",
    "model_version",
    "prompt",
    "response",
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "user_id",
    "session_id",
    "tags",
    "schema_version",
    "received_at",
    "prompt_embedding",
    "response_embedding",
    "embedding_model",
]


def inference_columns(rows: Sequence[ScoredInference]) -> Columns:
    events = [r.event for r in rows]
    columns = [
        [e.event_id for e in events],
        [e.event_time for e in events],
        [e.app for e in events],
        [e.model for e in events],
        [e.model_version for e in events],
        [e.prompt for e in events],
        [e.response for e in events],
        [e.latency_ms for e in events],
        [e.tokens_in for e in events],
        [e.tokens_out for e in events],
        [e.cost_usd for e in events],
        [e.user_id for e in events],
        [e.session_id for e in events],
        [e.tags for e in events],
        [e.schema_version for e in events],
        [utc(r.received_at) for r in rows],
        [r.prompt_embedding for r in rows],
        [r.response_embedding for r in rows],
        [r.embedding_model for r in rows],
    ]
    return INFERENCE_COLUMNS, columns


SAFETY_COLUMNS = [
    "event_id",
    "event_time",
    "app",
    "model",
    "model_version",
    "detector",
    "detector_version",
    "target",
    "score",
    "threshold",
    "breached",
    "details",
    "explanation",
]


def safety_columns(rows: Sequence[ScoredInference]) -> Columns:
    flat = [(r.event, s) for r in rows for s in r.safety]
    columns = [
        [e.event_id for e, _ in flat],
        [e.event_time for e, _ in flat],
        [e.app for e, _ in flat],
        [e.model for e, _ in flat],
        [e.model_version for e, _ in flat],
        [s.detector for _, s in flat],
        [s.detector_version for _, s in flat],
        [s.target.value for _, s in flat],
        [s.score for _, s in flat],
        [s.threshold for _, s in flat],
        [s.breached for _, s in flat],
        [s.details for _, s in flat],
        [s.explanation for _, s in flat],
    ]
    return SAFETY_COLUMNS, columns


FEEDBACK_COLUMNS = [
    "feedback_id",
    "event_id",
    "feedback_time",
    "kind",
    "value",
    "labels",
    "text",
    "user_id",
    "schema_version",
    "received_at",
]


def feedback_columns(rows: Sequence[ScoredFeedback]) -> Columns:
    fb = [r.feedback for r in rows]
    columns = [
        [f.feedback_id for f in fb],
        [f.event_id for f in fb],
        [f.feedback_time for f in fb],
        [f.kind.value for f in fb],
        [f.value for f in fb],
        [list(f.labels) for f in fb],
        [f.text for f in fb],
        [f.user_id for f in fb],
        [f.schema_version for f in fb],
        [utc(r.received_at) for r in rows],
    ]
    return FEEDBACK_COLUMNS, columns


DEAD_LETTER_COLUMNS = [
    "source_topic",
    "source_partition",
    "source_offset",
    "error_kind",
    "reason",
    "original",
    "received_at",
]


def dead_letter_columns(rows: Sequence[DeadLetter]) -> Columns:
    columns = [
        [d.source_topic for d in rows],
        [d.source_partition for d in rows],
        [d.source_offset for d in rows],
        [str(d.error_kind) for d in rows],
        [d.reason for d in rows],
        [d.original for d in rows],
        [utc(d.received_at) for d in rows],
    ]
    return DEAD_LETTER_COLUMNS, columns


DRIFT_COLUMNS = [
    "app",
    "model",
    "model_version",
    "window_start",
    "window_end",
    "reference_start",
    "reference_end",
    "detector",
    "detector_version",
    "feature",
    "statistic",
    "p_value",
    "adjusted_p_value",
    "alpha",
    "threshold",
    "decision",
    "n_reference",
    "n_current",
    "explanation",
    "clusters",
    "config",
]


def _require_window(result: DriftResult) -> tuple[StreamKey, datetime, datetime]:
    if result.stream is None or result.window_start is None or result.window_end is None:
        raise ValueError(
            f"a stored drift result needs stream, window_start and window_end (detector {result.detector!r})"
        )
    return result.stream, result.window_start, result.window_end


def drift_columns(results: Sequence[DriftResult]) -> Columns:
    keyed = [(_require_window(r), r) for r in results]
    columns = [
        [k[0].app for k, _ in keyed],
        [k[0].model for k, _ in keyed],
        [k[0].model_version for k, _ in keyed],
        [utc(k[1]) for k, _ in keyed],
        [utc(k[2]) for k, _ in keyed],
        [utc_or_none(r.reference_start) for _, r in keyed],
        [utc_or_none(r.reference_end) for _, r in keyed],
        [r.detector for _, r in keyed],
        [r.detector_version for _, r in keyed],
        [r.feature for _, r in keyed],
        [r.statistic for _, r in keyed],
        [r.p_value for _, r in keyed],
        [r.adjusted_p_value for _, r in keyed],
        [r.alpha for _, r in keyed],
        [r.threshold for _, r in keyed],
        [r.decision.value for _, r in keyed],
        [r.n_reference for _, r in keyed],
        [r.n_current for _, r in keyed],
        [r.explanation for _, r in keyed],
        [json.dumps([c.model_dump(mode="json") for c in r.clusters]) for _, r in keyed],
        [json.dumps(r.config, default=str, sort_keys=True) for _, r in keyed],
    ]
    return DRIFT_COLUMNS, columns


def drift_from_row(row: dict[str, Any]) -> DriftResult:
    return DriftResult(
        detector=row["detector"],
        detector_version=row["detector_version"],
        feature=row["feature"],
        statistic=row["statistic"],
        p_value=row["p_value"],
        adjusted_p_value=row["adjusted_p_value"],
        alpha=row["alpha"],
        threshold=row["threshold"],
        decision=row["decision"],
        n_reference=row["n_reference"],
        n_current=row["n_current"],
        explanation=row["explanation"],
        clusters=[ClusterShift.model_validate(c) for c in json.loads(row["clusters"] or "[]")],
        config=json.loads(row["config"] or "{}"),
        stream=StreamKey(app=row["app"], model=row["model"], model_version=row["model_version"]),
        window_start=row["window_start"],
        window_end=row["window_end"],
        reference_start=row["reference_start"],
        reference_end=row["reference_end"],
    )


ALERT_COLUMNS = [
    "alert_id",
    "kind",
    "state",
    "severity",
    "app",
    "model",
    "model_version",
    "detector",
    "dedup_key",
    "created_at",
    "summary",
    "event_id",
    "report_path",
    "evidence",
]


def alert_columns(alerts: Sequence[Alert]) -> Columns:
    columns = [
        [a.alert_id for a in alerts],
        [a.kind.value for a in alerts],
        [a.state.value for a in alerts],
        [a.severity.value for a in alerts],
        [a.stream.app for a in alerts],
        [a.stream.model for a in alerts],
        [a.stream.model_version for a in alerts],
        [a.detector for a in alerts],
        [a.dedup_key for a in alerts],
        [utc(a.created_at) for a in alerts],
        [a.summary for a in alerts],
        [a.event_id for a in alerts],
        [a.report_path for a in alerts],
        [a.model_dump_json(include={"safety", "drift"}) for a in alerts],
    ]
    return ALERT_COLUMNS, columns


def alert_from_row(row: dict[str, Any]) -> Alert:
    evidence = json.loads(row["evidence"] or "{}")
    return Alert(
        alert_id=row["alert_id"],
        kind=row["kind"],
        state=row["state"],
        severity=row["severity"],
        stream=StreamKey(app=row["app"], model=row["model"], model_version=row["model_version"]),
        detector=row["detector"],
        dedup_key=row["dedup_key"],
        created_at=row["created_at"],
        summary=row["summary"],
        event_id=row["event_id"],
        report_path=row["report_path"],
        safety=evidence.get("safety") or [],
        drift=evidence.get("drift"),
    )


RETRAIN_COLUMNS = [
    "run_id",
    "app",
    "model",
    "model_version",
    "status",
    "job",
    "updated_at",
    "snapshot_sha256",
    "champion_version",
    "challenger_version",
    "metrics",
    "message",
]


def retrain_columns(runs: Sequence[RetrainRun]) -> Columns:
    columns = [
        [r.run_id for r in runs],
        [r.stream.app for r in runs],
        [r.stream.model for r in runs],
        [r.stream.model_version for r in runs],
        [r.status.value for r in runs],
        [r.job for r in runs],
        [utc(r.updated_at) for r in runs],
        [r.snapshot_sha256 for r in runs],
        [r.champion_version for r in runs],
        [r.challenger_version for r in runs],
        [r.metrics for r in runs],
        [r.message for r in runs],
    ]
    return RETRAIN_COLUMNS, columns


def retrain_from_row(row: dict[str, Any]) -> RetrainRun:
    return RetrainRun(
        run_id=row["run_id"],
        stream=StreamKey(app=row["app"], model=row["model"], model_version=row["model_version"]),
        status=row["status"],
        job=row["job"],
        updated_at=row["updated_at"],
        snapshot_sha256=row["snapshot_sha256"],
        champion_version=row["champion_version"],
        challenger_version=row["challenger_version"],
        metrics=row["metrics"],
        message=row["message"],
    )
