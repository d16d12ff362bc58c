"""README.md's Python example, run as written against the real local broker (only the address differs)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

from infra.kafka import LocalBroker, ensure_topics
from infra.settings import Settings
from schemas import FeedbackEvent, FeedbackKind, InferenceEvent
from tests.api.conftest import consume
from tests.conftest import REPO

README_ADDRESS = '"localhost:9092"'


def readme_python_example(section: str) -> str:
    """The first ```python block under the README heading ``## <section>``."""
    readme = (REPO / "README.md").read_text()
    body = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    assert body, f"README.md has no '## {section}' section"
    block = re.search(r"^```python\n(.*?)^```", body.group(1), re.MULTILINE | re.DOTALL)
    assert block, f"README.md's '## {section}' section has no ```python block"
    return block.group(1)


def test_events_example_publishes_an_inference_and_its_feedback(
    local_broker: LocalBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = readme_python_example("Events")
    assert example.count(README_ADDRESS) == 1, f"the Events example should connect to {README_ADDRESS} once"
    monkeypatch.setenv("DRIFTLOOP_KAFKA__TOPIC_PREFIX", f"readme{uuid.uuid4().hex[:8]}")  # the Publisher's topics
    monkeypatch.setenv("DRIFTLOOP_KAFKA__BOOTSTRAP_SERVERS", local_broker.bootstrap_servers)  # the test's consumer
    settings = Settings()
    ensure_topics(settings, local_broker.bootstrap_servers)

    before = datetime.now(UTC)
    code = example.replace(README_ADDRESS, repr(local_broker.bootstrap_servers))
    exec(compile(code, str(REPO / "README.md"), "exec"), {})  # noqa: S102 - the README's own example
    after = datetime.now(UTC)

    [inference_value] = consume(settings, "inference", 1)
    [feedback_value] = consume(settings, "feedback", 1)
    inference = InferenceEvent.model_validate_json(inference_value)
    feedback = FeedbackEvent.model_validate_json(feedback_value)
    assert before <= inference.event_time <= after
    assert inference.model_dump(include={"event_id", "app", "model", "model_version", "prompt", "response"}) == {
        "event_id": "call-42",
        "app": "support-bot",
        "model": "gpt-x",
        "model_version": "2026-10",
        "prompt": "How do I reset my PIN?",
        "response": "Open Cards > Security…",
    }
    assert (inference.latency_ms, inference.tokens_in, inference.tokens_out) == (840, 12, 64)
    assert inference.cost_usd == pytest.approx(0.0009)
    assert inference.tags == {"locale": "en-GB"}
    assert (feedback.feedback_id, feedback.event_id, feedback.kind, feedback.value) == (
        "fb-1",
        "call-42",
        FeedbackKind.THUMBS,
        -1,
    )
    assert before <= feedback.feedback_time <= after
