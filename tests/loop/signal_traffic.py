"""Synthetic calls with latency, tokens, cost, safety scores and feedback, window by window.

With ``exact`` (tests), rates are exact per window (a window's refusals are exactly ``refusal`` of its
calls, at random places), so a test asserts what the rules decide at a given effect size; without it
(``bench/monitor.py``) each call draws its outcomes independently. Continuous values are always drawn
from the seeded generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from infra.store import Store
from schemas import (
    FeedbackEvent,
    InferenceEvent,
    SafetyScore,
    SafetyTarget,
    ScoredFeedback,
    ScoredInference,
    StreamKey,
)


@dataclass(frozen=True)
class Calls:
    """What one window of a stream looks like."""

    n: int = 400
    latency_factor: float = 1.0
    cost_factor: float = 1.0
    refusal: float = 0.03
    jailbreak: float = 0.005
    feedback: float = 0.25
    """Share of calls with thumbs feedback."""
    thumbs_down: float = 0.12
    """Share of thumbs that are down."""


def _mask(share: float, n: int, rng: np.random.Generator, exact: bool) -> np.ndarray:
    """``n`` outcomes: exactly ``round(share * n)`` true at random places, or each true with ``share``."""
    if not exact:
        return rng.random(n) < share
    mask = np.zeros(n, dtype=bool)
    mask[: round(share * n)] = True
    return rng.permutation(mask)


def write_calls(
    store: Store,
    stream: StreamKey,
    t0: datetime,
    window_s: float,
    plan: list[Calls | None],
    seed: int = 0,
    *,
    exact: bool = True,
    embedding_dim: int = 0,
) -> None:
    """Store each planned window's calls (None: no calls) with their safety scores and thumbs feedback.

    With ``embedding_dim``, prompts and responses get random (stable) embeddings for the drift tests.
    """
    rng = np.random.default_rng(seed)
    rows: list[ScoredInference] = []
    feedback: list[ScoredFeedback] = []
    for w, calls in enumerate(plan):
        if calls is None:
            continue
        start = t0 + timedelta(seconds=w * window_s)
        refused = _mask(calls.refusal, calls.n, rng, exact)
        jailbreak = _mask(calls.jailbreak, calls.n, rng, exact)
        with_feedback = _mask(calls.feedback, calls.n, rng, exact)
        down = iter(_mask(calls.thumbs_down, int(with_feedback.sum()), rng, exact))
        for i in range(calls.n):
            when = start + timedelta(seconds=window_s * (i + 0.5) / calls.n)
            event_id = f"{stream.app}-{w}-{i}"
            tokens_in = int(rng.integers(50, 150))
            tokens_out = int(rng.integers(80, 240))
            event = InferenceEvent(
                event_id=event_id,
                event_time=when,
                app=stream.app,
                model=stream.model,
                model_version=stream.model_version,
                prompt=f"question {i}",
                response="x" * tokens_out,
                latency_ms=float(rng.lognormal(np.log(800), 0.4)) * calls.latency_factor,
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                cost_usd=(tokens_in * 1e-6 + tokens_out * 3e-6) * calls.cost_factor,
            )
            scores = [
                _score(event_id, "refusal", SafetyTarget.RESPONSE, bool(refused[i])),
                _score(event_id, "jailbreak", SafetyTarget.PROMPT, bool(jailbreak[i])),
                _score(event_id, "relevance", SafetyTarget.PAIR, False, score=float(rng.uniform(0.4, 0.9))),
            ]
            vectors = {}
            if embedding_dim:
                vectors = {
                    "prompt_embedding": rng.normal(size=embedding_dim).astype(np.float32).tolist(),
                    "response_embedding": rng.normal(size=embedding_dim).astype(np.float32).tolist(),
                    "embedding_model": "synthetic",
                }
            rows.append(ScoredInference(event=event, received_at=when, safety=scores, **vectors))
            if with_feedback[i]:
                thumb = FeedbackEvent(
                    feedback_id=f"fb-{event_id}",
                    event_id=event_id,
                    feedback_time=when + timedelta(seconds=1),
                    kind="thumbs",
                    value=-1 if next(down) else 1,
                )
                feedback.append(ScoredFeedback(feedback=thumb, received_at=when))
    store.events.insert(rows)
    if feedback:
        store.events.insert_feedback(feedback)


def _score(event_id: str, detector: str, target: SafetyTarget, breached: bool, score: float = 0.0) -> SafetyScore:
    return SafetyScore(
        event_id=event_id,
        detector=detector,
        detector_version="test",
        target=target,
        score=score if score else float(breached),
        threshold=0.5,
        breached=breached,
    )
