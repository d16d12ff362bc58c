"""Hypothesis-generated messages through the running service: each is stored or dead-lettered, none lost.

``driftloop up`` runs once, as a user starts it, on the local broker and the embedded store, with one
partition per topic so that order on a topic is publish order. Each hypothesis example publishes a batch
of payloads (arbitrary bytes, arbitrary JSON, and valid events mutated field by field: wrong types,
huge or empty strings, unicode, NaN and infinities, missing, extra and nested fields) to the inference
and feedback topics, then one valid inference and one valid feedback (the sentinels), and waits until
both sentinels are stored: the worker kept consuming. Once every example has run, a last malformed
message is published and awaited in the dead letters (so every earlier dead letter has been written),
the service is stopped (it must exit cleanly), and each fuzz message is looked up in the store: it is a
dead letter with a reason and its original bytes, or it is a valid event stored as it was sent.

Shrinking is off: each example costs a round trip through the service. A failure prints the payloads.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from driftloop import Publisher
from infra.store import connect
from schemas import DeadLetter, FeedbackEvent, InferenceEvent, StreamKey
from tests.conftest import Service, settings_from

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

MAX_EXAMPLES = 20
"""Batches published; with up to ``MAX_BATCH`` messages each the run takes about a minute or two."""
MAX_BATCH = 10
SENTINEL_TIMEOUT_S = 90.0

Role = Literal["inference", "feedback"]
ID_MARK = "\x00fuzz-id\x00"
"""Stands for an id the test makes unique when publishing; hypothesis never draws it (it has NULs around it)."""
ID_MARK_JSON = json.dumps(ID_MARK).encode()

# ---- strategies --------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=16,
)
big_text = st.builds(
    lambda char, size: char * size,
    st.characters(codec="utf-8", exclude_categories=["Cs"]),
    st.sampled_from([0, 1, 64, 129, 257, 5_000]),
)
"""Long enough to hit the name and tag limits; :func:`test_messages_larger_than_one_internal_message` covers
texts near the size limits, which a whole batch of cannot yet pass through the internal topics."""
odd_times = st.one_of(
    st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
    st.datetimes().map(datetime.isoformat),
    st.sampled_from(["", "yesterday", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z"]),
    st.integers(min_value=-(2**40), max_value=2**45),
    st.floats(allow_nan=True, allow_infinity=True),
)
junk = st.one_of(json_values, big_text, odd_times, st.text(max_size=200))
sane_text = st.text(min_size=1, max_size=60).filter(str.strip)
RECENT_DAYS = 30
"""Valid events are from the last month: older ones are stored, then dropped by the store's retention TTL."""
_now = datetime.now(UTC).replace(tzinfo=None)
now_iso = st.datetimes(min_value=_now - timedelta(days=RECENT_DAYS), max_value=_now + timedelta(days=1)).map(
    lambda t: t.replace(tzinfo=UTC).isoformat()
)


@st.composite
def valid_inference(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "event_id": ID_MARK,
        "event_time": draw(now_iso),
        draw(st.sampled_from(["app", "service.name"])): draw(sane_text),
        draw(st.sampled_from(["model", "gen_ai.request.model"])): draw(sane_text),
        "prompt": draw(st.text(max_size=300)),
        "response": draw(st.text(max_size=300)),
    }
    optional = {
        "model_version": sane_text,
        "latency_ms": st.floats(min_value=0, max_value=1e6),
        "tokens_in": st.integers(min_value=0, max_value=10**6),
        "tokens_out": st.integers(min_value=0, max_value=10**6),
        "cost_usd": st.floats(min_value=0, max_value=10),
        "user_id": sane_text,
        "session_id": sane_text,
        "tags": st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=40), max_size=5),
    }
    for name in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        doc[name] = draw(optional[name])
    return doc


@st.composite
def valid_feedback(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["thumbs", "rating", "flag", "correction", "comment"]))
    doc: dict[str, Any] = {
        "feedback_id": ID_MARK,
        "event_id": draw(sane_text),
        "feedback_time": draw(now_iso),
        "kind": kind,
    }
    if kind == "thumbs":
        doc["value"] = draw(st.sampled_from([1, -1]))
    elif kind == "rating":
        doc["value"] = draw(st.integers(min_value=1, max_value=5))
    elif kind == "flag":
        doc["labels"] = draw(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=4))
    else:
        doc["text"] = draw(st.text(min_size=1, max_size=200))
    if draw(st.booleans()):
        doc["user_id"] = draw(sane_text)
    return doc


@st.composite
def mutated(draw: st.DrawFn, role: Role) -> bytes:
    """A valid event with up to four fields replaced by junk, removed, or added."""
    doc = draw(valid_inference() if role == "inference" else valid_feedback())
    extra_names = st.one_of(
        st.sampled_from(["schema_version", "surprise", "service.name", "tags", "labels"]), st.text()
    )
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "replace" and doc:
            doc[draw(st.sampled_from(sorted(doc)))] = draw(junk)
        elif action == "remove" and doc:
            del doc[draw(st.sampled_from(sorted(doc)))]
        else:
            doc[draw(extra_names)] = draw(junk)
    return json.dumps(doc, allow_nan=True, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def valid_payload(draw: st.DrawFn, role: Role) -> bytes:
    doc = draw(valid_inference() if role == "inference" else valid_feedback())
    return json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()


def payloads(role: Role) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300),
        json_values.map(lambda value: json.dumps(value, allow_nan=True).encode()),
        mutated(role),
        valid_payload(role),
    )


def _edge(role: Role, **fields: Any) -> tuple[Role, bytes]:
    """A valid event of ``role`` with ``fields`` replaced."""
    now = datetime.now(UTC).isoformat()
    if role == "inference":
        doc = {"event_id": ID_MARK, "event_time": now, "app": "a", "model": "m", "prompt": "p", "response": "r"}
    else:
        doc = {"feedback_id": ID_MARK, "event_id": "e", "feedback_time": now, "kind": "comment", "text": "t"}
    return role, json.dumps({**doc, **fields}, allow_nan=True).encode()


EDGE_CASES = [
    _edge("inference", event_time="0001-01-01T00:00:00+05:00"),  # has no UTC datetime: OverflowError in validation
    _edge("inference", event_time="2106-03-01T00:00:00Z"),  # past ClickHouse DateTime: dropped by the TTL
    _edge("feedback", value=float("nan")),  # stored as null after the internal JSON round trip
    _edge("feedback", feedback_time="9999-12-31T23:59:59.999999-01:00"),
    ("inference", rb'{"event_id": "\ud800", "prompt": "\udfff"}'),  # lone surrogates
    ("inference", b"[" * 5_000 + b"]" * 5_000),
    ("feedback", b""),
]
"""Inputs that once crashed a worker or lost an event; hypothesis runs them before the generated batches."""

batches = st.lists(
    st.one_of(
        st.tuples(st.just("inference"), payloads("inference")),
        st.tuples(st.just("feedback"), payloads("feedback")),
    ),
    min_size=1,
    max_size=MAX_BATCH,
)

# ---- publishing and waiting --------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    role: Role
    topic: str
    partition: int
    offset: int
    value: bytes


def with_unique_id(value: bytes, unique: str) -> bytes:
    return value.replace(ID_MARK_JSON, json.dumps(unique).encode())


def sentinel_pair(run: str, example: int) -> tuple[InferenceEvent, FeedbackEvent]:
    now = datetime.now(UTC)
    event = InferenceEvent(
        event_id=f"sentinel-{run}-{example}",
        event_time=now,
        app="fuzz-sentinel",
        model="sentinel",
        model_version=f"{run}-{example}",
        prompt="Is the worker still consuming?",
        response="Yes.",
    )
    feedback = FeedbackEvent(
        feedback_id=f"sentinel-fb-{run}-{example}",
        event_id=event.event_id,
        feedback_time=now,
        kind="thumbs",
        value=-1,
    )
    return event, feedback


def sentinel_stored(service: Service, event: InferenceEvent) -> bool:
    """Both sentinels are stored: the feedback joins the inference (an inner join in the store)."""
    span = {
        "start": (event.event_time - timedelta(hours=1)).isoformat(),
        "end": (event.event_time + timedelta(hours=1)).isoformat(),
    }
    answer = httpx.get(
        f"{service.api_url}/v1/streams/feedback",
        params={"app": event.app, "model": event.model, **span},
        timeout=30,
    )
    answer.raise_for_status()
    return any(row["stream"]["model_version"] == event.model_version and row["thumbs"] >= 1 for row in answer.json())


def wait_until(condition, what: str, service: Service, timeout_s: float = SENTINEL_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert service.process is not None and service.process.poll() is None, f"the service exited:\n{service.log()}"
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"{what} not seen in {timeout_s}s\n{service.log()[-4000:]}")


def stream_of(event: InferenceEvent) -> StreamKey:
    return StreamKey(app=event.app, model=event.model, model_version=event.model_version)


def same_inference(row: dict[str, Any], event: InferenceEvent) -> bool:
    """The stored row is the event as sent (times are stored to the millisecond)."""
    numbers_match = all(
        row[column] == getattr(event, column)
        or (
            row[column] is not None
            and getattr(event, column) is not None
            and math.isclose(row[column], getattr(event, column), rel_tol=1e-9)
        )
        for column in ("latency_ms", "tokens_in", "tokens_out")
    )
    return (
        numbers_match
        and (row["prompt"], row["response"], row["user_id"], row["session_id"])
        == (event.prompt, event.response, event.user_id, event.session_id)
        and abs((row["event_time"] - event.event_time).total_seconds()) < 0.001
    )


def same_feedback(stored: FeedbackEvent, sent: FeedbackEvent) -> bool:
    """The stored feedback is the one sent (times are stored to the millisecond)."""
    apart = abs((stored.feedback_time - sent.feedback_time).total_seconds())
    return apart < 0.001 and stored.model_dump(exclude={"feedback_time"}) == sent.model_dump(exclude={"feedback_time"})


def stored_as(store, event_id: str) -> list[dict[str, Any]]:
    """What the store holds under ``event_id``, whatever its stream: for failure messages."""
    sql = "SELECT app, model, model_version, event_time FROM inference WHERE event_id = {id:String}"
    return store._client.rows(sql, {"id": event_id})


def assert_ready(service: Service) -> None:
    ready = httpx.get(f"{service.api_url}/readyz", timeout=30)
    assert ready.status_code == 200 and ready.json()["ready"], ready.text


# ---- the test ----------------------------------------------------------------------------------


def test_fuzzed_messages_are_stored_or_dead_lettered_and_the_service_keeps_going(
    service_factory, isolated_env, local_broker
):
    service = service_factory(DRIFTLOOP_KAFKA__PARTITIONS="1")
    env = {**isolated_env, "DRIFTLOOP_KAFKA__PARTITIONS": "1"}
    run = uuid.uuid4().hex[:8]
    sent: list[Sent] = []
    examples = 0

    with Publisher(local_broker.bootstrap_servers, settings_from(env), delivery_timeout_s=60) as publisher:

        def publish(role: Role, value: bytes) -> Sent:
            meta = publisher.publish_raw(role, value).get(timeout=60)
            return Sent(role, meta.topic, meta.partition, meta.offset, value)

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            phases=(Phase.explicit, Phase.generate),
            suppress_health_check=list(HealthCheck),
        )
        @given(batch=batches)
        @example(batch=EDGE_CASES)
        def publish_batch(batch: list[tuple[Role, bytes]]) -> None:
            nonlocal examples
            examples += 1
            these = [
                publish(role, with_unique_id(value, f"fuzz-{run}-{examples}-{i}"))
                for i, (role, value) in enumerate(batch)
            ]
            sent.extend(these)
            event, feedback = sentinel_pair(run, examples)
            publisher.publish_inference(event)
            publisher.publish_feedback(feedback)
            publisher.flush(60)
            wait_until(lambda: sentinel_stored(service, event), f"sentinel {examples} after {batch!r:.3000}", service)

        publish_batch()
        end = publish("inference", f"not json: fuzz run {run} is over".encode())

    def end_stored() -> bool:
        letters = httpx.get(f"{service.api_url}/v1/dead-letters", params={"limit": 50}, timeout=30).json()
        return any(DeadLetter.model_validate(letter).original == end.value for letter in letters)

    wait_until(end_stored, "the closing dead letter", service)
    assert_ready(service)
    assert service.stop() == 0, service.log()[-4000:]
    assert examples > MAX_EXAMPLES // 2, f"only {examples} batches ran"

    with connect(settings_from(env)) as store:
        letters = {
            (d.source_topic, d.source_partition, d.source_offset): d for d in store.events.dead_letters(limit=100_000)
        }
        feedback = {row.feedback.feedback_id: row.feedback for row in store.events.feedback()}
        expected: dict[tuple[Role, str], list[tuple[InferenceEvent | FeedbackEvent, bytes]]] = {}
        lost: list[str] = []
        for message in sent:
            letter = letters.get((message.topic, message.partition, message.offset))
            if letter is not None:
                assert letter.original == message.value, "a dead letter keeps the original bytes"
                assert letter.reason.strip(), f"a dead letter without a reason: {letter}"
                continue
            model = InferenceEvent if message.role == "inference" else FeedbackEvent
            try:
                event = model.model_validate_json(message.value)
            except Exception as exc:  # noqa: BLE001 - reported with the payload
                lost.append(f"{message.role}@{message.offset} neither dead-lettered nor valid: {exc!r:.300}")
                continue
            key = event.event_id if isinstance(event, InferenceEvent) else event.feedback_id
            expected.setdefault((message.role, key), []).append((event, message.value))
        assert not lost, "\n".join(lost)

        for (role, key), sent_events in expected.items():
            events = [event for event, _ in sent_events]
            if role == "feedback":
                stored = feedback.get(key)
                assert stored is not None, f"feedback {key!r} not stored: {sent_events!r:.2000}"
                assert any(same_feedback(stored, event) for event in events), (stored, sent_events)
            else:
                rows = store.events.rows(stream_of(events[0]), event_ids=[key])
                assert rows, f"inference {key!r} not stored: {sent_events!r:.2000}; {stored_as(store, key)}"
                assert any(same_inference(rows[0], event) for event in events), (rows[0], sent_events)
        kinds = {letter.error_kind for letter in letters.values()}
    assert len(sent) > MAX_EXAMPLES, "every example published at least one fuzz message"
    assert expected and kinds, "the run should have both stored events and dead letters"


def test_a_malformed_message_over_750_kb_becomes_a_dead_letter(service_factory, isolated_env, local_broker):
    service = service_factory(DRIFTLOOP_KAFKA__PARTITIONS="1")
    with Publisher(local_broker.bootstrap_servers, settings_from(isolated_env)) as publisher:
        publisher.publish_raw("inference", b"{" + b"x" * 800_000)
    wait_until(lambda: service.status()["dead_letters"] == 1, "the dead letter", service, timeout_s=40)


def test_valid_events_whose_scored_batch_exceeds_1_mb_flow_through_a_separate_worker(
    service_factory, worker_factory, isolated_env, local_broker
):
    isolated_env["DRIFTLOOP_KAFKA__PARTITIONS"] = "2"  # one inference partition for the worker, one for the service
    service = service_factory()
    worker = worker_factory()
    wait_until(lambda: "worker assigned" in worker.log(), "the worker's assignment", service)
    time.sleep(5)  # let the rebalance settle on both members
    run = uuid.uuid4().hex[:8]
    event, _ = sentinel_pair(run, 0)
    big = [
        event.model_copy(update={"event_id": f"big-{run}-{i}", "prompt": "p" * 200_000, "response": "r" * 50_000})
        for i in range(12)
    ]
    with Publisher(local_broker.bootstrap_servers, settings_from(isolated_env)) as publisher:
        for item in big:
            publisher.publish_inference(item)
    assert worker.process is not None and worker.process.poll() is None
    wait_until(lambda: service.status()["table_counts"]["inference"] == len(big), "every big event", service, 60)
