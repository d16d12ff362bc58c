"""The audit trail on the real embedded store: who pinned a reference, who retrained, what the verdict was."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

import pytest

from driftloop.audit_cli import cmd_audit
from infra.audit import Actor, ActorKind, AuditAction, AuditEntry, record_audit
from retrain import CommandJob, RetrainService
from schemas import RetrainStatus
from tests.api.conftest import STREAM, TOKENS, make_client, settings  # noqa: F401 - fixtures

pytestmark = pytest.mark.integration  # the audit trail on the real store; nothing is killed here

ADMIN = {"Authorization": f"Bearer {TOKENS['admin']}"}


def test_entries_round_trip_and_filter(store):  # noqa: F811
    start = datetime(2026, 11, 1, tzinfo=UTC)
    entries = [
        AuditEntry.new(AuditAction.ALERT_FIRING, Actor.scheduler(), stream=STREAM, subject="a1", at=start),
        AuditEntry.new(
            AuditAction.REFERENCE_PINNED,
            Actor.api("ops"),
            stream=STREAM,
            evidence={"n": 3},
            at=start + timedelta(minutes=1),
        ),  # noqa: E501
        AuditEntry.new(AuditAction.RETRAIN_REQUESTED, Actor(ActorKind.CLI, "alice"), at=start + timedelta(minutes=2)),
    ]
    store.audit.insert(entries)
    store.audit.insert(entries[:1])  # written twice, kept once
    listed = store.audit.entries()
    assert [e.audit_id for e in listed] == [e.audit_id for e in reversed(entries)], "newest first, each once"
    assert listed[1] == entries[1]
    assert [e.actor for e in store.audit.entries(action=AuditAction.REFERENCE_PINNED)] == ["ops"]
    assert [e.subject for e in store.audit.entries(actor="scheduler")] == ["a1"]
    assert len(store.audit.entries(since=start + timedelta(seconds=30))) == 2
    assert len(store.audit.entries(stream=STREAM)) == 2
    assert store.table_counts()["audit"] == 3


def test_a_failed_audit_write_does_not_raise(store):  # noqa: F811
    store.close()
    assert record_audit(store, AuditAction.ALERT_RESOLVED, Actor.scheduler(), subject="x") is None


def test_reference_changes_through_the_api_name_the_token(make_client, store):  # noqa: F811
    client = make_client(tokens=True)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    body = {
        "stream": STREAM.model_dump(),
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "note": "baseline after launch",
    }
    assert client.post("/v1/reference", json=body, headers=ADMIN).status_code == 200
    assert client.delete("/v1/reference", params=STREAM.model_dump(), headers=ADMIN).status_code == 204
    read_only = {"Authorization": f"Bearer {TOKENS['read']}"}
    assert client.post("/v1/reference", json=body, headers=read_only).status_code == 403
    cleared, pinned = store.audit.entries()
    assert (pinned.action, pinned.actor_kind, pinned.actor) == (AuditAction.REFERENCE_PINNED, ActorKind.API, "admin")
    assert pinned.summary == "baseline after launch" and pinned.stream == STREAM
    assert datetime.fromisoformat(pinned.evidence["start"]) == start
    assert cleared.action is AuditAction.REFERENCE_CLEARED and cleared.evidence["previous"] is not None


def test_retrain_decisions_record_their_actor_and_verdict(make_client, store, settings, tmp_path):  # noqa: F811
    job = CommandJob([sys.executable, "-c", "pass"], timeout_s=60)
    retrain_settings = settings.model_copy(
        update={"retrain": settings.retrain.model_copy(update={"min_labelled_feedback": 0, "cooldown_s": 0})}
    )
    with RetrainService(retrain_settings, store, job=job) as service:
        client = make_client(tokens=True, retrain=service)
        answer = client.post("/v1/retrain", json={"stream": STREAM.model_dump(), "reason": "quarterly"}, headers=ADMIN)
        assert answer.status_code == 202, answer.text
        run_id = answer.json()["run_id"]
        assert service.wait(run_id, 60).status is RetrainStatus.SUCCEEDED
    by_action = {e.action: e for e in store.audit.entries(stream=STREAM)}
    requested, finished = by_action[AuditAction.RETRAIN_REQUESTED], by_action[AuditAction.RETRAIN_FINISHED]
    assert (requested.actor, requested.subject, requested.summary) == ("admin", run_id, "quarterly")
    assert finished.subject == run_id and finished.evidence["status"] == "succeeded"
    assert finished.evidence["snapshot_sha256"]
    assert AuditAction.PROBE_PROMOTED not in by_action, "an external job promotes nothing in driftloop's registry"


def test_cli_lists_the_trail_as_json_and_as_a_table(store, settings, capsys):  # noqa: F811
    record_audit(store, AuditAction.ALERT_FIRING, Actor.scheduler(), stream=STREAM, subject="alert-7", summary="drift")
    entries = store.audit.entries()
    assert len(entries) == 1
    cli_settings = settings.model_copy(
        update={"clickhouse": settings.clickhouse.model_copy(update={"dsn": store.dsn, "database": store.database})}
    )  # noqa: E501
    args = argparse.Namespace(json=True, action=None, actor=None, since=None, limit=10)
    store.close()
    assert cmd_audit(args, cli_settings) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [row["subject"] for row in listed] == ["alert-7"] and listed[0]["actor_kind"] == "scheduler"
    assert cmd_audit(argparse.Namespace(**{**vars(args), "json": False}), cli_settings) == 0
    assert "alert-7" in capsys.readouterr().out
