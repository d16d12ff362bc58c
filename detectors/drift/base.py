"""The contract every embedding drift detector meets.

A subclass implements only its score: ``_fit`` learns from the reference and ``_score`` returns an
:class:`Outcome` (statistic and p-value, or a statistic and a threshold for methods without a p-value).
The base validates inputs, enforces minimum sample sizes, turns the outcome into a
:class:`~schemas.DriftDecision` at ``alpha``, and stamps detector name, version and resolved config into
the :class:`~schemas.DriftResult`.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np

from schemas.drift import DEFAULT_DRIFT_TESTING, ClusterShift, DriftDecision, DriftResult
from schemas.errors import DetectorNotFittedError


@dataclass(frozen=True)
class Outcome:
    """What a detector's score computation returns to the base class.

    Exactly one of ``p_value`` (a calibrated test) or ``drift`` (a method that compares its statistic
    with a fixed or data-derived threshold and has no p-value) is set.
    """

    statistic: float
    p_value: float | None = None
    drift: bool | None = None
    threshold: float | None = None
    explanation: str = ""
    clusters: list[ClusterShift] = field(default_factory=list)


def decide(p_value: float, alpha: float) -> DriftDecision:
    """DRIFT when ``p_value <= alpha``.

    Examples
    --------
    >>> decide(0.01, 0.05).value, decide(0.2, 0.05).value
    ('drift', 'no_drift')
    """
    return DriftDecision.DRIFT if p_value <= alpha else DriftDecision.NO_DRIFT


def as_matrix(x: Any, name: str) -> np.ndarray:
    """Validate a 2-D finite sample of embeddings and return it as float32 (a copy only if needed)."""
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, dim), got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


class DriftDetector(ABC):
    """Base class: ``fit(reference) -> Self``, ``test(current) -> DriftResult``.

    Parameters
    ----------
    alpha
        Significance level: DRIFT when the p-value is at most ``alpha``.
    min_reference, min_current
        Below these sample sizes the result is INSUFFICIENT_DATA and no test is run.
    seed
        Seeds the ``np.random.Generator`` used by ``fit`` and by every ``test`` call, so results depend
        only on the data and the settings.
    feature
        What is being tested, stamped into results (e.g. ``"prompt_embedding"``).
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    default_min_reference: ClassVar[int] = 30
    default_min_current: ClassVar[int] = 30

    def __init__(
        self,
        *,
        alpha: float = DEFAULT_DRIFT_TESTING.alpha,
        min_reference: int | None = None,
        min_current: int | None = None,
        seed: int = 0,
        feature: str = "prompt_embedding",
    ) -> None:
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {alpha}")
        self.alpha = alpha
        self.min_reference = self.default_min_reference if min_reference is None else min_reference
        self.min_current = self.default_min_current if min_current is None else min_current
        if self.min_reference < 2 or self.min_current < 2:
            raise ValueError("min_reference and min_current must be at least 2")
        self.seed = seed
        self.feature = feature
        self._reference: np.ndarray | None = None
        self._resolved: dict[str, Any] = {}

    # ---- what subclasses implement -------------------------------------------------------------------

    @abstractmethod
    def _fit(self, reference: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> None:
        """Learn from a reference of at least ``min_reference`` rows."""

    @abstractmethod
    def _score(self, current: np.ndarray, texts: Sequence[str] | None, rng: np.random.Generator) -> Outcome:
        """Score a current sample of at least ``min_current`` rows against the fitted reference."""

    # ---- the contract -------------------------------------------------------------------------------

    def fit(self, reference: np.ndarray, texts: Sequence[str] | None = None) -> Self:
        """Fit on the reference sample (rows are embeddings); ``texts`` are the matching raw texts, if any."""
        ref = as_matrix(reference, "reference")
        _check_texts(texts, len(ref), "reference")
        self._reference = ref
        self._resolved = {}
        if len(ref) >= self.min_reference:
            self._fit(ref, texts, self._rng(0))
        return self

    def test(self, current: np.ndarray, texts: Sequence[str] | None = None) -> DriftResult:
        """Test the current sample against the reference and return a typed result."""
        if self._reference is None:
            raise DetectorNotFittedError(f"{type(self).__name__}.test called before fit")
        cur = as_matrix(current, "current")
        _check_texts(texts, len(cur), "current")
        if cur.shape[1] != self._reference.shape[1]:
            raise ValueError(f"current has dim {cur.shape[1]}, reference has dim {self._reference.shape[1]}")
        n_ref, n_cur = len(self._reference), len(cur)
        if n_ref < self.min_reference or n_cur < self.min_current:
            return self._result(
                Outcome(statistic=0.0),
                DriftDecision.INSUFFICIENT_DATA,
                n_cur,
                explanation=(
                    f"insufficient data: n_reference={n_ref} (min {self.min_reference}), "
                    f"n_current={n_cur} (min {self.min_current}); no test was run"
                ),
            )
        outcome = self._score(cur, texts, self._rng(1))
        if outcome.p_value is not None:
            decision = decide(outcome.p_value, self.alpha)
        else:
            decision = DriftDecision.DRIFT if outcome.drift else DriftDecision.NO_DRIFT
        return self._result(outcome, decision, n_cur, explanation=outcome.explanation)

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments as set on this instance (like scikit-learn's ``get_params``)."""
        params: dict[str, Any] = {}
        for cls in type(self).__mro__:
            init = cls.__dict__.get("__init__")
            if init is None:
                continue
            for pname, p in inspect.signature(init).parameters.items():
                if pname == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                    continue
                if hasattr(self, pname):
                    params.setdefault(pname, getattr(self, pname))
        return params

    @property
    def config(self) -> dict[str, Any]:
        """Resolved settings: constructor arguments plus data-derived values fixed by ``fit``/``test``."""
        return {**self.get_params(), **self._resolved}

    # ---- helpers ------------------------------------------------------------------------------------

    @property
    def reference(self) -> np.ndarray:
        if self._reference is None:
            raise DetectorNotFittedError(f"{type(self).__name__} is not fitted")
        return self._reference

    def _rng(self, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, stream])

    def _result(self, outcome: Outcome, decision: DriftDecision, n_current: int, *, explanation: str) -> DriftResult:
        return DriftResult(
            detector=self.name,
            detector_version=self.version,
            feature=self.feature,
            statistic=float(outcome.statistic),
            p_value=None if outcome.p_value is None else float(np.clip(outcome.p_value, 0.0, 1.0)),
            alpha=self.alpha,
            threshold=outcome.threshold,
            decision=decision,
            n_reference=len(self.reference),
            n_current=n_current,
            explanation=explanation,
            clusters=outcome.clusters,
            config=_jsonable(self.config),
        )


def _check_texts(texts: Sequence[str] | None, n: int, name: str) -> None:
    if texts is not None and len(texts) != n:
        raise ValueError(f"{name} texts has {len(texts)} items for {n} embeddings")


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out
