"""Webhook bodies (generic JSON, Slack-compatible) and their HMAC-SHA256 signature.

The signature covers the timestamp and the body, ``HMAC-SHA256(secret, f"{timestamp}.{body}")``, and
travels as ``X-Driftloop-Signature: sha256=<hex>`` with ``X-Driftloop-Timestamp``; receivers recompute
it with :func:`verify_signature` and reject stale timestamps to stop replays. ``X-Driftloop-Alert-Id``
lets a receiver drop a duplicate should a delivery be repeated after a crash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Literal

from schemas import Alert, AlertState, Severity

SIGNATURE_HEADER = "X-Driftloop-Signature"
TIMESTAMP_HEADER = "X-Driftloop-Timestamp"
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


def sign(secret: str, timestamp: str, payload: bytes) -> str:
    """``sha256=<hex>`` of the timestamp and the body.

    >>> sign("s3cret", "1700000000", b'{"a": 1}')[:15]
    'sha256=82fc0b8b'
    """
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + payload, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(
    secret: str, timestamp: str, payload: bytes, signature: str, *, max_age_s: float | None = 300.0
) -> bool:
    """True when ``signature`` matches and (with ``max_age_s``) the timestamp is recent.

    >>> verify_signature("k", "1", b"x", sign("k", "1", b"x"), max_age_s=None)
    True
    >>> verify_signature("k", "1", b"y", sign("k", "1", b"x"), max_age_s=None)
    False
    """
    if max_age_s is not None:
        try:
            if abs(time.time() - float(timestamp)) > max_age_s:
                return False
        except ValueError:
            return False
    return hmac.compare_digest(sign(secret, timestamp, payload), signature)


def signed_headers(alert: Alert, payload: bytes, secret: str | None, now: float | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", ALERT_ID_HEADER: alert.alert_id}
    if secret:
        timestamp = str(int(time.time() if now is None else now))
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, payload)
    return headers
