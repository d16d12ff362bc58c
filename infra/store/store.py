"""The ClickHouse store: one object that owns the connection, the schema and every query driftloop runs.

One ``Store`` is shared by all threads of the process that owns it (the sink writes, the API and the
scheduler read). Calls on the embedded engine are serialised with a lock; against a server, the HTTP
client runs without a session so its connection pool serves threads concurrently.

Every read that returns events, feedback or scores deduplicates (``FINAL``): an event delivered twice
is counted and returned once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import clickhouse_connect
import numpy as np
from pydantic import SecretStr

from infra.audit import ActorKind, AuditAction, AuditEntry
from infra.store import dsn as dsn_lib
from infra.store import rows as row_lib
from infra.store.analytics import AnalyticsQueries
from infra.store.ddl import DdlContext, quote
from infra.store.errors import StoreError, StoreLockedError, StoreOpenError
from infra.store.migrate import (
    AppliedMigration,
    Migration,
    applied_migrations,
    apply_migrations,
    load_migrations,
    reconcile_retention,
)
from schemas import (
    Alert,
    AlertCount,
    AlertKind,
    AlertState,
    DeadLetter,
    DriftResult,
    FeedbackByVersion,
    FeedbackEvent,
    RetrainRun,
    RetrainRunSummary,
    RetrainStatus,
    SafetyBucket,
    ScoredFeedback,
    ScoredInference,
    StreamKey,
    StreamOverview,
    UsageBucket,
)
from schemas.retrain import ProbeVersion

if TYPE_CHECKING:
    from infra.settings import Settings

logger = logging.getLogger(__name__)

TABLES = (
    "inference",
    "feedback",
    "safety_scores",
    "drift_scores",
    "alerts",
    "retrain_runs",
    "dead_letters",
    "monitor_progress",
    "reference_pins",
    "alert_policy_state",
    "alert_outbox",
    "probe_versions",
    "segment_results",
    "segment_progress",
    "audit",
)
"""Every table the store owns, as queries name them (on a cluster these are the Distributed tables)."""


@dataclass(frozen=True)
class InferenceWindow:
    """Events of one stream in ``[start, end)`` with their embeddings, ordered by event time.

    ``prompt_embeddings`` and ``response_embeddings`` are ``(n, dim)`` float32 arrays aligned with ``event_ids``
    (``(0, 0)`` when there is none; an event stored without a response embedding has a row of NaN).
    """

    stream: StreamKey
    start: datetime
    end: datetime
    event_ids: list[str]
    event_times: list[datetime]
    prompts: list[str]
    responses: list[str]
    prompt_embeddings: np.ndarray = field(repr=False)
    response_embeddings: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return len(self.event_ids)


@dataclass(frozen=True)
class StreamSpan:
    """A stream with the event times of its first and last stored events."""

    stream: StreamKey
    first_event: datetime
    last_event: datetime


@dataclass(frozen=True)
class ReferencePin:
    """A pinned reference window ``[start, end)`` of a stream (``driftloop reference set``)."""

    stream: StreamKey
    start: datetime
    end: datetime
    note: str = ""
    pinned_at: datetime | None = None


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


@dataclass(frozen=True)
class JoinedFeedback:
    """A feedback event with the inference it is about; ``stream`` is None while that inference is unknown."""

    feedback: FeedbackEvent
    received_at: datetime
    stream: StreamKey | None
    event_time: datetime | None
    prompt: str | None
    response: str | None

    @property
    def matched(self) -> bool:
        return self.stream is not None


class _Where:
    """WHERE clauses from fixed fragments; every value travels as a bound parameter."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: dict[str, Any] = {}

    def add(self, clause: str, **params: Any) -> _Where:
        self.clauses.append(clause)
        self.params.update(params)
        return self

    def stream(self, stream: StreamKey | None, prefix: str = "") -> _Where:
        if stream is not None:
            self.add(
                f"{prefix}app = {{app:String}} AND {prefix}model = {{model:String}} "
                f"AND {prefix}model_version = {{model_version:String}}",
                app=stream.app,
                model=stream.model,
                model_version=stream.model_version,
            )
        return self

    def time(self, column: str, start: datetime | None, end: datetime | None) -> _Where:
        if start is not None:
            self.add(f"{column} >= {{start:DateTime64(6, 'UTC')}}", start=row_lib.utc(start))
        if end is not None:
            self.add(f"{column} < {{end:DateTime64(6, 'UTC')}}", end=row_lib.utc(end))
        return self

    def sql(self) -> str:
        return f"WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


def _embeddings(values: Sequence[Sequence[float]]) -> np.ndarray:
    """Stack vectors into ``(n, dim)`` float32; a missing (empty) vector becomes a row of NaN."""
    dims = {len(v) for v in values if len(v)}
    if not dims:
        return np.zeros((0, 0), dtype=np.float32)
    if len(dims) > 1:
        raise StoreError(
            f"embeddings of different sizes {sorted(dims)} in one window: pass embedding_model= to pick one model"
        )
    (dim,) = dims
    if all(len(v) for v in values):
        return np.asarray(values, dtype=np.float32)
    out = np.full((len(values), dim), np.nan, dtype=np.float32)
    for i, vector in enumerate(values):
        if len(vector):
            out[i] = vector
    return out


def _scrub(message: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message


class Store(AnalyticsQueries):
    """driftloop's ClickHouse store. Open with ``Store.open(dsn, ...)`` or ``connect(settings)``."""

    def __init__(self, client: Any, *, dsn: str, ddl: DdlContext, embedded: bool) -> None:
        self._client = client
        self._ddl = ddl
        self.dsn = dsn
        """The DSN without its password."""
        self.embedded = embedded
        self._lock: contextlib.AbstractContextManager[Any] = threading.RLock() if embedded else contextlib.nullcontext()
        self._closed = False

    # ---- opening and closing ----------------------------------------------------------------

    @classmethod
    def open(
        cls,
        dsn: str,
        *,
        database: str = "driftloop",
        cluster: str | None = None,
        username: str | None = None,
        password: SecretStr | None = None,
        secure: bool = False,
        events_ttl_days: int = 90,
        scores_ttl_days: int = 365,
        migrate: bool = True,
        migrations: list[Migration] | None = None,
        connect_timeout_s: float = 10.0,
    ) -> Store:
        """Open the store, create ``database`` if missing, and apply pending migrations.

        Raises
        ------
        StoreLockedError
            The embedded data directory is open in another process.
        StoreOpenError
            Anything else that keeps the store from opening; the message names the DSN without its password.
        MigrationError
            A migration failed or an applied one has changed.
        """
        shown = dsn_lib.redact(dsn)
        try:
            parsed = dsn_lib.parse(dsn)
            ddl = DdlContext(database, cluster, events_ttl_days, scores_ttl_days)
        except ValueError as exc:
            raise StoreOpenError(f"cannot open the ClickHouse store {shown}: {exc}") from exc
        secret = password.get_secret_value() if password is not None else parsed.password
        client = cls._client(parsed, shown, username, secret, secure, connect_timeout_s)
        store = cls(client, dsn=shown, ddl=ddl, embedded=parsed.embedded)
        try:
            try:
                client.command(f"CREATE DATABASE IF NOT EXISTS {quote(database)} {ddl.on_cluster}")
                client.database = database
            except Exception as exc:
                reason = _scrub(str(exc), secret, parsed.password)
                raise StoreOpenError(
                    f"cannot create database {database!r} in the ClickHouse store {shown}: {reason}"
                ) from exc
            if migrate:
                store.migrate(migrations)
        except BaseException:
            store.close()
            raise
        logger.info("opened ClickHouse store %s (database %s)", shown, database)
        return store

    @staticmethod
    def _client(
        parsed: dsn_lib.ParsedDsn,
        shown: str,
        username: str | None,
        password: str | None,
        secure: bool,
        connect_timeout_s: float,
    ) -> Any:
        try:
            if parsed.embedded:
                assert parsed.embedded_path is not None
                path = Path(parsed.embedded_path)
                path.mkdir(parents=True, exist_ok=True)
                return clickhouse_connect.get_client(dsn=f"chdb://{path.resolve()}", tz_mode="aware")
            use_tls = secure or parsed.secure
            return clickhouse_connect.get_client(
                dsn=parsed.client_dsn(),
                host=parsed.host,
                port=parsed.port,
                username=username or parsed.username,
                password=password or "",
                interface="https" if use_tls else "http",
                secure=use_tls,
                autogenerate_session_id=False,
                connect_timeout=connect_timeout_s,
                tz_mode="aware",
            )
        except Exception as exc:
            message = _scrub(str(exc), password, parsed.password)
            if "Error initializing EmbeddedServer" in message:
                raise StoreLockedError(
                    f"cannot open the embedded ClickHouse store {shown}: its data directory "
                    f"{parsed.embedded_path} is already open in another process. Only one process may own a "
                    "chdb data directory: stop that process, or let it serve this one "
                    f"(engine said: {message})"
                ) from exc
            if "already initialized with path" in message:
                raise StoreOpenError(
                    f"cannot open the embedded ClickHouse store {shown}: this process already has another chdb "
                    f"data directory open, and one process can host only one; close that store first "
                    f"(engine said: {message})"
                ) from exc
            raise StoreOpenError(f"cannot open the ClickHouse store {shown}: {message}") from exc

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._client.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.dsn!r}, database={self.database!r})"

    @property
    def database(self) -> str:
        return self._ddl.database

    @property
    def ddl_context(self) -> DdlContext:
        return self._ddl

    # ---- schema -------------------------------------------------------------------------------

    def migrate(self, migrations: list[Migration] | None = None) -> list[Migration]:
        """Apply pending migrations and the configured retention; return the migrations applied."""
        migrations = load_migrations() if migrations is None else migrations
        with self._lock:
            done = apply_migrations(self._client, self._ddl, migrations)
            altered = reconcile_retention(self._client, self._ddl, migrations)
        if altered:
            logger.info("retention changed for tables %s", ", ".join(altered))
        return done

    def applied_migrations(self) -> list[AppliedMigration]:
        with self._lock:
            return applied_migrations(self._client, self._ddl)

    def show_create_table(self, table: str) -> str:
        """The engine's ``SHOW CREATE TABLE`` for one of ``TABLES`` (its storage table on a cluster)."""
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; the store has {', '.join(TABLES)}")
        with self._lock:
            return str(self._client.command(f"SHOW CREATE TABLE {self._ddl.storage_table(table)}"))

    # ---- low level ----------------------------------------------------------------------------

    def _insert(self, table: str, columns: row_lib.Columns) -> int:
        names, data = columns
        if not data or not data[0]:
            return 0
        with self._lock:
            self._client.insert(table, data, column_names=names, column_oriented=True, database=self.database)
        return len(data[0])

    def _rows(self, sql: str, params: dict[str, Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        with self._lock:
            result = self._client.query(sql, parameters=params or {}, **kwargs)
        names = result.column_names
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

    def _scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        with self._lock:
            return self._client.query(sql, parameters=params or {}).first_row[0]

    def ping(self) -> bool:
        """True when the engine answers a query."""
        if self._closed:
            return False
        try:
            with self._lock:
                return bool(self._client.ping())
        except Exception:
            return False

    # ---- writes -------------------------------------------------------------------------------

    def insert_inferences(self, rows: Sequence[ScoredInference]) -> int:
        """Store scored events and their safety scores; return how many events were written.

        Safe to repeat: a row stored twice is deduplicated.
        """
        if not rows:
            return 0
        self._insert("safety_scores", row_lib.safety_columns(rows))
        return self._insert("inference", row_lib.inference_columns(rows))

    def insert_feedback(self, rows: Sequence[ScoredFeedback]) -> int:
        return self._insert("feedback", row_lib.feedback_columns(rows))

    def insert_dead_letters(self, rows: Sequence[DeadLetter]) -> int:
        return self._insert("dead_letters", row_lib.dead_letter_columns(rows))

    def insert_drift_results(self, results: Sequence[DriftResult]) -> int:
        """Store drift verdicts; each needs ``stream``, ``window_start`` and ``window_end``.

        A window evaluated again replaces the earlier verdict of the same detector and feature.
        """
        return self._insert("drift_scores", row_lib.drift_columns(results))

    def insert_alerts(self, alerts: Sequence[Alert]) -> int:
        return self._insert("alerts", row_lib.alert_columns(alerts))

    def insert_retrain_runs(self, runs: Sequence[RetrainRun]) -> int:
        return self._insert("retrain_runs", row_lib.retrain_columns(runs))

    # ---- reads --------------------------------------------------------------------------------

    def table_counts(self) -> dict[str, int]:
        """Deduplicated row count of every table."""
        sql = " UNION ALL ".join(f"SELECT '{table}', count() FROM {table} FINAL" for table in TABLES)
        with self._lock:
            counts = dict(self._client.query(sql).result_rows)
        return {table: int(counts[table]) for table in TABLES}

    def count_inferences(
        self,
        app: str | None = None,
        model: str | None = None,
        model_version: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> int:
        """Distinct events, optionally of one app/model/version and in ``[start, end)`` of event time."""
        where = _Where().time("event_time", start, end)
        for column, value in (("app", app), ("model", model), ("model_version", model_version)):
            if value is not None:
                where.add(f"{column} = {{{column}:String}}", **{column: value})
        return int(self._scalar(f"SELECT count() FROM inference FINAL {where.sql()}", where.params))

    def streams(self, since: datetime | None = None) -> list[StreamKey]:
        """Every (app, model, model_version) with events, optionally only those with events since ``since``."""
        where = _Where().time("event_time", since, None)
        rows = self._rows(
            f"SELECT DISTINCT app, model, model_version FROM inference {where.sql()} "
            "ORDER BY app, model, model_version",
            where.params,
        )
        return [StreamKey(**row) for row in rows]

    def inference_window(
        self,
        stream: StreamKey,
        start: datetime,
        end: datetime,
        limit: int | None = None,
        *,
        embedding_model: str | None = None,
    ) -> InferenceWindow:
        """Embedded events of ``stream`` with ``start <= event_time < end``.

        With ``limit``, a uniform sample of that many events is taken, the same on every call
        (ordered by a hash of the event id), so a window re-evaluated reads the same events.
        Events stored without embeddings are left out.
        """
        where = _Where().stream(stream).time("event_time", start, end).add("notEmpty(prompt_embedding)")
        if embedding_model is not None:
            where.add("embedding_model = {embedding_model:String}", embedding_model=embedding_model)
        limit_sql = ""
        if limit is not None:
            if limit < 0:
                raise ValueError("limit must be >= 0")
            limit_sql = "ORDER BY cityHash64(event_id) LIMIT {limit:UInt64}"
            where.params["limit"] = limit
        rows = self._rows(
            "SELECT event_id, event_time, prompt, response, prompt_embedding, response_embedding FROM ("
            f"SELECT event_id, event_time, prompt, response, prompt_embedding, response_embedding "
            f"FROM inference FINAL {where.sql()} {limit_sql}) ORDER BY event_time, event_id",
            where.params,
        )
        return InferenceWindow(
            stream=stream,
            start=row_lib.utc(start),
            end=row_lib.utc(end),
            event_ids=[r["event_id"] for r in rows],
            event_times=[r["event_time"] for r in rows],
            prompts=[r["prompt"] for r in rows],
            responses=[r["response"] for r in rows],
            prompt_embeddings=_embeddings([r["prompt_embedding"] for r in rows]),
            response_embeddings=_embeddings([r["response_embedding"] for r in rows]),
        )

    def breached_event_ids(self, detectors: Sequence[str]) -> set[str]:
        """Ids of events with a breached score from any of ``detectors``."""
        rows = self._rows(
            "SELECT DISTINCT event_id FROM safety_scores FINAL "
            "WHERE breached AND detector IN {detectors:Array(String)}",
            {"detectors": list(detectors)},
        )
        return {r["event_id"] for r in rows}

    def embedding_models(self) -> list[str]:
        """The embedding models stored rows were embedded with (empty name: not embedded)."""
        rows = self._rows("SELECT DISTINCT embedding_model FROM inference WHERE embedding_model != ''")
        return sorted(r["embedding_model"] for r in rows)

    def feedback_joined(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        stream: StreamKey | None = None,
        limit: int = 100_000,
    ) -> list[JoinedFeedback]:
        """Feedback in ``[start, end)`` of feedback time, each with its inference when that is stored.

        Feedback whose inference has not arrived (or never will) is returned with ``stream=None``;
        with ``stream`` given, only feedback matched to that stream is returned.
        """
        where = _Where().time("feedback_time", start, end)
        matched = _Where().stream(stream, prefix="i.")
        rows = self._rows(
            "SELECT f.feedback_id AS feedback_id, f.event_id AS event_id, f.feedback_time AS feedback_time, "
            "f.kind AS kind, f.value AS value, f.labels AS labels, f.text AS text, f.user_id AS user_id, "
            "f.schema_version AS schema_version, f.received_at AS received_at, i.app AS app, i.model AS model, "
            "i.model_version AS model_version, i.event_time AS event_time, i.prompt AS prompt, i.response AS response "
            f"FROM (SELECT * FROM feedback FINAL {where.sql()}) AS f "
            "GLOBAL LEFT JOIN (SELECT event_id, app, model, model_version, event_time, prompt, response "
            "FROM inference FINAL WHERE event_id GLOBAL IN "
            f"(SELECT event_id FROM feedback {where.sql()})) AS i ON f.event_id = i.event_id "
            f"{matched.sql()} ORDER BY f.feedback_time, f.feedback_id LIMIT {{limit:UInt64}}",
            {**where.params, **matched.params, "limit": limit},
            settings={"join_use_nulls": 1},
        )
        return [
            JoinedFeedback(
                feedback=FeedbackEvent(
                    feedback_id=r["feedback_id"],
                    event_id=r["event_id"],
                    feedback_time=r["feedback_time"],
                    kind=r["kind"],
                    value=r["value"],
                    labels=r["labels"],
                    text=r["text"],
                    user_id=r["user_id"],
                    schema_version=r["schema_version"],
                ),
                received_at=r["received_at"],
                stream=None
                if r["app"] is None
                else StreamKey(app=r["app"], model=r["model"], model_version=r["model_version"]),
                event_time=r["event_time"],
                prompt=r["prompt"],
                response=r["response"],
            )
            for r in rows
        ]

    def dead_letter_count(self) -> int:
        return int(self._scalar("SELECT count() FROM dead_letters FINAL"))

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The most recent dead letters, newest first, with their original bytes."""
        rows = self._rows(
            "SELECT source_topic, source_partition, source_offset, error_kind, reason, original, received_at "
            "FROM dead_letters FINAL ORDER BY received_at DESC, source_offset DESC LIMIT {limit:UInt64}",
            {"limit": limit},
            column_formats={"original": "bytes"},
        )
        return [DeadLetter(**r) for r in rows]

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
        where = _Where().stream(stream).time("window_start", start, end)
        if detector is not None:
            where.add("detector = {detector:String}", detector=detector)
        rows = self._rows(
            f"SELECT * FROM drift_scores FINAL {where.sql()} "
            "ORDER BY window_start DESC, detector, feature LIMIT {limit:UInt64}",
            {**where.params, "limit": limit},
        )
        return [row_lib.drift_from_row(r) for r in reversed(rows)]

    def alerts(
        self,
        stream: StreamKey | None = None,
        *,
        state: AlertState | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[Alert]:
        """Alert transitions, newest first."""
        where = _Where().stream(stream).time("created_at", since, None)
        if state is not None:
            where.add("state = {state:String}", state=state.value)
        rows = self._rows(
            f"SELECT * FROM alerts FINAL {where.sql()} ORDER BY created_at DESC, alert_id LIMIT {{limit:UInt64}}",
            {**where.params, "limit": limit},
        )
        return [row_lib.alert_from_row(r) for r in rows]

    def retrain_runs(self, run_id: str | None = None, *, limit: int = 100) -> list[RetrainRun]:
        """Retrain run transitions, newest first."""
        where = _Where()
        if run_id is not None:
            where.add("run_id = {run_id:String}", run_id=run_id)
        rows = self._rows(
            f"SELECT * FROM retrain_runs FINAL {where.sql()} ORDER BY updated_at DESC LIMIT {{limit:UInt64}}",
            {**where.params, "limit": limit},
        )
        return [row_lib.retrain_from_row(r) for r in rows]

    # ---- retraining ---------------------------------------------------------------------------

    def inference_rows(
        self,
        stream: StreamKey,
        *,
        windows: Sequence[tuple[datetime, datetime]] = (),
        event_ids: Sequence[str] = (),
        limit: int = 100_000,
    ) -> list[dict[str, Any]]:
        """Events of ``stream`` inside any of ``windows`` (``[start, end)``) or with one of ``event_ids``.

        Rows carry every stored column a dataset snapshot needs, embeddings included, ordered by
        ``(event_time, event_id)``; the same stored events always give the same rows.
        """
        if limit < 0:
            raise ValueError("limit must be >= 0")
        where = _Where().stream(stream)
        params: dict[str, Any] = dict(where.params)
        alternatives = []
        for i, (start, end) in enumerate(windows):
            alternatives.append(
                f"(event_time >= {{ws{i}:DateTime64(6, 'UTC')}} AND event_time < {{we{i}:DateTime64(6, 'UTC')}})"
            )
            params[f"ws{i}"], params[f"we{i}"] = row_lib.utc(start), row_lib.utc(end)
        if event_ids:
            alternatives.append("event_id IN {event_ids:Array(String)}")
            params["event_ids"] = sorted(set(event_ids))
        if not alternatives:
            return []
        where.add(f"({' OR '.join(alternatives)})")
        return self._rows(
            "SELECT event_id, event_time, app, model, model_version, prompt, response, latency_ms, tokens_in, "
            "tokens_out, user_id, session_id, prompt_embedding, response_embedding, embedding_model "
            f"FROM inference FINAL {where.sql()} ORDER BY event_time, event_id LIMIT {{limit:UInt64}}",
            {**params, "limit": limit},
        )

    def retrain_runs_of(
        self, stream: StreamKey | None = None, *, since: datetime | None = None, limit: int = 1000
    ) -> list[RetrainRun]:
        """Retrain run transitions of ``stream`` (every stream when None) since ``since``, newest first."""
        where = _Where().stream(stream).time("updated_at", since, None)
        rows = self._rows(
            f"SELECT * FROM retrain_runs FINAL {where.sql()} "
            "ORDER BY updated_at DESC, run_id, status LIMIT {limit:UInt64}",
            {**where.params, "limit": limit},
        )
        return [row_lib.retrain_from_row(r) for r in rows]

    def insert_probe_versions(self, versions: Sequence[ProbeVersion]) -> int:
        """Record registry entries; writing a version again (e.g. once promoted) replaces its row."""
        names = [
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
            "created_at",
        ]
        data = [[getattr(v, name) for v in versions] for name in names]
        data[names.index("created_at")] = [row_lib.utc(v.created_at) for v in versions]
        return self._insert("probe_versions", (names, data))

    def probe_versions(self, task: str | None = None, *, limit: int = 1000) -> list[ProbeVersion]:
        """Registry entries, oldest first."""
        where = _Where()
        if task is not None:
            where.add("task = {task:String}", task=task)
        rows = self._rows(
            "SELECT task, version, parent_version, run_id, snapshot_sha256, embedder, artefact_path, n_train, "
            f"metrics, promoted, created_at FROM probe_versions FINAL {where.sql()} "
            "ORDER BY created_at, version LIMIT {limit:UInt64}",
            {**where.params, "limit": limit},
        )
        return [ProbeVersion(**r) for r in rows]

    # ---- window evaluation state (consumers.monitor) --------------------------------------------

    def stream_spans(self, since: datetime | None = None) -> list[StreamSpan]:
        """Every stream with its first and last event time; with ``since``, only streams with events since then."""
        having = ""
        params: dict[str, Any] = {}
        if since is not None:
            having = "HAVING max(event_time) >= {since:DateTime64(6, 'UTC')}"
            params["since"] = row_lib.utc(since)
        rows = self._rows(
            "SELECT app, model, model_version, min(event_time) AS first_event, max(event_time) AS last_event "
            f"FROM inference GROUP BY app, model, model_version {having} ORDER BY app, model, model_version",
            params,
        )
        return [
            StreamSpan(
                StreamKey(app=r["app"], model=r["model"], model_version=r["model_version"]),
                r["first_event"],
                r["last_event"],
            )
            for r in rows
        ]

    def monitor_progress(self) -> dict[StreamKey, datetime]:
        """The end of the last evaluated window of every stream."""
        rows = self._rows("SELECT app, model, model_version, window_end FROM monitor_progress FINAL")
        return {
            StreamKey(app=r["app"], model=r["model"], model_version=r["model_version"]): r["window_end"] for r in rows
        }

    def set_monitor_progress(self, stream: StreamKey, window_end: datetime) -> None:
        self._insert(
            "monitor_progress",
            (
                ["app", "model", "model_version", "window_end"],
                [[stream.app], [stream.model], [stream.model_version], [row_lib.utc(window_end)]],
            ),
        )

    def pin_reference(self, stream: StreamKey, start: datetime, end: datetime, note: str = "") -> ReferencePin:
        """Pin ``[start, end)`` of event time as the stream's reference; replaces an earlier pin."""
        if end <= start:
            raise ValueError("a reference window needs start < end")
        self._insert_pin(stream, start, end, active=True, note=note)
        pin = self.reference_pin(stream)
        assert pin is not None
        return pin

    def unpin_reference(self, stream: StreamKey) -> None:
        """Drop the stream's pinned reference: it goes back to the trailing reference."""
        epoch = datetime.fromtimestamp(0, tz=UTC)
        self._insert_pin(stream, epoch, epoch, active=False, note="")

    def _insert_pin(self, stream: StreamKey, start: datetime, end: datetime, *, active: bool, note: str) -> None:
        self._insert(
            "reference_pins",
            (
                ["app", "model", "model_version", "reference_start", "reference_end", "active", "note", "pinned_at"],
                [
                    [stream.app],
                    [stream.model],
                    [stream.model_version],
                    [row_lib.utc(start)],
                    [row_lib.utc(end)],
                    [active],
                    [note],
                    [datetime.now(UTC)],
                ],
            ),
        )

    def reference_pin(self, stream: StreamKey) -> ReferencePin | None:
        """The stream's active pinned reference, if any."""
        where = _Where().stream(stream)
        rows = self._rows(f"SELECT * FROM reference_pins FINAL {where.sql()}", where.params)
        if not rows or not rows[0]["active"]:
            return None
        r = rows[0]
        return ReferencePin(stream, r["reference_start"], r["reference_end"], r["note"], r["pinned_at"])

    def alert_policy_states(self) -> dict[str, str]:
        """Alert policy state (JSON, owned by ``consumers.alerting``) of every dedup key."""
        rows = self._rows("SELECT dedup_key, state FROM alert_policy_state FINAL")
        return {r["dedup_key"]: r["state"] for r in rows}

    def save_alert_policy_states(self, states: dict[str, str]) -> int:
        now = datetime.now(UTC)
        keys = sorted(states)
        return self._insert(
            "alert_policy_state",
            (["dedup_key", "state", "updated_at"], [keys, [states[k] for k in keys], [now] * len(keys)]),
        )

    # ---- alert delivery outbox (consumers.alerting) ---------------------------------------------

    _DELIVERY_COLUMNS = (
        "alert_id",
        "sink",
        "created_at",
        "payload",
        "delivered",
        "attempts",
        "next_attempt_at",
        "last_error",
        "updated_at",
    )

    def _write_deliveries(self, rows: Sequence[Delivery]) -> int:
        now = datetime.now(UTC)
        return self._insert(
            "alert_outbox",
            (
                list(self._DELIVERY_COLUMNS),
                [
                    [d.alert_id for d in rows],
                    [d.sink for d in rows],
                    [row_lib.utc(d.created_at) for d in rows],
                    [d.payload for d in rows],
                    [d.delivered for d in rows],
                    [d.attempts for d in rows],
                    [row_lib.utc(d.next_attempt_at or d.created_at) for d in rows],
                    [d.last_error for d in rows],
                    [now] * len(rows),
                ],
            ),
        )

    def enqueue_deliveries(self, rows: Sequence[Delivery]) -> int:
        """Add pending deliveries; an (alert, sink) pair already in the outbox is left as it is."""
        if not rows:
            return 0
        known = {
            (r["alert_id"], r["sink"])
            for r in self._rows(
                "SELECT alert_id, sink FROM alert_outbox WHERE alert_id IN {ids:Array(String)}",
                {"ids": sorted({d.alert_id for d in rows})},
            )
        }
        return self._write_deliveries([d for d in rows if (d.alert_id, d.sink) not in known])

    def update_deliveries(self, rows: Sequence[Delivery]) -> int:
        """Record attempts: the new row of each (alert, sink) replaces the earlier one."""
        return self._write_deliveries(rows)

    def deliveries(
        self,
        *,
        pending: bool | None = None,
        due_before: datetime | None = None,
        alert_id: str | None = None,
        limit: int = 1000,
    ) -> list[Delivery]:
        """Outbox rows, oldest first: all, only pending (``pending=True``, optionally due before a time) or done."""
        where = _Where()
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

    # ---- audit trail (infra.audit) ----------------------------------------------------------------

    _AUDIT_COLUMNS = (
        "audit_id", "at", "action", "actor_kind", "actor", "app", "model", "model_version", "subject", "summary",
        "evidence",
    )  # fmt: skip

    def insert_audit(self, entries: Sequence[AuditEntry]) -> int:
        """Append audit entries (an entry written twice is kept once)."""
        rows = [
            (
                e.audit_id,
                row_lib.utc(e.at),
                e.action.value,
                e.actor_kind.value,
                e.actor,
                e.stream.app if e.stream else "",
                e.stream.model if e.stream else "",
                e.stream.model_version if e.stream else "",
                e.subject,
                e.summary,
                e.evidence_json(),
            )
            for e in entries
        ]
        data = [list(column) for column in zip(*rows, strict=True)] if rows else []
        return self._insert("audit", (list(self._AUDIT_COLUMNS), data))

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
        where = _Where().stream(stream).time("at", since, until)
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

    # ---- dashboard and API aggregates (driftloop.api); every aggregation runs in ClickHouse ----------

    def stream_overviews(self, now: datetime, window_s: int = 3600) -> list[StreamOverview]:
        """Every stream with its totals, and its rates over the last ``window_s`` seconds.

        The window ends at ``now``, or at the latest stored event time when producers' clocks run ahead;
        feedback counts by feedback time from the window's start on.
        """
        latest = self._scalar("SELECT max(event_time) FROM inference")
        end = max(row_lib.utc(now), row_lib.utc(latest)) if latest is not None else row_lib.utc(now)
        params: dict[str, Any] = {"since": end - timedelta(seconds=window_s)}
        window = "{since:DateTime64(6, 'UTC')}"
        key = ("app", "model", "model_version")
        events = self._rows(
            "SELECT app, model, model_version, count() AS events, min(event_time) AS first_event, "
            f"max(event_time) AS last_event, countIf(event_time >= {window}) AS window_events "
            "FROM inference FINAL GROUP BY app, model, model_version ORDER BY app, model, model_version",
            params,
        )
        safety = self._rows(
            "SELECT app, model, model_version, uniqExact(event_id) AS scored, "
            "uniqExactIf(event_id, breached) AS breached FROM safety_scores FINAL "
            f"WHERE event_time >= {window} GROUP BY app, model, model_version",
            params,
        )
        thumbs = self._rows(
            "SELECT i.app AS app, i.model AS model, i.model_version AS model_version, count() AS thumbs, "
            "countIf(f.value < 0) AS down FROM (SELECT event_id, value FROM feedback FINAL "
            f"WHERE kind = 'thumbs' AND feedback_time >= {window}) AS f "
            "GLOBAL INNER JOIN (SELECT event_id, app, model, model_version FROM inference FINAL "
            "WHERE event_id GLOBAL IN (SELECT event_id FROM feedback WHERE kind = 'thumbs' "
            f"AND feedback_time >= {window})) AS i ON f.event_id = i.event_id "
            "GROUP BY app, model, model_version",
            params,
        )
        open_alerts = self._rows(
            "SELECT app, model, model_version, count() AS open FROM (SELECT dedup_key, any(app) AS app, "
            "any(model) AS model, any(model_version) AS model_version, argMax(state, created_at) AS last_state "
            "FROM alerts FINAL GROUP BY dedup_key) WHERE last_state = 'firing' GROUP BY app, model, model_version"
        )
        by_key = {
            name: {tuple(r[k] for k in key): r for r in rows}
            for name, rows in (("safety", safety), ("thumbs", thumbs), ("alerts", open_alerts))
        }
        out = []
        for r in events:
            k = tuple(r[c] for c in key)
            s, t, a = by_key["safety"].get(k), by_key["thumbs"].get(k), by_key["alerts"].get(k)
            out.append(
                StreamOverview(
                    stream=StreamKey(app=r["app"], model=r["model"], model_version=r["model_version"]),
                    events=r["events"],
                    first_event=r["first_event"],
                    last_event=r["last_event"],
                    window_s=window_s,
                    window_events=r["window_events"],
                    event_rate_per_min=r["window_events"] * 60.0 / window_s,
                    safety_breach_rate=s["breached"] / s["scored"] if s and s["scored"] else None,
                    thumbs_feedback=t["thumbs"] if t else 0,
                    thumbs_down_rate=t["down"] / t["thumbs"] if t and t["thumbs"] else None,
                    open_alerts=a["open"] if a else 0,
                )
            )
        return out

    def usage_buckets(self, stream: StreamKey, start: datetime, end: datetime, bucket_s: int) -> list[UsageBucket]:
        """Events, latency quantiles, mean tokens and summed cost of ``stream`` per ``bucket_s`` of event time."""
        where = _Where().stream(stream).time("event_time", start, end)
        rows = self._rows(
            "SELECT toStartOfInterval(event_time, toIntervalSecond({bucket_s:UInt32})) AS bucket, count() AS events, "
            "quantileIf(0.5)(latency_ms, isNotNull(latency_ms)) AS p50, "
            "quantileIf(0.95)(latency_ms, isNotNull(latency_ms)) AS p95, countIf(isNotNull(latency_ms)) AS n_latency, "
            "avgIf(tokens_in, isNotNull(tokens_in)) AS tin, countIf(isNotNull(tokens_in)) AS n_tin, "
            "avgIf(tokens_out, isNotNull(tokens_out)) AS tout, countIf(isNotNull(tokens_out)) AS n_tout, "
            "sumIf(cost_usd, isNotNull(cost_usd)) AS cost, countIf(isNotNull(cost_usd)) AS n_cost "
            f"FROM inference FINAL {where.sql()} GROUP BY bucket ORDER BY bucket",
            {**where.params, "bucket_s": bucket_s},
        )
        return [
            UsageBucket(
                bucket=r["bucket"],
                events=r["events"],
                latency_p50_ms=r["p50"] if r["n_latency"] else None,
                latency_p95_ms=r["p95"] if r["n_latency"] else None,
                tokens_in_mean=r["tin"] if r["n_tin"] else None,
                tokens_out_mean=r["tout"] if r["n_tout"] else None,
                cost_usd=r["cost"] if r["n_cost"] else None,
            )
            for r in rows
        ]

    def safety_buckets(self, stream: StreamKey, start: datetime, end: datetime, bucket_s: int) -> list[SafetyBucket]:
        """Per detector and ``bucket_s`` of event time: events scored, events with a breach, their share."""
        where = _Where().stream(stream).time("event_time", start, end)
        rows = self._rows(
            "SELECT toStartOfInterval(event_time, toIntervalSecond({bucket_s:UInt32})) AS bucket, detector, "
            "uniqExact(event_id) AS scored, uniqExactIf(event_id, breached) AS breached "
            f"FROM safety_scores FINAL {where.sql()} GROUP BY bucket, detector ORDER BY bucket, detector",
            {**where.params, "bucket_s": bucket_s},
        )
        return [SafetyBucket(**r, rate=r["breached"] / r["scored"] if r["scored"] else 0.0) for r in rows]

    def feedback_by_version(
        self, app: str, model: str | None = None, start: datetime | None = None, end: datetime | None = None
    ) -> list[FeedbackByVersion]:
        """Feedback in ``[start, end)`` of feedback time on ``app``'s inferences, per model and version."""
        fb = _Where().time("feedback_time", start, end)
        inf = _Where().add("app = {app:String}", app=app)
        if model is not None:
            inf.add("model = {model:String}", model=model)
        rows = self._rows(
            "SELECT i.app AS app, i.model AS model, i.model_version AS model_version, count() AS feedback, "
            "countIf(f.kind = 'thumbs') AS thumbs, countIf(f.kind = 'thumbs' AND f.value < 0) AS thumbs_down, "
            "countIf(f.kind = 'rating') AS ratings, avgIf(f.value, f.kind = 'rating') AS mean_rating, "
            "countIf(f.kind = 'flag') AS flags "
            f"FROM (SELECT event_id, kind, value FROM feedback FINAL {fb.sql()}) AS f "
            "GLOBAL INNER JOIN (SELECT event_id, app, model, model_version FROM inference FINAL "
            f"{inf.sql()}) AS i ON f.event_id = i.event_id "
            "GROUP BY app, model, model_version ORDER BY app, model, model_version",
            {**fb.params, **inf.params},
        )
        return [
            FeedbackByVersion(
                stream=StreamKey(app=r["app"], model=r["model"], model_version=r["model_version"]),
                feedback=r["feedback"],
                thumbs=r["thumbs"],
                thumbs_down=r["thumbs_down"],
                thumbs_down_rate=r["thumbs_down"] / r["thumbs"] if r["thumbs"] else None,
                ratings=r["ratings"],
                mean_rating=r["mean_rating"] if r["ratings"] else None,
                flags=r["flags"],
            )
            for r in rows
        ]

    def latest_clusters(self, stream: StreamKey) -> DriftResult | None:
        """The latest stored verdict of ``stream`` that carries topic clusters (the most clusters first), if any."""
        where = _Where().stream(stream).add("clusters NOT IN ('', '[]')")
        rows = self._rows(
            f"SELECT * FROM drift_scores FINAL {where.sql()} "
            "ORDER BY window_start DESC, JSONLength(clusters) DESC, detector, feature LIMIT 1",
            where.params,
        )
        return row_lib.drift_from_row(rows[0]) if rows else None

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
        where = _Where().stream(stream).time("created_at", since, until)
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
        where = _Where().stream(stream)
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


def connect(settings: Settings, *, migrate: bool = True) -> Store:
    """Open the store ``settings`` describe (``settings.clickhouse``, DSN from ``settings.clickhouse_dsn()``)."""
    ch = settings.clickhouse
    return Store.open(
        settings.clickhouse_dsn(),
        database=ch.database,
        cluster=ch.cluster,
        username=ch.username,
        password=ch.password,
        secure=ch.secure,
        events_ttl_days=ch.events_ttl_days,
        scores_ttl_days=ch.scores_ttl_days,
        migrate=migrate,
    )
