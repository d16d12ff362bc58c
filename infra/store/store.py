"""The ClickHouse store: one object that owns the connection, the schema and every query driftloop runs.

``Store`` holds the connection, migrations and writes; its reads live in mixins by resource
(:mod:`~infra.store.reads_events`, :mod:`~infra.store.reads_drift`, :mod:`~infra.store.reads_retrain`,
:mod:`~infra.store.reads_dashboard`, :mod:`~infra.store.analytics`).

One ``Store`` is shared by all threads of the process that owns it (the sink writes, the API and the
scheduler read). Calls on the embedded engine are serialised with a lock; against a server, the HTTP
client runs without a session so its connection pool serves threads concurrently.

Every read that returns events, feedback or scores deduplicates (``FINAL``): an event delivered twice
is counted and returned once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import clickhouse_connect
from pydantic import SecretStr

from infra.audit import AuditEntry
from infra.store import dsn as dsn_lib
from infra.store import rows as row_lib
from infra.store.analytics import AnalyticsQueries
from infra.store.ddl import DdlContext, quote
from infra.store.migrate import (
    AppliedMigration,
    Migration,
    applied_migrations,
    apply_migrations,
    load_migrations,
    reconcile_retention,
)
from infra.store.reads_dashboard import DashboardQueries
from infra.store.reads_drift import Delivery, DriftQueries
from infra.store.reads_events import EventQueries, InferenceWindow, JoinedFeedback, StreamSpan
from infra.store.reads_retrain import ReferencePin, RetrainQueries
from schemas import Alert, DeadLetter, DriftResult, RetrainRun, ScoredFeedback, ScoredInference, StreamKey
from schemas.errors import StoreLockedError, StoreOpenError
from schemas.retrain import ProbeVersion

if TYPE_CHECKING:
    from infra.settings import Settings

__all__ = [
    "TABLES",
    "Delivery",
    "InferenceWindow",
    "JoinedFeedback",
    "ReferencePin",
    "Store",
    "StreamSpan",
    "connect",
]

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


def _scrub(message: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message


class Store(EventQueries, DriftQueries, RetrainQueries, DashboardQueries, AnalyticsQueries):
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
        table = row_lib.inference_table(rows)
        with self._lock:
            self._client.insert_arrow("inference", table, database=self.database)
        return table.num_rows

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

    # ---- reads (the rest are in the mixins) ---------------------------------------------------------

    def table_counts(self, *, deduplicated: bool = True) -> dict[str, int]:
        """Row count of every table.

        ``deduplicated=False`` reads the counts from part metadata without scanning: cheap enough for
        every metrics scrape, but a redelivered row counts twice until a background merge drops it.
        """
        final = "FINAL" if deduplicated else ""
        sql = " UNION ALL ".join(f"SELECT '{table}', count() FROM {table} {final}" for table in TABLES)
        with self._lock:
            counts = dict(self._client.query(sql).result_rows)
        return {table: int(counts[table]) for table in TABLES}

    # ---- retraining ---------------------------------------------------------------------------

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

    # ---- window evaluation state (monitor.windows) --------------------------------------------

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

    def save_alert_policy_states(self, states: dict[str, str]) -> int:
        now = datetime.now(UTC)
        keys = sorted(states)
        return self._insert(
            "alert_policy_state",
            (["dedup_key", "state", "updated_at"], [keys, [states[k] for k in keys], [now] * len(keys)]),
        )

    # ---- alert delivery outbox (monitor.alerting) ---------------------------------------------

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

    # ---- audit trail (infra.audit) ----------------------------------------------------------------

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
