"""Loop fixtures: one chdb data directory per module (held open), a fresh database per test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from infra.settings import AlertPolicySettings, DriftSettings, DriftTestSpec, MonitorSettings, Settings
from infra.store import Store
from monitor.windows import floor_time
from schemas import StreamKey
from tests.loop.traffic import Topics

WINDOW_S = 10
PER_WINDOW = 100


@pytest.fixture
def t0() -> datetime:
    """Start of the synthetic traffic: an hour ago, on a window boundary (a compressed, past clock)."""
    return floor_time(datetime.now(UTC) - timedelta(hours=1), WINDOW_S)


def loop_settings(data_dir: Path, **monitor: object) -> Settings:
    """10-second windows, small samples and fast tests: a compressed clock."""
    base: dict = {
        "grace_s": 0,
        "trailing_windows": 3,
        "tests": [
            DriftTestSpec(detector="topic", params={"n_clusters": 4, "n_init": 1}),
            DriftTestSpec(detector="nearest_neighbour"),
        ],
        "default_policy": AlertPolicySettings(fire_after=2, resolve_after=2, min_count=30, cooldown_s=0),
        "report_max_rows": 300,
    }
    base.update(monitor)
    return Settings(
        data_dir=data_dir,
        drift=DriftSettings(window_s=WINDOW_S, min_samples=30, permutations=200),
        monitor=MonitorSettings(**base),
    )


@pytest.fixture
def write_traffic(store: Store, t0: datetime) -> Callable[..., None]:
    """Store ``PER_WINDOW`` events per window: ``plan`` lists each window's topics (None: an empty window)."""
    topics = Topics()

    def write(stream: StreamKey, plan: list[list[int] | None], *, seed: int = 0, per_window: int = PER_WINDOW) -> None:
        rng = np.random.default_rng(seed)
        rows = []
        for w, window_topics in enumerate(plan):
            if window_topics:
                start = t0 + timedelta(seconds=w * WINDOW_S)
                rows.extend(topics.events(stream, start, WINDOW_S, per_window, window_topics, rng))
        store.events.insert(rows)

    return write
