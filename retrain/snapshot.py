"""Dataset snapshots: a deterministic read of the store, written as Parquet with a manifest.

A snapshot holds two tables, sorted and with a fixed schema:

``events.parquet``
    Every event of the stream inside the drifted windows, and every event that received feedback in
    ``[since, until)``, one row each, with the training label the feedback gives it (null when none).
``feedback.parquet``
    The feedback of ``[since, until)`` matched to the stream, one row per feedback event.

Its identity is the SHA-256 of its content (:func:`content_sha256`): rows in canonical form, never the
Parquet bytes and never the time it was taken. The same query over the same stored rows gives the same
hash, so a snapshot is stored once under ``<root>/<sha256>/`` however often it is taken.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from infra.settings import RetrainLabelRules
from infra.store import Store
from retrain.labels import event_labels
from schemas import StreamKey

SNAPSHOT_FORMAT = 1
MANIFEST = "manifest.json"

_TS = pa.timestamp("ms", tz="UTC")
_VECTOR = pa.list_(pa.float32())

EVENTS_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("event_time", _TS),
        ("app", pa.string()),
        ("model", pa.string()),
        ("model_version", pa.string()),
        ("prompt", pa.string()),
        ("response", pa.string()),
        ("latency_ms", pa.float64()),
        ("tokens_in", pa.int64()),
        ("tokens_out", pa.int64()),
        ("user_id", pa.string()),
        ("session_id", pa.string()),
        ("in_drift_window", pa.bool_()),
        ("label", pa.int8()),
        ("label_feedback_id", pa.string()),
        ("label_kind", pa.string()),
        ("embedding_model", pa.string()),
        ("prompt_embedding", _VECTOR),
        ("response_embedding", _VECTOR),
    ]
)

FEEDBACK_SCHEMA = pa.schema(
    [
        ("feedback_id", pa.string()),
        ("event_id", pa.string()),
        ("feedback_time", _TS),
        ("kind", pa.string()),
        ("value", pa.float64()),
        ("labels", pa.list_(pa.string())),
        ("text", pa.string()),
        ("user_id", pa.string()),
    ]
)

TABLES: dict[str, pa.Schema] = {"events": EVENTS_SCHEMA, "feedback": FEEDBACK_SCHEMA}
"""File stem -> schema, in the order the content hash reads them."""


class SnapshotQuery(BaseModel):
    """Everything that decides a snapshot's content; written into its manifest as ``query``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stream: StreamKey
    until: datetime = Field(description="Feedback before this; the trigger time of the run.")
    since: datetime | None = Field(default=None, description="Feedback from this on (the last successful run).")
    drift_windows: list[tuple[datetime, datetime]] = Field(default_factory=list)
    task: str
    label_rules: RetrainLabelRules
    max_events: int = Field(default=100_000, ge=1)

    def canonical(self) -> SnapshotQuery:
        """The same query with windows sorted and deduplicated (their order carries no meaning)."""
        windows = sorted({(a, b) for a, b in self.drift_windows})
        return self.model_copy(update={"drift_windows": windows})


@dataclass(frozen=True)
class Snapshot:
    """A snapshot on disk."""

    path: Path
    sha256: str
    manifest: dict[str, Any]

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    def table(self, name: str) -> pa.Table:
        return pq.read_table(self.path / f"{name}.parquet", schema=TABLES[name])


def _vector_b64(values: Sequence[float] | None) -> str:
    return base64.b64encode(np.asarray(values or [], dtype="<f4").tobytes()).decode("ascii")


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")


def table_digest(tables: dict[str, pa.Table]) -> str:
    """SHA-256 over the rows of each table in :data:`TABLES` order, one canonical JSON line per row.

    Embedding columns are hashed as base64 of their little-endian float32 bytes; every other value as JSON
    (datetimes in ISO 8601). Recomputing it from the Parquet files gives the same value.
    """
    digest = hashlib.sha256()
    for name, schema in TABLES.items():
        table = tables[name].select(schema.names).cast(schema)
        digest.update(f"table {name} {len(schema)}\n".encode())
        vectors = {f.name for f in schema if f.type == _VECTOR}
        for batch in table.to_batches(max_chunksize=2048):
            for row in batch.to_pylist():
                for column in vectors:
                    row[column] = _vector_b64(row[column])
                line = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_canonical)
                digest.update(line.encode("utf-8"))
                digest.update(b"\n")
    return digest.hexdigest()


def content_sha256(path: Path | str) -> str:
    """Recompute a stored snapshot's hash from its Parquet files (to verify one, e.g. in an external job)."""
    folder = Path(path)
    return table_digest({name: pq.read_table(folder / f"{name}.parquet", schema=s) for name, s in TABLES.items()})


def _in_windows(time: datetime, windows: Iterable[tuple[datetime, datetime]]) -> bool:
    return any(start <= time < end for start, end in windows)


def read_tables(store: Store, query: SnapshotQuery) -> dict[str, pa.Table]:
    """Run the snapshot's queries and return its two tables, sorted, with their fixed schemas."""
    query = query.canonical()
    joined = store.events.feedback(query.since, query.until, stream=query.stream, limit=query.max_events)
    feedback = [j.feedback for j in joined]
    labels = event_labels(feedback, query.label_rules)
    rows = store.events.rows(
        query.stream,
        windows=query.drift_windows,
        event_ids=[fb.event_id for fb in feedback],
        limit=query.max_events,
    )
    events = []
    for row in rows:
        label = labels.get(row["event_id"])
        events.append(
            {
                **{name: row.get(name) for name in EVENTS_SCHEMA.names if name in row},
                "in_drift_window": _in_windows(row["event_time"], query.drift_windows),
                "label": None if label is None else label.label,
                "label_feedback_id": None if label is None else label.feedback_id,
                "label_kind": None if label is None else label.feedback_kind,
                "prompt_embedding": list(row["prompt_embedding"]),
                "response_embedding": list(row["response_embedding"]),
            }
        )
    events.sort(key=lambda r: (r["event_time"], r["event_id"]))
    feedback_rows = [
        {
            "feedback_id": fb.feedback_id,
            "event_id": fb.event_id,
            "feedback_time": fb.feedback_time,
            "kind": fb.kind.value,
            "value": fb.value,
            "labels": list(fb.labels),
            "text": fb.text,
            "user_id": fb.user_id,
        }
        for fb in feedback
    ]
    feedback_rows.sort(key=lambda r: (r["feedback_time"], r["feedback_id"]))
    return {
        "events": pa.Table.from_pylist(events, schema=EVENTS_SCHEMA),
        "feedback": pa.Table.from_pylist(feedback_rows, schema=FEEDBACK_SCHEMA),
    }


def _counts(tables: dict[str, pa.Table]) -> dict[str, Any]:
    events = tables["events"]
    labels = Counter(events.column("label").to_pylist())
    return {
        "rows": {name: table.num_rows for name, table in tables.items()},
        "labels": {"1": labels.get(1, 0), "0": labels.get(0, 0), "unlabelled": labels.get(None, 0)},
        "in_drift_window": int(sum(events.column("in_drift_window").to_pylist())),
        "feedback_kinds": dict(sorted(Counter(tables["feedback"].column("kind").to_pylist()).items())),
    }


def write_snapshot(tables: dict[str, pa.Table], query: SnapshotQuery, root: Path | str) -> Snapshot:
    """Write the tables and manifest under ``<root>/<sha256>/`` (kept as it is when already there)."""
    sha = table_digest(tables)
    root = Path(root)
    final = root / sha
    manifest = {
        "format": SNAPSHOT_FORMAT,
        "sha256": sha,
        "query": query.canonical().model_dump(mode="json"),
        "window": {
            "since": query.since.isoformat() if query.since else None,
            "until": query.until.isoformat(),
            "drift_windows": [[a.isoformat(), b.isoformat()] for a, b in query.canonical().drift_windows],
        },
        **_counts(tables),
        "files": {name: f"{name}.parquet" for name in TABLES},
        "hash": "sha256 over canonical rows of events then feedback; see retrain.snapshot.table_digest",
    }
    if (final / MANIFEST).exists():
        return Snapshot(final, sha, json.loads((final / MANIFEST).read_text()))
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".tmp-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        for name, table in tables.items():
            pq.write_table(table, staging / f"{name}.parquet", compression="zstd")
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        try:
            os.replace(staging, final)
        except OSError:
            if not (final / MANIFEST).exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Snapshot(final, sha, manifest)


def take_snapshot(store: Store, query: SnapshotQuery, root: Path | str) -> Snapshot:
    """Query the store and write the snapshot; see :func:`read_tables` and :func:`write_snapshot`."""
    return write_snapshot(read_tables(store, query), query, root)


def load_snapshot(path: Path | str) -> Snapshot:
    folder = Path(path)
    manifest = json.loads((folder / MANIFEST).read_text())
    return Snapshot(folder, manifest["sha256"], manifest)
