"""Versioned SQL migrations, applied once each and recorded in ``schema_migrations``.

Migration files live in ``infra/store/migrations/`` as ``NNNN_name.sql`` DDL templates (see ``ddl``).
The checksum is taken over the template, not the rendered SQL, so the same migration renders for a
single node or a cluster and with any retention; an applied migration whose file changed is an error
(add a new migration instead). Retention is reconciled separately with ``ALTER TABLE ... MODIFY TTL``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from infra.store.ddl import DdlContext, Retention, render, retentions, split_statements, ttl_clause
from schemas.errors import MigrationChecksumError, MigrationError

logger = logging.getLogger(__name__)

MIGRATIONS_TABLE = "schema_migrations"
_FILE_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")
_TTL_DAYS = re.compile(r"toIntervalDay\((\d+)\)")

MIGRATIONS_TABLE_DDL = """
CREATE TABLE IF NOT EXISTS {{table:schema_migrations}} {{on_cluster}}
(
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC')
)
ENGINE = {{engine:ReplacingMergeTree(applied_at)}}
ORDER BY version;
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    template: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.template.replace("\r\n", "\n").encode("utf-8")).hexdigest()

    def statements(self, ctx: DdlContext) -> list[str]:
        return split_statements(render(self.template, ctx))


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str
    applied_at: datetime


def load_migrations(package: str = "infra.store.migrations") -> list[Migration]:
    """Every ``NNNN_name.sql`` in ``package``, by version; duplicate versions are an error."""
    found: dict[int, Migration] = {}
    for entry in resources.files(package).iterdir():
        match = _FILE_NAME.match(entry.name)
        if not match:
            continue
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"two migrations have version {version}: {found[version].name}, {match.group(2)}")
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def render_all(migrations: Iterable[Migration], ctx: DdlContext) -> list[str]:
    """Every statement the migrations would run, in order (for review: ``driftloop store ddl``)."""
    statements = split_statements(render(MIGRATIONS_TABLE_DDL, ctx))
    for migration in migrations:
        statements.extend(migration.statements(ctx))
    return statements


def applied_migrations(client: Any, ctx: DdlContext) -> list[AppliedMigration]:
    rows = client.query(
        f"SELECT version, name, checksum, applied_at FROM {ctx.qualified(ctx.storage_table(MIGRATIONS_TABLE))} "
        "FINAL ORDER BY version"
    ).result_rows
    return [AppliedMigration(int(v), n, c, a) for v, n, c, a in rows]


def apply_migrations(client: Any, ctx: DdlContext, migrations: list[Migration]) -> list[Migration]:
    """Apply the migrations not yet recorded, in order; return those applied (none on a re-run).

    Raises
    ------
    MigrationChecksumError
        An applied migration's template differs from the one recorded.
    MigrationError
        The database records a migration this code does not have, or a statement failed.
    """
    for statement in split_statements(render(MIGRATIONS_TABLE_DDL, ctx)):
        client.command(statement)
    applied = {m.version: m for m in applied_migrations(client, ctx)}
    known = {m.version: m for m in migrations}
    unknown = sorted(set(applied) - set(known))
    if unknown:
        raise MigrationError(
            f"database {ctx.database!r} has migrations {unknown} that this driftloop does not know: "
            "it was migrated by a newer version"
        )
    for version, record in applied.items():
        if record.checksum != known[version].checksum:
            raise MigrationChecksumError(
                f"migration {version:04d}_{known[version].name}.sql has changed since it was applied to "
                f"{ctx.database!r} (recorded checksum {record.checksum[:12]}, file {known[version].checksum[:12]}); "
                "never edit an applied migration: add a new one"
            )
    done = []
    for migration in migrations:
        if migration.version in applied:
            continue
        logger.info("applying migration %04d_%s", migration.version, migration.name)
        for statement in migration.statements(ctx):
            try:
                client.command(statement)
            except Exception as exc:
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name} failed: {exc}\n{statement}"
                ) from exc
        client.insert(
            ctx.qualified(ctx.storage_table(MIGRATIONS_TABLE)),
            [[migration.version], [migration.name], [migration.checksum], [datetime.now(UTC)]],
            column_names=["version", "name", "checksum", "applied_at"],
            column_oriented=True,
        )
        done.append(migration)
    return done


def reconcile_retention(client: Any, ctx: DdlContext, migrations: list[Migration]) -> list[str]:
    """Bring each table's TTL to the configured days; return the tables altered."""
    declared: dict[str, Retention] = {}
    for migration in migrations:
        for retention in retentions(migration.template):
            declared[retention.table] = retention
    if not declared:
        return []
    current = dict(
        client.query(
            "SELECT name, create_table_query FROM system.tables WHERE database = {db:String}",
            parameters={"db": ctx.database},
        ).result_rows
    )
    altered = []
    for table, retention in declared.items():
        storage = ctx.storage_table(table)
        days = _TTL_DAYS.findall(current.get(storage, ""))
        if not days or int(days[-1]) == ctx.ttl_days(retention.kind):
            continue
        client.command(
            f"ALTER TABLE {ctx.qualified(storage)} {ctx.on_cluster} "
            f"MODIFY {ttl_clause(retention.expr, retention.kind, ctx)}"
        )
        altered.append(table)
    return altered
