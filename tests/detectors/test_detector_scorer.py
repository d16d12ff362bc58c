"""The consumer batch's scorer: chunked, overlapped scoring returns exactly what one pass returns."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from consumers.detector_scorer import DetectorScorer
from detectors.embedding import build_embedder
from detectors.safety import SafetySuite
from driftloop.demo import DemoConfig, generate

pytestmark = pytest.mark.slow


def test_chunked_scoring_matches_one_pass_in_order():
    embedder = build_embedder("fp32", cache_size=0)
    suite = SafetySuite.default(embedder)
    config = DemoConfig(seed=5, count=60, start=datetime.now(UTC), unsafe_at=0, unsafe_fraction=0.3)
    events = [item.event for item in generate(config) if item.event is not None]

    one_pass = DetectorScorer(embedder, suite, chunk_size=len(events)).score(events)
    chunked = DetectorScorer(embedder, suite, chunk_size=7).score(events)

    assert [row.event.event_id for row in chunked] == [event.event_id for event in events]
    for whole, part in zip(one_pass, chunked, strict=True):
        np.testing.assert_allclose(part.prompt_embedding, whole.prompt_embedding, atol=1e-5)
        np.testing.assert_allclose(part.response_embedding, whole.response_embedding, atol=1e-5)
        assert [(s.detector, s.target, s.breached) for s in part.safety] == [
            (s.detector, s.target, s.breached) for s in whole.safety
        ]
        assert [s.score for s in part.safety] == pytest.approx([s.score for s in whole.safety], abs=1e-4)
    assert any(score.breached for row in chunked for score in row.safety)
    assert DetectorScorer(embedder, suite).score([]) == []
    with pytest.raises(ValueError, match="chunk_size"):
        DetectorScorer(embedder, suite, chunk_size=0)
