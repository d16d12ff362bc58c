"""Demo traffic stored for analytics tests, with safety scores and embeddings taken from the generator's truth.

The safety detectors and the embedder have their own tests; here what matters is that the refusal and
relevance rows (and response embeddings) stored for an event reflect what really happened in the call,
so scores come from ``DemoItem.truth`` and embeddings are a fixed random vector per response text.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import numpy as np

from driftloop.demo import DemoConfig, generate
from infra.store import Store
from schemas import SafetyScore, SafetyTarget, ScoredFeedback, ScoredInference

DIM = 16
OFF_TOPIC_ANSWER = "I can tell you about our weather forecast service instead. Sunny spells all week."


def recent_start(hours: float) -> datetime:
    """A start on an hour boundary ``hours`` ago: demo traffic inside the store's retention, windows closed."""
    start = datetime.now(UTC) - timedelta(hours=hours)
    return start.replace(minute=0, second=0, microsecond=0)


def text_vector(text: str) -> list[float]:
    rng = np.random.default_rng(zlib.crc32(text.encode()))
    return rng.normal(size=DIM).astype(np.float32).tolist()


def _scores(event_id: str, refused: bool, off_topic: bool, rng: np.random.Generator) -> list[SafetyScore]:
    relevance = float(rng.uniform(-0.05, 0.08) if off_topic else rng.uniform(0.25, 0.8))
    return [
        SafetyScore(event_id=event_id, detector="refusal", detector_version="truth", target=SafetyTarget.RESPONSE,
                    score=1.0 if refused else 0.0, threshold=0.5, breached=refused),
        SafetyScore(event_id=event_id, detector="relevance", detector_version="truth", target=SafetyTarget.PAIR,
                    score=relevance, threshold=0.1, breached=relevance < 0.1),
    ]  # fmt: skip


def store_demo(
    store: Store, config: DemoConfig, *, off_topic: dict[str, float] | None = None, batch: int = 5000
) -> tuple[int, int]:
    """Store a demo stream; ``off_topic`` maps model versions to the share of their answers made off-topic.

    Returns the number of inference and feedback events stored.
    """
    rng = np.random.default_rng(config.seed + 1)
    off_topic = off_topic or {}
    calls: list[ScoredInference] = []
    feedback: list[ScoredFeedback] = []
    n_calls = n_feedback = 0
    for item in generate(config):
        if item.event is not None:
            event = item.event
            drifted = rng.random() < off_topic.get(event.model_version, 0.0) and not item.truth.is_refusal
            if drifted:
                event = event.model_copy(update={"response": OFF_TOPIC_ANSWER})
            calls.append(
                ScoredInference(
                    event=event,
                    received_at=item.at,
                    prompt_embedding=text_vector(event.prompt),
                    response_embedding=text_vector(event.response),
                    embedding_model="truth",
                    safety=_scores(event.event_id, item.truth.is_refusal, drifted, rng),
                )
            )
        else:
            assert item.feedback is not None
            feedback.append(ScoredFeedback(feedback=item.feedback, received_at=item.at))
        if len(calls) >= batch:
            n_calls += store.events.insert(calls)
            calls = []
        if len(feedback) >= batch:
            n_feedback += store.events.insert_feedback(feedback)
            feedback = []
    n_calls += store.events.insert(calls)
    n_feedback += store.events.insert_feedback(feedback)
    return n_calls, n_feedback


def only(deployments: Iterable[str], app: str) -> dict[str, float]:
    """Deployment weights that keep only ``deployments`` (``model/version``) of ``app``."""
    from driftloop.demo.catalogue import app_by_name

    keep = set(deployments)
    spec = app_by_name(app)
    return {
        f"{app}/{d.model}/{d.version}": (1.0 if f"{d.model}/{d.version}" in keep else 0.0) for d in spec.deployments
    }
