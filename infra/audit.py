"""The audit trail: every alert transition, retraining decision, reference change and probe promotion.

Each entry names its actor (the scheduler, an API token by name, or the command line), its time, the
stream and subject it concerns, and its evidence as JSON. Entries are written with
:func:`record_audit`, one line at each place where such a change is made, and listed with
``driftloop audit``.

>>> entry = AuditEntry.new(AuditAction.REFERENCE_PINNED, Actor.api("ops-admin"), subject="pin",
...                        evidence={"start": "2026-11-01T00:00:00Z"})
>>> entry.actor_kind.value, entry.actor, entry.evidence_json()
('api', 'ops-admin', '{"start": "2026-11-01T00:00:00Z"}')
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from schemas import Alert, AlertState, StreamKey

if TYPE_CHECKING:
    from infra.store import Store

log = logging.getLogger(__name__)


class AuditAction(StrEnum):
    ALERT_FIRING = "alert_firing"
    ALERT_RESOLVED = "alert_resolved"
    RETRAIN_REQUESTED = "retrain_requested"
    RETRAIN_REFUSED = "retrain_refused"
    RETRAIN_FINISHED = "retrain_finished"
    REFERENCE_PINNED = "reference_pinned"
    REFERENCE_CLEARED = "reference_cleared"
    PROBE_PROMOTED = "probe_promoted"


class ActorKind(StrEnum):
    SCHEDULER = "scheduler"
    API = "api"
    CLI = "cli"


@dataclass(frozen=True)
class Actor:
    """Who acted: ``kind`` and a name (the API token's name; ``scheduler`` or the OS user otherwise)."""

    kind: ActorKind
    name: str

    @classmethod
    def scheduler(cls) -> Actor:
        return cls(ActorKind.SCHEDULER, "scheduler")

    @classmethod
    def api(cls, token_name: str) -> Actor:
        return cls(ActorKind.API, token_name)

    @classmethod
    def cli(cls) -> Actor:
        import getpass

        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 - no user name is not a reason to refuse the command
            user = "unknown"
        return cls(ActorKind.CLI, user)


class AuditEntry(BaseModel):
    """One row of the audit table."""

    model_config = ConfigDict(frozen=True)

    audit_id: str
    at: datetime
    action: AuditAction
    actor_kind: ActorKind
    actor: str
    stream: StreamKey | None = None
    subject: str = ""
    summary: str = ""
    evidence: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def new(
        cls,
        action: AuditAction,
        actor: Actor,
        *,
        stream: StreamKey | None = None,
        subject: str = "",
        summary: str = "",
        evidence: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        now = at or datetime.now(UTC)
        return cls(
            audit_id=uuid.uuid4().hex,
            at=now.replace(microsecond=now.microsecond // 1000 * 1000),
            action=action,
            actor_kind=actor.kind,
            actor=actor.name,
            stream=stream,
            subject=subject,
            summary=summary,
            evidence=json.loads(json.dumps(evidence or {}, default=str)),
        )

    def evidence_json(self) -> str:
        return json.dumps(self.evidence, sort_keys=True)


def record_audit(
    store: Store | None,
    action: AuditAction,
    actor: Actor,
    *,
    stream: StreamKey | None = None,
    subject: str = "",
    summary: str = "",
    evidence: dict[str, Any] | None = None,
) -> AuditEntry | None:
    """Write one audit entry; returns it, or None when there is no store or the write failed.

    The change being audited has already happened when this is called, so a failed write is
    logged at error level rather than undoing or failing that change.
    """
    if store is None:
        return None
    entry = AuditEntry.new(action, actor, stream=stream, subject=subject, summary=summary, evidence=evidence)
    try:
        store.audit.insert([entry])
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("could not write the audit entry %s %s by %s", action.value, subject, actor.name)
        return None
    return entry


def record_alert_transition(store: Store, alert: Alert) -> AuditEntry | None:
    """Audit an alert's firing or resolution, with the scheduler as actor."""
    action = AuditAction.ALERT_FIRING if alert.state is AlertState.FIRING else AuditAction.ALERT_RESOLVED
    return record_audit(
        store,
        action,
        Actor.scheduler(),
        stream=alert.stream,
        subject=alert.alert_id,
        summary=alert.summary,
        evidence={
            "dedup_key": alert.dedup_key,
            "kind": alert.kind.value,
            "severity": alert.severity.value,
            "detector": alert.detector,
            "report_path": alert.report_path,
            "drift": alert.drift.model_dump(mode="json") if alert.drift is not None else None,
        },
    )
