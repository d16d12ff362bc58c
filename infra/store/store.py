"""The ClickHouse store: the connection, its schema, and one repository per group of tables.

``Store`` opens and closes the connection, applies migrations and answers health questions; reads and
writes live in its repositories, one per resource:

- ``store.events``: inference events with their safety scores, feedback, dead letters; streams, windows and
  samples of events (:mod:`~infra.store.events`)
- ``store.drift``: drift verdicts, window monitor progress, pinned references (:mod:`~infra.store.drift`)
- ``store.alerts``: alert transitions, alert policy state, the delivery outbox (:mod:`~infra.store.alerts`)
- ``store.retrain``: retraining runs and probe versions (:mod:`~infra.store.retrain`)
- ``store.audit``: the audit trail (:mod:`~infra.store.audit`)
- ``store.segments``: segment disparity results and progress (:mod:`~infra.store.segments`)
- ``store.aggregates``: overviews, usage and outcome counts for the dashboard and analytics
  (:mod:`~infra.store.aggregates`)

One ``Store`` is shared by all threads of the process that owns it (the sink writes, the API and the
scheduler read); its repositories share one :class:`~infra.store.client.Client`, which serialises calls
on the embedded engine with a lock.

Every read that returns events, feedback or scores deduplicates (``FINAL``): an event delivered twice
is counted and returned once.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import clickhouse_connect
from pydantic import SecretStr

from infra.store import dsn as dsn_lib
from infra.store.aggregates import AggregateRepository
from infra.store.alerts import AlertRepository
from infra.store.audit import AuditRepository
from infra.store.client import Client
from infra.store.ddl import DdlContext, quote
from infra.store.drift import DriftRepository
from infra.store.events import EventRepository
from infra.store.migrate import (
    AppliedMigration,
    Migration,
    applied_migrations,
    apply_migrations,
    load_migrations,
    reconcile_retention,
)
from infra.store.retrain import RetrainRepository
from infra.store.segments import SegmentRepository
from schemas.errors import StoreLockedError, StoreOpenError

if TYPE_CHECKING:
    from infra.settings import Settings

__all__ = ["TABLES", "Store", "connect"]
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


class Store:
    """driftloop's ClickHouse store. Open with ``Store.open(dsn, ...)`` or ``connect(settings)``."""

    def __init__(self, client: Any, *, dsn: str, ddl: DdlContext, embedded: bool) -> None:
        self._client = Client(client, database=ddl.database, embedded=embedded)
        self._ddl = ddl
        self.dsn = dsn
        """The DSN without its password."""
        self.embedded = embedded
        self._closed = False
        self.events = EventRepository(self._client)
        self.drift = DriftRepository(self._client)
        self.alerts = AlertRepository(self._client)
        self.retrain = RetrainRepository(self._client)
        self.audit = AuditRepository(self._client)
        self.segments = SegmentRepository(self._client)
        self.aggregates = AggregateRepository(self._client)

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
        client = cls._new_client(parsed, shown, username, secret, secure, connect_timeout_s)
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
    def _new_client(
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
        with self._client.lock:
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
        with self._client.lock:
            done = apply_migrations(self._client.raw, self._ddl, migrations)
            altered = reconcile_retention(self._client.raw, self._ddl, migrations)
        if altered:
            logger.info("retention changed for tables %s", ", ".join(altered))
        return done

    def applied_migrations(self) -> list[AppliedMigration]:
        with self._client.lock:
            return applied_migrations(self._client.raw, self._ddl)

    def show_create_table(self, table: str) -> str:
        """The engine's ``SHOW CREATE TABLE`` for one of ``TABLES`` (its storage table on a cluster)."""
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; the store has {', '.join(TABLES)}")
        return str(self._client.command(f"SHOW CREATE TABLE {self._ddl.storage_table(table)}"))

    # ---- health ------------------------------------------------------------------------------

    def ping(self) -> bool:
        """True when the engine answers a query."""
        if self._closed:
            return False
        try:
            return self._client.ping()
        except Exception:
            return False

    def table_counts(self, *, deduplicated: bool = True) -> dict[str, int]:
        """Row count of every table.

        ``deduplicated=False`` reads the counts from part metadata without scanning: cheap enough for
        every metrics scrape, but a redelivered row counts twice until a background merge drops it.
        """
        final = "FINAL" if deduplicated else ""
        sql = " UNION ALL ".join(f"SELECT '{table}' AS name, count() AS n FROM {table} {final}" for table in TABLES)
        counts = {r["name"]: r["n"] for r in self._client.rows(sql)}
        return {table: int(counts[table]) for table in TABLES}


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
