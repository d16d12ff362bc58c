"""Alert delivery: webhooks that fail and recover (outbox, backoff, HMAC), and the alerts topic on the real broker."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from infra.kafka import LocalBroker, ensure_topics
from infra.settings import KafkaSettings, WebhookTarget
from infra.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from monitor.alerting import ALERT_ID_HEADER, alert_producer, tail_alerts
from monitor.windows import Monitor
from schemas import Alert, AlertState, StreamKey
from tests.loop.conftest import WINDOW_S, loop_settings
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.integration

STREAM = StreamKey(app="shifted-bot", model="m", model_version="1")
PLAN = [[0, 1, 2, 3]] * 5 + [[0, 1, 2, 3, 4, 4]] * 3
SECRET = "webhook-s3cret"


@pytest.fixture
def receivers() -> Iterator[tuple[WebhookReceiver, WebhookReceiver]]:
    ops, chat = WebhookReceiver(), WebhookReceiver()
    yield ops, chat
    ops.close()
    chat.close()


def test_a_webhook_that_is_down_gets_each_alert_exactly_once_after_it_recovers(
    store, write_traffic, t0, tmp_path: Path, receivers
) -> None:
    ops, chat = receivers
    settings = loop_settings(
        tmp_path,
        reports=False,
        webhooks=[
            WebhookTarget(name="ops", url=ops.url, secret=SECRET),
            WebhookTarget(name="chat", url=chat.url, format="slack"),
        ],
        delivery_attempts=2,
        delivery_backoff_s=0.01,
        delivery_backoff_max_s=0.05,
    )
    write_traffic(STREAM, PLAN, seed=11)
    ops.down = True
    first = Monitor(settings, store)
    alerts = first.catch_up(now=t0 + timedelta(seconds=len(PLAN) * WINDOW_S)).alerts
    assert alerts and all(a.state is AlertState.FIRING for a in alerts)
    ids = {a.alert_id for a in alerts}

    # the healthy sink has them, the one that is down has refused every try, and they wait in the outbox
    assert {h[ALERT_ID_HEADER] for h, _ in chat.accepted()} == ids
    assert all("blocks" in json.loads(body) for _, body in chat.accepted())
    assert ops.accepted() == [] and len(ops.requests) == 2 * len(ids)
    pending = store.alerts.deliveries(pending=True)
    assert {(d.alert_id, d.sink) for d in pending} == {(i, "webhook:ops") for i in ids}
    assert all(d.attempts == 2 and "HTTP 503" in d.last_error for d in pending)
    time.sleep(0.1)
    first.deliver()
    assert ops.accepted() == [] and all(d.attempts == 4 for d in store.alerts.deliveries(pending=True))

    # the process restarts, the sink comes back: each alert arrives once, signed
    ops.down = False
    time.sleep(0.1)
    restarted = Monitor(settings, store)
    restarted.deliver()
    restarted.deliver()
    accepted = ops.accepted()
    assert sorted(h[ALERT_ID_HEADER] for h, _ in accepted) == sorted(ids)
    for headers, body in accepted:
        assert verify(SECRET, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body)
        assert not verify("wrong", headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body)
        alert = Alert.model_validate(json.loads(body)["alert"])
        assert alert.drift is not None and alert.drift.window_end is not None
    assert store.alerts.deliveries(pending=True) == []
    assert len(chat.accepted()) == len(ids)  # delivered sinks are not sent again


def test_alerts_reach_the_topic_and_tail_shows_them(
    store, write_traffic, t0, tmp_path: Path, local_broker: LocalBroker
) -> None:
    settings = loop_settings(tmp_path, reports=False).model_copy(
        update={
            "kafka": KafkaSettings(
                bootstrap_servers=local_broker.bootstrap_servers, topic_prefix=f"t{uuid.uuid4().hex[:8]}"
            )
        }
    )
    bootstrap = local_broker.bootstrap_servers
    ensure_topics(settings, bootstrap)
    producer = alert_producer(settings, bootstrap)
    try:
        write_traffic(STREAM, PLAN, seed=12)
        alerts = Monitor(settings, store, producer).catch_up(now=t0 + timedelta(seconds=len(PLAN) * WINDOW_S)).alerts
    finally:
        producer.close()
    assert alerts
    assert store.alerts.deliveries(pending=True) == [] and len(store.alerts.deliveries(pending=False)) == len(alerts)

    seen: list[Alert] = []
    out = StringIO()
    shown = tail_alerts(
        settings,
        bootstrap,
        from_beginning=True,
        limit=len(alerts),
        idle_timeout_s=30,
        console=Console(file=out, width=200),
        on_alert=seen.append,
    )
    assert shown == len(alerts)
    assert {a.alert_id for a in seen} == {a.alert_id for a in alerts}
    assert seen[0].drift is not None and seen[0].drift.clusters
    text = out.getvalue()
    assert "FIRING" in text and str(STREAM) in text
