"""Every malformed message becomes a precise rejection; valid ones become events."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.decode import Rejection, decode_event
from schemas import FeedbackEvent, InferenceEvent, RejectionKind, TextLimits
from tests.integration.events import inference_events, malformed_messages

EXPECTED_KIND = {
    "empty": RejectionKind.EMPTY,
    "not_json": RejectionKind.NOT_JSON,
    "json_array": RejectionKind.NOT_JSON,
    "json_null": RejectionKind.NOT_JSON,
    "invalid_utf8": RejectionKind.NOT_UTF8,
    "missing_fields": RejectionKind.INVALID,
    "wrong_types": RejectionKind.INVALID,
    "negative_cost": RejectionKind.INVALID,
    "bad_time": RejectionKind.INVALID,
    "unknown_field": RejectionKind.INVALID,
    "unknown_schema_version": RejectionKind.SCHEMA_VERSION,
    "oversized_prompt": RejectionKind.OVERSIZED,
    "too_many_tags": RejectionKind.INVALID,
    "empty_id": RejectionKind.INVALID,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_KIND))
def test_malformed_message_is_rejected_with_its_kind(name):
    result = decode_event(malformed_messages()[name], InferenceEvent)
    assert isinstance(result, Rejection)
    assert result.kind is EXPECTED_KIND[name]
    assert result.reason


def test_a_message_larger_than_any_event_is_rejected_before_parsing():
    limits = TextLimits(max_prompt_bytes=1024, max_response_bytes=1024)
    result = decode_event(b"{" + b" " * 200_000 + b"}", InferenceEvent, limits)
    assert isinstance(result, Rejection) and result.kind is RejectionKind.OVERSIZED


def test_valid_event_round_trips():
    event = inference_events(1)[0]
    assert decode_event(event.model_dump_json().encode(), InferenceEvent) == event


def test_reason_names_the_bad_fields():
    result = decode_event(malformed_messages()["wrong_types"], InferenceEvent)
    assert isinstance(result, Rejection)
    assert "latency_ms" in result.reason and "tokens_in" in result.reason


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=2000))
def test_any_bytes_become_an_event_or_a_rejection(raw):
    for model in (InferenceEvent, FeedbackEvent):
        result = decode_event(raw, model)
        assert isinstance(result, Rejection | model)
