"""Privacy before storage: with redaction on, no raw PII or id from a test event reaches ClickHouse."""

from __future__ import annotations

import pytest

from driftloop import Publisher
from infra.store import connect
from schemas import StreamKey
from tests.conftest import settings_from
from tests.integration.events import inference_events

pytestmark = pytest.mark.e2e

SECRETS = {
    "email": "jo.bloggs@example.org",
    "card": "4111 1111 1111 1111",
    "aws_key": "AKIAIOSFODNN7EXAMPLE",
    "user": "alice-4711",
}


def test_redacted_and_pseudonymised_before_storage(service_factory, isolated_env, local_broker):
    service = service_factory(
        DRIFTLOOP_PRIVACY__REDACT_PII="true",
        DRIFTLOOP_PRIVACY__PSEUDONYMISE_IDS="true",
        DRIFTLOOP_PRIVACY__ID_HASH_KEY="test-key",
    )
    template = inference_events(1, prefix="pii")[0]
    events = [
        template.model_copy(
            update={
                "event_id": f"pii-{i}",
                "user_id": SECRETS["user"],
                "session_id": SECRETS["user"] + "-session",
                "prompt": f"My email is {SECRETS['email']} and my card {SECRETS['card']}",
                "response": f"Use the key {SECRETS['aws_key']} to log in, {SECRETS['email']}.",
            }
        )
        for i in range(20)
    ]
    with Publisher(local_broker.bootstrap_servers, settings_from(isolated_env)) as publisher:
        for event in events:
            publisher.publish_inference(event)
    service.wait_for(lambda s: s["table_counts"]["inference"] >= 20)
    assert service.stop() == 0
    with connect(settings_from(isolated_env)) as store:
        rows = store.events.rows(
            StreamKey(app=template.app, model=template.model, model_version=template.model_version),
            event_ids=[event.event_id for event in events],
        )
    assert len(rows) == 20
    stored = repr(rows)
    for name, value in SECRETS.items():
        assert value not in stored, f"raw {name} reached the store"
    assert rows[0]["prompt"] == "My email is [EMAIL] and my card [CARD]"
    assert "[AWS_ACCESS_KEY]" in rows[0]["response"]
    assert len({row["user_id"] for row in rows}) == 1, "one user keeps one pseudonym"
