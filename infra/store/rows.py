"""How every table's rows are written: models to insert columns (one list per column), and result rows back.

Column-oriented lists are what clickhouse-connect serialises fastest, except for embeddings: the
``inference`` table goes in as an Arrow table, its vectors as one flat float32 buffer per column
(clickhouse-connect would write NumPy vectors element by element). Each table's insert columns
are one list of ``(column, getter)`` fields, so a column's name stands beside the value it takes;
every repository of the store inserts through these, and only these.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa

from infra.audit import AuditEntry
from schemas import (
    Alert,
    ClusterShift,
    DeadLetter,
    DriftResult,
    FeedbackEvent,
    InferenceEvent,
    RetrainRun,
    SafetyScore,
    ScoredFeedback,
    ScoredInference,
    SegmentDisparity,
    StreamKey,
)
from schemas.retrain import ProbeVersion

Columns = tuple[list[str], list[list[Any]]]

T = TypeVar("T")
Field = tuple[str, Callable[[T], Any]]
"""One insert column: its name and how to read its value from an item."""


def utc(value: datetime) -> datetime:
    """An aware UTC datetime; naive values are taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def stream_of(row: Mapping[str, Any]) -> StreamKey:
    """The stream a result row names in its ``app``, ``model`` and ``model_version`` columns."""
    return StreamKey(app=row["app"], model=row["model"], model_version=row["model_version"])


def names(*fields: Sequence[Field[Any]]) -> list[str]:
    """Column names of one or more field lists, in order.

    >>> names([("a", str), ("b", str)], [("c", str)])
    ['a', 'b', 'c']
    """
    return [name for group in fields for name, _ in group]


def attributes(*names: str, of: str = "") -> list[Field[Any]]:
    """Fields whose column is the item's attribute of the same name (or its ``of`` attribute's).

    >>> [(name, get(1j)) for name, get in attributes("real", "imag")]
    [('real', 0.0), ('imag', 1.0)]
    """
    return [(name, attrgetter(f"{of}.{name}" if of else name)) for name in names]


def values(fields: Sequence[Field[T]], items: Sequence[T]) -> list[list[Any]]:
    """One list per field: its value for every item.

    >>> values([("n", len), ("upper", str.upper)], ["ab", "c"])
    [[2, 1], ['AB', 'C']]
    """
    return [list(map(get, items)) for _, get in fields]


_STREAM_EVENT_FIELDS: list[Field[Any]] = attributes("event_id", "event_time", "app", "model", "model_version")
"""The event key and stream columns that ``inference`` and ``safety_scores`` share."""

_EVENT_FIELDS: list[Field[InferenceEvent]] = [
    *_STREAM_EVENT_FIELDS,
    *attributes(
        "prompt",
        "response",
        "latency_ms",
        "tokens_in",
        "tokens_out",
        "cost_usd",
        "user_id",
        "session_id",
    ),
    ("tags", lambda e: list(e.tags.items())),  # Arrow's map type takes key/value pairs
    *attributes("schema_version"),
]
_SCORED_INFERENCE_FIELDS: list[Field[ScoredInference]] = [
    ("received_at", lambda r: utc(r.received_at)),
    *attributes("embedding_model"),
]
_VECTOR_FIELDS: list[Field[ScoredInference]] = attributes("prompt_embedding", "response_embedding")

_TIME = pa.timestamp("us", tz="UTC")
_INFERENCE_ARROW_TYPES: dict[str, pa.DataType] = {
    "event_time": _TIME,
    "latency_ms": pa.float64(),
    "tokens_in": pa.uint32(),
    "tokens_out": pa.uint32(),
    "cost_usd": pa.float64(),
    "tags": pa.map_(pa.string(), pa.string()),
    "schema_version": pa.uint16(),
    "received_at": _TIME,
}
"""Arrow types of the ``inference`` columns that are not strings (vectors aside)."""


def vector_array(vectors: Sequence[np.ndarray]) -> pa.ListArray:
    """A list<float32> column from vectors of any lengths, built from one concatenated buffer.

    >>> vector_array([np.ones(2, np.float32), np.zeros(0, np.float32)]).to_pylist()
    [[1.0, 1.0], []]
    """
    flat = [np.asarray(v, dtype=np.float32) for v in vectors]
    offsets = np.zeros(len(flat) + 1, dtype=np.int32)
    np.cumsum([len(v) for v in flat], out=offsets[1:])
    values = np.concatenate(flat) if flat else np.zeros(0, dtype=np.float32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))


def inference_table(rows: Sequence[ScoredInference]) -> pa.Table:
    """The ``inference`` rows of scored events, as an Arrow table."""
    events = [r.event for r in rows]
    scalars = values(_EVENT_FIELDS, events) + values(_SCORED_INFERENCE_FIELDS, rows)
    columns: dict[str, pa.Array] = {}
    for name, column in zip(names(_EVENT_FIELDS, _SCORED_INFERENCE_FIELDS), scalars, strict=True):
        columns[name] = pa.array(column, type=_INFERENCE_ARROW_TYPES.get(name, pa.string()))
    for name, get in _VECTOR_FIELDS:
        columns[name] = vector_array([get(r) for r in rows])
    return pa.table(columns)


_SAFETY_FIELDS: list[Field[SafetyScore]] = [
    *attributes("detector", "detector_version"),
    ("target", lambda s: s.target.value),
    *attributes("score", "threshold", "breached", "details", "explanation"),
]
SAFETY_COLUMNS = names(_STREAM_EVENT_FIELDS, _SAFETY_FIELDS)


def safety_columns(rows: Sequence[ScoredInference]) -> Columns:
    """One row per safety score, keyed by its event."""
    events = [r.event for r in rows for _ in r.safety]
    scores = [s for r in rows for s in r.safety]
    return SAFETY_COLUMNS, values(_STREAM_EVENT_FIELDS, events) + values(_SAFETY_FIELDS, scores)


_FEEDBACK_FIELDS: list[Field[FeedbackEvent]] = [
    *attributes("feedback_id", "event_id", "feedback_time"),
    ("kind", lambda f: f.kind.value),
    *attributes("value"),
    ("labels", lambda f: list(f.labels)),
    *attributes("text", "user_id", "schema_version"),
]
_SCORED_FEEDBACK_FIELDS: list[Field[ScoredFeedback]] = [
    ("received_at", lambda r: utc(r.received_at)),
]
FEEDBACK_COLUMNS = names(_FEEDBACK_FIELDS, _SCORED_FEEDBACK_FIELDS)


def feedback_columns(rows: Sequence[ScoredFeedback]) -> Columns:
    fb = [r.feedback for r in rows]
    return FEEDBACK_COLUMNS, values(_FEEDBACK_FIELDS, fb) + values(_SCORED_FEEDBACK_FIELDS, rows)


_DEAD_LETTER_FIELDS: list[Field[DeadLetter]] = [
    *attributes("source_topic", "source_partition", "source_offset"),
    ("error_kind", lambda d: str(d.error_kind)),
    *attributes("reason", "original"),
    ("received_at", lambda d: utc(d.received_at)),
]
DEAD_LETTER_COLUMNS = names(_DEAD_LETTER_FIELDS)


def dead_letter_columns(rows: Sequence[DeadLetter]) -> Columns:
    return DEAD_LETTER_COLUMNS, values(_DEAD_LETTER_FIELDS, rows)


@dataclass(frozen=True)
class _StoredDrift:
    """A drift verdict with the stream and window a stored row needs (``DriftResult`` has them optional)."""

    stream: StreamKey
    window_start: datetime
    window_end: datetime
    result: DriftResult


def _require_window(result: DriftResult) -> _StoredDrift:
    if result.stream is None or result.window_start is None or result.window_end is None:
        raise ValueError(
            f"a stored drift result needs stream, window_start and window_end (detector {result.detector!r})"
        )
    return _StoredDrift(result.stream, result.window_start, result.window_end, result)


_DRIFT_FIELDS: list[Field[_StoredDrift]] = [
    *attributes("app", "model", "model_version", of="stream"),
    ("window_start", lambda d: utc(d.window_start)),
    ("window_end", lambda d: utc(d.window_end)),
    ("reference_start", lambda d: utc_or_none(d.result.reference_start)),
    ("reference_end", lambda d: utc_or_none(d.result.reference_end)),
    *attributes(
        "detector",
        "detector_version",
        "feature",
        "statistic",
        "p_value",
        "adjusted_p_value",
        "alpha",
        "threshold",
        of="result",
    ),
    ("decision", lambda d: d.result.decision.value),
    *attributes("n_reference", "n_current", "explanation", of="result"),
    ("clusters", lambda d: json.dumps([c.model_dump(mode="json") for c in d.result.clusters])),
    ("config", lambda d: json.dumps(d.result.config, default=str, sort_keys=True)),
]
DRIFT_COLUMNS = names(_DRIFT_FIELDS)


def drift_columns(results: Sequence[DriftResult]) -> Columns:
    return DRIFT_COLUMNS, values(_DRIFT_FIELDS, [_require_window(r) for r in results])


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
        stream=stream_of(row),
        window_start=row["window_start"],
        window_end=row["window_end"],
        reference_start=row["reference_start"],
        reference_end=row["reference_end"],
    )


_ALERT_FIELDS: list[Field[Alert]] = [
    *attributes("alert_id"),
    ("kind", lambda a: a.kind.value),
    ("state", lambda a: a.state.value),
    ("severity", lambda a: a.severity.value),
    *attributes("app", "model", "model_version", of="stream"),
    *attributes("detector", "dedup_key"),
    ("created_at", lambda a: utc(a.created_at)),
    *attributes("summary", "event_id", "report_path"),
    ("evidence", lambda a: a.model_dump_json(include={"safety", "drift"})),
]
ALERT_COLUMNS = names(_ALERT_FIELDS)


def alert_columns(alerts: Sequence[Alert]) -> Columns:
    return ALERT_COLUMNS, values(_ALERT_FIELDS, alerts)


def alert_from_row(row: dict[str, Any]) -> Alert:
    evidence = json.loads(row["evidence"] or "{}")
    return Alert(
        alert_id=row["alert_id"],
        kind=row["kind"],
        state=row["state"],
        severity=row["severity"],
        stream=stream_of(row),
        detector=row["detector"],
        dedup_key=row["dedup_key"],
        created_at=row["created_at"],
        summary=row["summary"],
        event_id=row["event_id"],
        report_path=row["report_path"],
        safety=evidence.get("safety") or [],
        drift=evidence.get("drift"),
    )


_RETRAIN_FIELDS: list[Field[RetrainRun]] = [
    *attributes("run_id"),
    *attributes("app", "model", "model_version", of="stream"),
    ("status", lambda r: r.status.value),
    *attributes("job"),
    ("updated_at", lambda r: utc(r.updated_at)),
    *attributes("snapshot_sha256", "champion_version", "challenger_version", "metrics", "message"),
]
RETRAIN_COLUMNS = names(_RETRAIN_FIELDS)


def retrain_columns(runs: Sequence[RetrainRun]) -> Columns:
    return RETRAIN_COLUMNS, values(_RETRAIN_FIELDS, runs)


def retrain_from_row(row: dict[str, Any]) -> RetrainRun:
    return RetrainRun(
        run_id=row["run_id"],
        stream=stream_of(row),
        status=row["status"],
        job=row["job"],
        updated_at=row["updated_at"],
        snapshot_sha256=row["snapshot_sha256"],
        champion_version=row["champion_version"],
        challenger_version=row["challenger_version"],
        metrics=row["metrics"],
        message=row["message"],
    )


_SEGMENT_RESULT_FIELDS: list[Field[SegmentDisparity]] = [
    *attributes("app", "model", "model_version", of="stream"),
    ("window_start", lambda r: utc(r.window_start)),
    ("window_end", lambda r: utc(r.window_end)),
    *attributes("tag", "value", "metric"),
    ("k_segment", lambda r: r.comparison.first.k),
    ("n_segment", lambda r: r.comparison.first.n),
    ("k_rest", lambda r: r.comparison.second.k),
    ("n_rest", lambda r: r.comparison.second.n),
    *attributes("p_value", of="comparison"),
    *attributes("adjusted_p_value", "alpha", "disparate"),
    ("result", lambda r: r.model_dump_json()),
]
SEGMENT_RESULT_COLUMNS = names(_SEGMENT_RESULT_FIELDS)


def segment_result_columns(results: Sequence[SegmentDisparity]) -> Columns:
    return SEGMENT_RESULT_COLUMNS, values(_SEGMENT_RESULT_FIELDS, results)


_PROBE_VERSION_FIELDS: list[Field[ProbeVersion]] = [
    *attributes(
        "task",
        "version",
        "parent_version",
        "run_id",
        "snapshot_sha256",
        "embedder",
        "artefact_path",
        "n_train",
        "metrics",
        "promoted",
    ),
    ("created_at", lambda v: utc(v.created_at)),
]
PROBE_VERSION_COLUMNS = names(_PROBE_VERSION_FIELDS)


def probe_version_columns(versions: Sequence[ProbeVersion]) -> Columns:
    return PROBE_VERSION_COLUMNS, values(_PROBE_VERSION_FIELDS, versions)


_AUDIT_FIELDS: list[Field[AuditEntry]] = [
    *attributes("audit_id"),
    ("at", lambda e: utc(e.at)),
    ("action", lambda e: e.action.value),
    ("actor_kind", lambda e: e.actor_kind.value),
    *attributes("actor"),
    ("app", lambda e: e.stream.app if e.stream else ""),
    ("model", lambda e: e.stream.model if e.stream else ""),
    ("model_version", lambda e: e.stream.model_version if e.stream else ""),
    *attributes("subject", "summary"),
    ("evidence", AuditEntry.evidence_json),
]
AUDIT_COLUMNS = names(_AUDIT_FIELDS)


def audit_columns(entries: Sequence[AuditEntry]) -> Columns:
    return AUDIT_COLUMNS, values(_AUDIT_FIELDS, entries)


_PROGRESS_FIELDS: list[Field[tuple[StreamKey, datetime]]] = [
    ("app", lambda p: p[0].app),
    ("model", lambda p: p[0].model),
    ("model_version", lambda p: p[0].model_version),
    ("window_end", lambda p: utc(p[1])),
]


def progress_columns(progress: Mapping[StreamKey, datetime]) -> Columns:
    """Rows of ``monitor_progress`` or ``segment_progress``: the end of the last evaluated window per stream."""
    return names(_PROGRESS_FIELDS), values(_PROGRESS_FIELDS, list(progress.items()))


def progress_from_rows(rows: Sequence[Mapping[str, Any]]) -> dict[StreamKey, datetime]:
    return {stream_of(r): r["window_end"] for r in rows}


@dataclass(frozen=True)
class _PinRow:
    stream: StreamKey
    start: datetime
    end: datetime
    active: bool
    note: str
    pinned_at: datetime


_REFERENCE_PIN_FIELDS: list[Field[_PinRow]] = [
    *attributes("app", "model", "model_version", of="stream"),
    ("reference_start", lambda p: utc(p.start)),
    ("reference_end", lambda p: utc(p.end)),
    *attributes("active", "note"),
    ("pinned_at", lambda p: utc(p.pinned_at)),
]


def reference_pin_columns(
    stream: StreamKey, start: datetime, end: datetime, *, active: bool, note: str, pinned_at: datetime
) -> Columns:
    """The ``reference_pins`` row of one stream; an inactive row drops the stream's pin."""
    row = _PinRow(stream, start, end, active, note, pinned_at)
    return names(_REFERENCE_PIN_FIELDS), values(_REFERENCE_PIN_FIELDS, [row])


_POLICY_STATE_FIELDS: list[Field[tuple[str, str]]] = [("dedup_key", itemgetter(0)), ("state", itemgetter(1))]


def policy_state_columns(states: Mapping[str, str], updated_at: datetime) -> Columns:
    """``alert_policy_state`` rows: each dedup key's state (JSON), in key order."""
    fields = [*_POLICY_STATE_FIELDS, ("updated_at", lambda _: updated_at)]
    return names(fields), values(fields, sorted(states.items()))


@dataclass(frozen=True)
class Delivery:
    """One alert on its way to one sink (a row of ``alert_outbox``); pending until ``delivered``.

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


_DELIVERY_FIELDS: list[Field[Delivery]] = [
    *attributes("alert_id", "sink"),
    ("created_at", lambda d: utc(d.created_at)),
    *attributes("payload", "delivered", "attempts"),
    ("next_attempt_at", lambda d: utc(d.next_attempt_at or d.created_at)),
    *attributes("last_error"),
]


def delivery_columns(deliveries: Sequence[Delivery], updated_at: datetime) -> Columns:
    fields = [*_DELIVERY_FIELDS, ("updated_at", lambda _: updated_at)]
    return names(fields), values(fields, deliveries)
