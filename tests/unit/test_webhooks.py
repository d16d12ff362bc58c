"""One webhook signature for alert and retraining deliveries, and the README's copy of the receiver's code."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra import webhooks
from infra.settings import WebhookTarget
from infra.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, TOLERANCE_S
from monitor.alerting import WebhookSink
from retrain import JobContext, Snapshot, WebhookJob
from schemas import Alert, AlertKind, AlertState, RetrainStatus, Severity, StreamKey
from tests.webhook_receiver import WebhookReceiver

SECRET = "webhook-s3cret"
STREAM = StreamKey(app="bank", model="nimbus", model_version="1")
README = Path(__file__).resolve().parents[2] / "README.md"

Verify = Callable[..., bool]


def readme_snippet() -> str:
    """The first Python block of the README's "Verifying webhooks" section."""
    section = README.read_text().split("## Verifying webhooks", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README: no python block under 'Verifying webhooks'"
    return match.group(1)


def readme_verify() -> Verify:
    namespace: dict[str, object] = {}
    exec(readme_snippet(), namespace)  # noqa: S102 - the README's own code, run as a receiver would
    assert namespace["TOLERANCE_S"] == TOLERANCE_S
    return namespace["verify"]  # type: ignore[return-value]


@pytest.fixture(scope="module")
def deliveries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[dict[str, str], bytes]]]:
    """One signed delivery from each sender, as the receiver got it: alert webhook and retraining webhook."""
    alert = Alert(
        alert_id="a1",
        kind=AlertKind.DRIFT,
        state=AlertState.FIRING,
        severity=Severity.WARNING,
        stream=STREAM,
        detector="topic",
        dedup_key="bank/nimbus@1:topic",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        summary="topic drift",
    )
    snapshot = Snapshot(path=tmp_path_factory.mktemp("snapshot"), sha256="0" * 64, manifest={})
    context = JobContext("r1", STREAM, "manual", snapshot, datetime(2026, 1, 1, tzinfo=UTC))
    with WebhookReceiver() as receiver:
        sink = WebhookSink(WebhookTarget(name="ops", url=receiver.url, secret=SECRET))
        sink.send(alert)
        sink.close()
        outcome = WebhookJob(receiver.url, secret=SECRET).run(context)
        assert outcome.status is RetrainStatus.SUCCEEDED, outcome.message
        (alert_delivery, retrain_delivery) = receiver.accepted()
    yield {"alert": alert_delivery, "retrain": retrain_delivery}


@pytest.fixture(params=["infra.webhooks", "README"])
def verify(request: pytest.FixtureRequest) -> Verify:
    return webhooks.verify if request.param == "infra.webhooks" else readme_verify()


@pytest.mark.parametrize("sender", ["alert", "retrain"])
def test_a_delivery_from_each_sender_verifies(deliveries, verify: Verify, sender: str) -> None:
    headers, body = deliveries[sender]
    assert verify(SECRET, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body)


@pytest.mark.parametrize("sender", ["alert", "retrain"])
def test_a_tampered_body_a_wrong_secret_and_a_stale_or_missing_timestamp_are_refused(
    deliveries, verify: Verify, sender: str
) -> None:
    headers, body = deliveries[sender]
    timestamp, signature = headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER]
    sent = int(timestamp)
    assert verify(SECRET, timestamp, signature, body, now=sent + TOLERANCE_S)
    tampered = body.replace(b"bank", b"bonk")
    assert tampered != body and not verify(SECRET, timestamp, signature, tampered)
    assert not verify("not-the-secret", timestamp, signature, body)
    assert not verify(SECRET, timestamp, signature, body, now=sent + TOLERANCE_S + 1)
    assert not verify(SECRET, timestamp, signature, body, now=sent - TOLERANCE_S - 1)
    assert not verify(SECRET, str(sent + 1), signature, body, now=sent)
    assert not verify(SECRET, "", signature, body)
    assert not verify(SECRET, timestamp, "", body)


@pytest.mark.parametrize("timestamp", ["\u00b2", "-1", "1e9", " 1", "\u0661\u0662"])
def test_a_timestamp_that_is_not_ascii_digits_is_refused_not_raised(verify: Verify, timestamp: str) -> None:
    signature = webhooks.sign(SECRET, timestamp, b"{}")
    assert not verify(SECRET, timestamp, signature, b"{}", now=0)


def test_the_readme_shows_the_code_that_signs_and_verifies() -> None:
    snippet = readme_snippet()
    for function in (webhooks.sign, webhooks.verify):
        assert inspect.getsource(function) in snippet, f"README's {function.__name__} differs from infra/webhooks.py"
