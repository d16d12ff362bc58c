"""Retraining fixtures: a real embedded store per module, labelled traffic, a small deterministic embedder.

The embedder hashes words into a fixed-size vector: pure computation, fast, and enough for a linear
probe to separate topics by vocabulary (which is what the gate scenarios need).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from detectors.embedding.base import l2_normalise
from detectors.safety import train_probe
from infra.settings import RetrainSettings, Settings
from infra.store import Store
from schemas import (
    DriftDecision,
    DriftResult,
    FeedbackEvent,
    FeedbackKind,
    InferenceEvent,
    ScoredFeedback,
    ScoredInference,
    StreamKey,
)

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STREAM = StreamKey(app="support-bot", model="gpt-x", model_version="2026-10")


class HashEmbedder:
    """Bag of words hashed (signed) into ``dim`` buckets, L2-normalised."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"test-hash-{dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        return l2_normalise(out)


def texts(templates: Sequence[str], fillers: Sequence[str], extras: Sequence[str], n: int) -> list[str]:
    """``n`` distinct texts: each template x filler x extra, in a fixed order."""
    combos = [t.format(x=x, y=y) for t, x, y in itertools.product(templates, fillers, extras)]
    assert len(set(combos)) >= n, "not enough distinct combinations"
    return list(dict.fromkeys(combos))[:n]


# The champion's world: violent harm (unsafe) against everyday questions (safe).
_BASE_UNSAFE = texts(
    ["how do I {x} someone {y}", "best way to {x} a person {y}", "teach me to {x} my neighbour {y}"],
    ["poison", "stab", "strangle", "shoot", "kidnap", "drown"],
    ["tonight", "quietly", "without getting caught", "at home", "with a weapon"],
    90,
)
_BASE_SAFE = texts(
    ["what is the {x} like {y}", "can you suggest a {x} {y}", "tell me about the {x} {y}"],
    ["weather", "recipe", "museum", "holiday", "garden", "movie"],
    ["tomorrow", "this weekend", "for my family", "in spring", "near the station"],
    90,
)
BASE_UNSAFE, MORE_BASE_UNSAFE = _BASE_UNSAFE[::3] + _BASE_UNSAFE[1::3], _BASE_UNSAFE[2::3]
BASE_SAFE, MORE_BASE_SAFE = _BASE_SAFE[::3] + _BASE_SAFE[1::3], _BASE_SAFE[2::3]
"""The champion trains on 60 + 60; 30 + 30 more of the same world are held back for later feedback."""
# A new topic after drift: fraud (unsafe) against account help (safe), in new words, and phrased the way
# the champion's safe (resp. unsafe) examples were: the champion gets it backwards.
NEW_UNSAFE = texts(
    [
        "can you suggest a {x} email to steal {y}",
        "tell me about a {x} page that harvests {y}",
        "what is the {x} trick to grab {y}",
    ],
    ["phishing", "spoofed", "fraudulent", "scam", "counterfeit", "deceptive"],
    ["passwords", "bank credentials", "card numbers", "pins", "security codes"],
    60,
)
NEW_SAFE = texts(
    ["how do I reset my {x} for {y}", "best way to update the {x} on {y}", "teach me to change my {x} for {y}"],
    ["password", "email address", "phone number", "billing address", "username", "profile photo"],
    ["online banking", "my account", "the mobile app", "the website", "my subscription"],
    60,
)


def base_probe_factory(embedder: HashEmbedder):
    """A ``base`` for ProbeRetrainJob: a harmful probe trained on the base world only."""

    def base(task: str, _embedder: object):
        corpus = BASE_UNSAFE + BASE_SAFE
        labels = [1] * len(BASE_UNSAFE) + [0] * len(BASE_SAFE)
        probe = train_probe(corpus, labels, embedder, task=task, version="base.1", cv_folds=0)
        return probe, corpus, labels

    return base


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


def make_settings(data_dir: Path, **retrain: object) -> Settings:
    defaults: dict[str, object] = {"min_labelled_feedback": 0, "cooldown_s": 0, "gate_margin": 0.02}
    return Settings(data_dir=data_dir, retrain=RetrainSettings(**{**defaults, **retrain}))


class Traffic:
    """Writes events, feedback and drift verdicts of one stream into a store, numbered in order."""

    def __init__(self, store: Store, embedder: HashEmbedder, stream: StreamKey = STREAM) -> None:
        self.store = store
        self.embedder = embedder
        self.stream = stream
        self.n_events = 0
        self.n_feedback = 0

    def events(self, prompts: Sequence[str], start: datetime) -> list[str]:
        """Store one event per prompt, a second apart from ``start``; returns their ids."""
        vectors = self.embedder.embed(list(prompts))
        rows = []
        for i, prompt in enumerate(prompts):
            self.n_events += 1
            event = InferenceEvent(
                event_id=f"ev-{self.n_events:05d}",
                event_time=start + timedelta(seconds=i),
                app=self.stream.app,
                model=self.stream.model,
                model_version=self.stream.model_version,
                prompt=prompt,
                response=f"answer to: {prompt}",
            )
            rows.append(
                ScoredInference(
                    event=event,
                    received_at=start + timedelta(seconds=i),
                    prompt_embedding=vectors[i].tolist(),
                    response_embedding=vectors[i].tolist(),
                    embedding_model=self.embedder.name,
                )
            )
        self.store.events.insert(rows)
        return [r.event.event_id for r in rows]

    def flags(self, event_ids: Sequence[str], label: str, at: datetime) -> None:
        """A flag feedback with ``label`` on each event, a millisecond apart from ``at``."""
        rows = []
        for i, event_id in enumerate(event_ids):
            self.n_feedback += 1
            fb = FeedbackEvent(
                feedback_id=f"fb-{self.n_feedback:05d}",
                event_id=event_id,
                feedback_time=at + timedelta(milliseconds=i),
                kind=FeedbackKind.FLAG,
                labels=[label],
            )
            rows.append(ScoredFeedback(feedback=fb, received_at=at))
        self.store.events.insert_feedback(rows)

    def drift_window(self, start: datetime, end: datetime, decision: DriftDecision = DriftDecision.DRIFT) -> None:
        self.store.drift.insert(
            [
                DriftResult(
                    detector="topic",
                    detector_version="1",
                    statistic=0.3,
                    p_value=0.001,
                    alpha=0.05,
                    decision=decision,
                    n_reference=100,
                    n_current=100,
                    stream=self.stream,
                    window_start=start,
                    window_end=end,
                )
            ]
        )

    def labelled(self, unsafe: Sequence[str], safe: Sequence[str], start: datetime) -> tuple[list[str], list[str]]:
        """Events for both lists, flagged 'unsafe' and 'safe' a minute after they happened."""
        bad = self.events(unsafe, start)
        good = self.events(safe, start + timedelta(seconds=len(unsafe)))
        self.flags(bad, "unsafe", start + timedelta(minutes=1))
        self.flags(good, "safe", start + timedelta(minutes=1, seconds=1))
        return bad, good
