"""Render driftloop's DDL templates for a single node or a cluster, from one template.

Templates are plain ClickHouse SQL with a few placeholders:

``{{table:NAME}}``
    the fully qualified table; on a cluster the shard-local ``NAME_local`` table.
``{{on_cluster}}``
    nothing, or ``ON CLUSTER `cluster```.
``{{engine:ReplacingMergeTree(version)}}``
    the engine as written, or its ``Replicated`` form with the replica path in front of its arguments.
``{{ttl:events|scores:EXPR}}``
    ``TTL EXPR + toIntervalDay(days)`` with the retention from settings.
``{{distributed:NAME:SHARDING_KEY}}``
    nothing, or a ``Distributed`` table ``NAME`` over ``NAME_local``, so that queries name ``NAME`` either way.

>>> single = DdlContext(database="dl")
>>> render("CREATE TABLE {{table:t}} {{on_cluster}} (x UInt8) ENGINE = {{engine:MergeTree()}} ORDER BY x", single)
'CREATE TABLE `dl`.`t`  (x UInt8) ENGINE = MergeTree() ORDER BY x'
>>> cluster = DdlContext(database="dl", cluster="main")
>>> print(render("{{engine:ReplacingMergeTree(v)}}", cluster))
ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', v)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

RetentionKind = Literal["events", "scores"]

LOCAL_SUFFIX = "_local"
REPLICA_PATH = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"

_PLACEHOLDER = re.compile(r"\{\{(\w+)(?::(.*?))?\}\}", re.DOTALL)
_ENGINE = re.compile(r"^(\w*MergeTree)\((.*)\)$", re.DOTALL)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class DdlContext:
    """What a template is rendered with: the database, the optional cluster, retention in days."""

    database: str
    cluster: str | None = None
    events_ttl_days: int = 90
    scores_ttl_days: int = 365

    def __post_init__(self) -> None:
        for name in (self.database, self.cluster):
            if name is not None and not _IDENTIFIER.match(name):
                raise ValueError(f"not a plain identifier: {name!r}")

    def ttl_days(self, kind: RetentionKind) -> int:
        return self.events_ttl_days if kind == "events" else self.scores_ttl_days

    @property
    def on_cluster(self) -> str:
        return f"ON CLUSTER {quote(self.cluster)}" if self.cluster else ""

    def storage_table(self, name: str) -> str:
        """The table that holds the rows: ``name`` itself, or ``name_local`` on a cluster."""
        return f"{name}{LOCAL_SUFFIX}" if self.cluster else name

    def qualified(self, name: str) -> str:
        return f"{quote(self.database)}.{quote(name)}"


def quote(identifier: str) -> str:
    """Back-quote an identifier that is already known to be plain (see ``DdlContext``)."""
    if not _IDENTIFIER.match(identifier):
        raise ValueError(f"not a plain identifier: {identifier!r}")
    return f"`{identifier}`"


def _engine(spec: str, ctx: DdlContext) -> str:
    match = _ENGINE.match(spec.strip())
    if match is None:
        raise ValueError(f"engine placeholder must be a MergeTree-family engine call, got {spec!r}")
    if not ctx.cluster:
        return spec.strip()
    family, args = match.group(1), match.group(2).strip()
    return f"Replicated{family}({REPLICA_PATH}{', ' + args if args else ''})"


def _distributed(spec: str, ctx: DdlContext) -> str:
    name, _, sharding_key = spec.partition(":")
    if not ctx.cluster:
        return ""
    local = ctx.storage_table(name)
    return (
        f"CREATE TABLE IF NOT EXISTS {ctx.qualified(name)} {ctx.on_cluster} AS {ctx.qualified(local)} "
        f"ENGINE = Distributed({quote(ctx.cluster)}, {quote(ctx.database)}, {quote(local)}, {sharding_key})"
    )


def ttl_clause(expr: str, kind: RetentionKind, ctx: DdlContext) -> str:
    return f"TTL {expr} + toIntervalDay({ctx.ttl_days(kind)})"


def _ttl(spec: str, ctx: DdlContext) -> str:
    kind, _, expr = spec.partition(":")
    if kind not in ("events", "scores"):
        raise ValueError(f"ttl placeholder needs 'events' or 'scores', got {kind!r}")
    return ttl_clause(expr, kind, ctx)  # type: ignore[arg-type]


def render(template: str, ctx: DdlContext) -> str:
    """Substitute every placeholder of ``template``; an unknown placeholder is an error."""

    def substitute(match: re.Match[str]) -> str:
        key, arg = match.group(1), match.group(2) or ""
        if key == "table":
            return ctx.qualified(ctx.storage_table(arg))
        if key == "on_cluster":
            return ctx.on_cluster
        if key == "engine":
            return _engine(arg, ctx)
        if key == "ttl":
            return _ttl(arg, ctx)
        if key == "distributed":
            return _distributed(arg, ctx)
        raise ValueError(f"unknown DDL placeholder {match.group(0)!r}")

    return _PLACEHOLDER.sub(substitute, template)


def split_statements(sql: str) -> list[str]:
    """Split a rendered script on ``;`` at line ends, dropping ``--`` comment lines and empty statements.

    >>> split_statements("-- note\\nSELECT 1;\\n;\\nSELECT 2;")
    ['SELECT 1', 'SELECT 2']
    """
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    statements = re.split(r";\s*$", "\n".join(lines), flags=re.MULTILINE)
    return [s.strip() for s in statements if s.strip()]


@dataclass(frozen=True)
class Retention:
    """A table's TTL as its template declares it, so a changed setting can be applied with ``MODIFY TTL``."""

    table: str
    kind: RetentionKind
    expr: str


_TABLE_WITH_TTL = re.compile(r"\{\{table:(\w+)\}\}.*?\{\{ttl:(events|scores):(.*?)\}\}", re.DOTALL)


def retentions(template: str) -> list[Retention]:
    """The TTL declared for each table created in ``template``.

    >>> retentions("CREATE TABLE {{table:a}} (x Date) ENGINE = {{engine:MergeTree()}} ORDER BY x {{ttl:events:x}};")
    [Retention(table='a', kind='events', expr='x')]
    """
    found = []
    for statement in re.split(r";\s*$", template, flags=re.MULTILINE):
        match = _TABLE_WITH_TTL.search(statement)
        if match:
            found.append(Retention(match.group(1), match.group(2), match.group(3)))  # type: ignore[arg-type]
    return found
