"""The generator's seeded draws: uniform and weighted choice, and gates that open at a moment of the stream.

>>> import random
>>> rng = random.Random(1)
>>> pick(rng, ["a", "b", "c"]) in "abc"
True
>>> Picker([("never", 0.0), ("always", 2.0)])(rng)
'always'
>>> from datetime import UTC, datetime
>>> gate = Gate(100, datetime(2026, 1, 5, tzinfo=UTC))
>>> gate.open(99, 0.0), gate.open(100, 0.0)
(False, True)
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from datetime import datetime
from itertools import accumulate
from typing import Generic, TypeVar

from driftloop.demo.config import Moment

T = TypeVar("T")


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """``rng.choice`` without its overhead (the generator calls it a dozen times per event)."""
    return items[int(rng.random() * len(items))]


class Picker(Generic[T]):
    """Weighted choice by bisection over cumulative weights (faster than ``random.choices`` per call)."""

    __slots__ = ("items", "cumulative", "total")

    def __init__(self, weighted: Sequence[tuple[T, float]]) -> None:
        kept = [(item, w) for item, w in weighted if w > 0]
        if not kept:
            raise ValueError("nothing to choose from: every weight is zero")
        self.items = [item for item, _ in kept]
        self.cumulative = list(accumulate(w for _, w in kept))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> T:
        return self.items[bisect(self.cumulative, rng.random() * self.total)]


class Gate:
    """Whether a moment (inference index or event time) has been reached; ``None`` is open from the start."""

    __slots__ = ("index", "offset_s")

    def __init__(self, moment: Moment | None, start: datetime) -> None:
        self.index = moment if isinstance(moment, int) else None
        self.offset_s = (moment - start).total_seconds() if isinstance(moment, datetime) else None

    def open(self, index: int, t: float) -> bool:
        """Open at inference ``index``, ``t`` seconds after the stream's start."""
        if self.index is not None:
            return index >= self.index
        return self.offset_s is None or t >= self.offset_s
