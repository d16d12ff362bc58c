"""The wire contract: validation rules, OpenTelemetry names, and the committed JSON Schema files."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from pydantic import ValidationError

from driftloop.schema_export import SCHEMA_DIR, render_schemas
from schemas import FeedbackEvent, FeedbackKind, InferenceEvent, ScoredInference, StreamKey, TextLimits
from schemas.errors import InvalidStreamKey

VALID = {
    "event_id": "e-1",
    "event_time": "2026-11-22T10:00:00Z",
    "app": "support-bot",
    "model": "gpt-x",
    "prompt": "How do I reset my PIN?",
    "response": "Open Cards > Security.",
}


def test_committed_json_schema_files_match_the_models():
    rendered = render_schemas()
    committed = {path.name: path.read_text() for path in SCHEMA_DIR.glob("*.json")}
    assert committed == rendered, "run `driftloop schemas export` and commit schemas/json/"


def test_json_schema_rejects_what_the_model_rejects():
    schema = json.loads(render_schemas()["inference_event.v1.json"])
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"event_id", "event_time", "app", "model", "prompt", "response"}


def test_opentelemetry_genai_names_are_accepted():
    event = InferenceEvent.model_validate(
        {
            **{k: v for k, v in VALID.items() if k != "model"},
            "gen_ai.request.model": "gpt-y",
            "gen_ai.usage.input_tokens": 10,
            "gen_ai.usage.output_tokens": 20,
            "gen_ai.conversation.id": "conv-9",
        }
    )
    assert (event.model, event.tokens_in, event.tokens_out, event.session_id) == ("gpt-y", 10, 20, "conv-9")


def test_event_times_are_stored_in_utc():
    plus_two = timezone(timedelta(hours=2))
    event = InferenceEvent.model_validate({**VALID, "event_time": datetime(2026, 1, 1, 12, tzinfo=plus_two)})
    assert event.event_time == datetime(2026, 1, 1, 10, tzinfo=UTC)
    naive = InferenceEvent.model_validate({**VALID, "event_time": "2026-01-01T12:00:00"})
    assert naive.event_time.tzinfo is UTC


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event_id", ""),
        ("event_id", "x" * 129),
        ("latency_ms", -1),
        ("tokens_in", -5),
        ("cost_usd", -0.01),
        ("tags", {f"k{i}": "v" for i in range(33)}),
        ("schema_version", 2),
        ("unknown_field", 1),
    ],
)
def test_out_of_bounds_values_are_rejected_naming_the_field(field, value):
    with pytest.raises(ValidationError) as error:
        InferenceEvent.model_validate({**VALID, field: value})
    assert field in str(error.value)


def test_text_limits_are_configurable():
    big = {**VALID, "prompt": "x" * 2000}
    InferenceEvent.model_validate(big)
    with pytest.raises(ValidationError, match="prompt is larger than 1024 bytes"):
        InferenceEvent.model_validate(big, context={"limits": TextLimits(max_prompt_bytes=1024)})


@pytest.mark.parametrize(
    ("kind", "extra", "ok"),
    [
        ("thumbs", {"value": 1}, True),
        ("thumbs", {"value": -1}, True),
        ("thumbs", {"value": 0}, False),
        ("rating", {"value": 5}, True),
        ("rating", {"value": 6}, False),
        ("flag", {"labels": ["unsafe"]}, True),
        ("flag", {}, False),
        ("correction", {"text": "the right answer"}, True),
        ("comment", {}, False),
    ],
)
def test_feedback_value_must_fit_its_kind(kind, extra, ok):
    data = {"feedback_id": "f", "event_id": "e", "feedback_time": "2026-11-22T10:00:00Z", "kind": kind, **extra}
    if ok:
        assert FeedbackEvent.model_validate(data).kind is FeedbackKind(kind)
    else:
        with pytest.raises(ValidationError):
            FeedbackEvent.model_validate(data)


def test_scored_rows_round_trip_with_packed_embeddings():
    event = InferenceEvent.model_validate(VALID)
    vector = [0.25, -0.5, 1.0, 0.0]
    row = ScoredInference(event=event, received_at=datetime.now(UTC), prompt_embedding=vector)
    wire = row.model_dump_json()
    assert "0.25" not in wire, "embeddings travel packed, not as JSON numbers"
    back = ScoredInference.model_validate_json(wire)
    assert back.prompt_embedding.dtype == np.float32 and back.prompt_embedding.tolist() == vector
    assert back.response_embedding.size == 0
    assert back.model_dump(exclude={"prompt_embedding", "response_embedding"}) == row.model_dump(
        exclude={"prompt_embedding", "response_embedding"}
    )
    with pytest.raises(ValidationError, match="one vector"):
        ScoredInference(event=event, received_at=datetime.now(UTC), prompt_embedding=[[0.25], [0.5]])


@pytest.mark.parametrize(
    "text", ["support-bot/gpt-x@2026-10", "bank/meta-llama/Llama-3.1-8B@1", "bank/claude-3-5-sonnet@20240620@2"]
)
def test_a_stream_key_parses_back_from_how_it_prints(text: str) -> None:
    assert str(StreamKey.parse(text)) == text


@pytest.mark.parametrize("text", ["support-bot", "support-bot/gpt-x", "support-bot@1", "/gpt-x@1", "a/@1", "a/m@", ""])
def test_text_that_is_not_app_model_at_version_is_refused_naming_it(text: str) -> None:
    with pytest.raises(InvalidStreamKey, match=re.escape(f"expected APP/MODEL@VERSION, got {text!r}")):
        StreamKey.parse(text)
    with pytest.raises(ValueError):
        StreamKey.parse(text)
