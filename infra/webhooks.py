"""Signed webhooks: the one signature of every webhook driftloop sends (alerts and retraining requests).

A delivery carries two headers: ``X-Driftloop-Timestamp``, the Unix time in whole seconds when it was
sent, and ``X-Driftloop-Signature``, ``sha256=`` followed by the hex HMAC-SHA256, keyed with the shared
secret, of ``f"{timestamp}.".encode() + body``. Signing the timestamp with the body is the replay
protection: a receiver accepts a delivery only while its timestamp is within :data:`TOLERANCE_S` of its
own clock, so a captured request cannot be played again later. Each retry is signed anew.

:func:`sign` and :func:`verify` need the standard library only, so a receiver can copy them as they
are: the README's "Verifying webhooks" shows them, and a test keeps that copy identical to this one.

>>> headers = signed_headers("s3cret", b'{"a": 1}', now=1_700_000_000)
>>> headers[SIGNATURE_HEADER][:15], headers[TIMESTAMP_HEADER]
('sha256=82fc0b8b', '1700000000')
>>> verify("s3cret", headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], b'{"a": 1}', now=1_700_000_100)
True
>>> verify("s3cret", headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], b'{"a": 2}', now=1_700_000_100)
False
>>> verify("s3cret", headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], b'{"a": 1}', now=1_700_000_301)
False
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Driftloop-Signature"
TIMESTAMP_HEADER = "X-Driftloop-Timestamp"

TOLERANCE_S = 300
"""How many seconds a delivery's timestamp may be from the receiver's clock before :func:`verify` refuses it.

It bounds how long a captured delivery could be replayed, and must cover the clock skew between
driftloop and the receiver. Alerts are retried with fresh timestamps, so retries do not need it longer.
"""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256, keyed with ``secret``, of ``f"{timestamp}.".encode() + body``."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(
    secret: str, timestamp: str, signature: str, body: bytes, tolerance_s: float = TOLERANCE_S, now: float | None = None
) -> bool:
    """True when ``signature`` signs ``body`` at ``timestamp``, and ``timestamp`` is within ``tolerance_s`` of now.

    ``timestamp`` and ``signature`` are the X-Driftloop-Timestamp and X-Driftloop-Signature headers
    ("" when missing); ``body`` is the raw request body, byte for byte as received.
    """
    if not (timestamp.isascii() and timestamp.isdigit()):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode())


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The timestamp and signature headers of one delivery of ``body``, sent at ``now`` (default: the clock)."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)}
