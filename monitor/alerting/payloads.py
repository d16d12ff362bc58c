"""Alert webhook bodies (generic JSON, Slack-compatible) and their headers.

With a secret, a delivery is signed as every driftloop webhook is (:mod:`infra.webhooks`: HMAC-SHA256
over ``timestamp.body``, with a replay window). ``X-Driftloop-Alert-Id`` lets a receiver drop a
duplicate should a delivery be repeated after a crash.
"""

from __future__ import annotations

import json
from typing import Literal

from infra.webhooks import signed_headers
from schemas import Alert, AlertState, Severity

ALERT_ID_HEADER = "X-Driftloop-Alert-Id"

_EMOJI = {Severity.INFO: ":information_source:", Severity.WARNING: ":warning:", Severity.CRITICAL: ":rotating_light:"}


def json_body(alert: Alert) -> bytes:
    """The generic payload: ``{"type": "driftloop.alert", "alert": <Alert as JSON>}``."""
    return json.dumps({"type": "driftloop.alert", "alert": alert.model_dump(mode="json")}).encode()


def slack_body(alert: Alert) -> bytes:
    """A Slack incoming-webhook payload (``text`` plus blocks) with the moved clusters and example texts."""
    state = "RESOLVED" if alert.state is AlertState.RESOLVED else alert.severity.value.upper()
    icon = ":white_check_mark:" if alert.state is AlertState.RESOLVED else _EMOJI[alert.severity]
    title = f"{icon} [{state}] {alert.kind.value} alert on {alert.stream}: {alert.detector}"
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{alert.summary}"}},
    ]
    if alert.drift is not None and alert.drift.clusters:
        lines = []
        for c in alert.drift.clusters[:3]:
            name = "novel" if c.cluster < 0 else f"cluster {c.cluster}"
            examples = "; ".join(f"_{e[:100]}_" for e in c.examples[:2])
            lines.append(f"• {name}: {c.reference_share:.0%} → {c.current_share:.0%} {examples}")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    if alert.report_path:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"report: {alert.report_path}"}]})
    return json.dumps({"text": title, "blocks": blocks}).encode()


def body(alert: Alert, fmt: Literal["json", "slack"]) -> bytes:
    return slack_body(alert) if fmt == "slack" else json_body(alert)


def alert_headers(alert: Alert, payload: bytes, secret: str | None, now: float | None = None) -> dict[str, str]:
    """Content type and alert id, and the timestamp and signature when the target has a secret."""
    headers = {"Content-Type": "application/json", ALERT_ID_HEADER: alert.alert_id}
    return {**headers, **signed_headers(secret, payload, now)} if secret else headers
