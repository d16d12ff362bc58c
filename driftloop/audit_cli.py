"""``driftloop audit``: list the audit trail, from the running service or straight from an idle store."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

import httpx
from rich.console import Console
from rich.table import Table

from driftloop.errors import ConfigError
from infra.audit import AuditAction, AuditEntry
from infra.settings import Settings


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``driftloop audit``."""
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--action", choices=[a.value for a in AuditAction], help="only this action")
    parser.add_argument("--actor", help="only this actor (token name, user, or 'scheduler')")
    parser.add_argument("--since", type=datetime.fromisoformat, help="only entries from this ISO time on")
    parser.add_argument("--limit", type=int, default=100, help="at most this many entries (newest first)")


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    entries = fetch_audit(
        settings,
        action=AuditAction(args.action) if args.action else None,
        actor=args.actor,
        since=args.since,
        limit=args.limit,
    )
    if args.json:
        print(json.dumps([e.model_dump(mode="json") for e in entries], indent=2))
    else:
        print_audit(entries)
    return 0


def fetch_audit(
    settings: Settings,
    *,
    action: AuditAction | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Ask the running service when there is one (it owns the store); otherwise open the store."""
    from driftloop.runtime_file import read_runtime

    info = read_runtime(settings)
    if info is not None and info.api_url:
        params: dict[str, str | int] = {"limit": limit}
        if action is not None:
            params["action"] = action.value
        if actor is not None:
            params["actor"] = actor
        if since is not None:
            params["since"] = since.isoformat()
        response = httpx.get(f"{info.api_url}/v1/audit", params=params, timeout=60)
        if response.status_code >= 400:
            raise ConfigError(f"audit: the service answered {response.status_code}: {response.text[:500]}")
        return [AuditEntry.model_validate(row) for row in response.json()]
    from infra.store import connect

    with connect(settings) as store:
        return store.audit.entries(since=since, action=action, actor=actor, limit=limit)


def print_audit(entries: list[AuditEntry], console: Console | None = None) -> None:
    table = Table(title="driftloop audit")
    for column in ("time (UTC)", "action", "actor", "stream", "subject", "summary", "evidence"):
        table.add_column(column, overflow="fold")
    for e in entries:
        stream = f"{e.stream.app}/{e.stream.model}@{e.stream.model_version}" if e.stream else ""
        table.add_row(
            f"{e.at:%Y-%m-%d %H:%M:%S}",
            e.action.value,
            f"{e.actor_kind.value}:{e.actor}",
            stream,
            e.subject,
            e.summary,
            e.evidence_json()[:200],
        )
    (console or Console()).print(table)
