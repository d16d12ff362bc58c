"""Test events: valid ones with distinct ids, and malformed messages of every kind."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from schemas import InferenceEvent

BASE_TIME = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def inference_events(count: int, prefix: str = "evt", app: str = "support-bot") -> list[InferenceEvent]:
    return [
        InferenceEvent(
            event_id=f"{prefix}-{i}",
            event_time=BASE_TIME + timedelta(milliseconds=10 * i),
            app=app,
            model="chat-model",
            model_version="v1",
            prompt=f"How do I reset my card PIN? (case {i})",
            response=f"You can reset your PIN in the app under Cards > Security. Ref {i}.",
            latency_ms=120.0 + i % 50,
            tokens_in=12,
            tokens_out=20,
            cost_usd=0.0004,
            user_id=f"user-{i % 97}",
            tags={"locale": "en-GB"},
        )
        for i in range(count)
    ]


def malformed_messages() -> dict[str, bytes]:
    """One message per kind of bad input, named by what is wrong with it."""
    valid = json.loads(inference_events(1, prefix="bad")[0].model_dump_json())
    return {
        "empty": b"",
        "not_json": b"this is not json {",
        "json_array": b"[1, 2, 3]",
        "json_null": b"null",
        "invalid_utf8": b'{"event_id": "\xff\xfe"}',
        "missing_fields": json.dumps({"event_id": "x-1"}).encode(),
        "wrong_types": json.dumps({**valid, "event_id": "bad-types", "latency_ms": "fast", "tokens_in": -3}).encode(),
        "negative_cost": json.dumps({**valid, "event_id": "bad-cost", "cost_usd": -1}).encode(),
        "bad_time": json.dumps({**valid, "event_id": "bad-time", "event_time": "yesterday"}).encode(),
        "unknown_field": json.dumps({**valid, "event_id": "bad-extra", "surprise": 1}).encode(),
        "unknown_schema_version": json.dumps({**valid, "event_id": "bad-version", "schema_version": 99}).encode(),
        "oversized_prompt": json.dumps({**valid, "event_id": "bad-size", "prompt": "x" * (300 * 1024)}).encode(),
        "too_many_tags": json.dumps(
            {**valid, "event_id": "bad-tags", "tags": {f"k{i}": "v" for i in range(100)}}
        ).encode(),
        "empty_id": json.dumps({**valid, "event_id": ""}).encode(),
    }
