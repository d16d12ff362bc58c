"""Drift results: one per (stream, window, detector), the same shape for every method."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.errors import InvalidStreamKey


class StreamKey(BaseModel):
    """The unit of monitoring: one model version of one application."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    app: str
    model: str
    model_version: str

    def __str__(self) -> str:
        return f"{self.app}/{self.model}@{self.model_version}"

    @classmethod
    def parse(cls, text: str, app: str | None = None) -> StreamKey:
        """``APP/MODEL@VERSION``, how a stream prints, as a key; with ``app`` given, ``MODEL@VERSION`` of that app.

        The app ends at the first ``/`` and the version starts after the last ``@``, so a model name
        may hold either (``meta-llama/Llama-3.1-8B``, ``claude-3-5-sonnet@20240620``).

        >>> StreamKey.parse("support-bot/gpt-x@2026-10")
        StreamKey(app='support-bot', model='gpt-x', model_version='2026-10')
        >>> StreamKey.parse("org/name@2024-06@3", app="bank")
        StreamKey(app='bank', model='org/name@2024-06', model_version='3')
        >>> StreamKey.parse("support-bot@2026-10")
        Traceback (most recent call last):
        ...
        schemas.errors.InvalidStreamKey: expected APP/MODEL@VERSION, got 'support-bot@2026-10'
        """
        grammar = "APP/MODEL@VERSION" if app is None else "MODEL@VERSION"
        rest = text.strip()
        if app is None:
            app, _, rest = rest.partition("/")
        model, _, version = rest.rpartition("@")
        if not (app and model and version):
            raise InvalidStreamKey(f"expected {grammar}, got {text!r}")
        return cls(app=app, model=model, model_version=version)


class DriftDecision(StrEnum):
    DRIFT = "drift"
    NO_DRIFT = "no_drift"
    INSUFFICIENT_DATA = "insufficient_data"
    """Fewer samples than the detector's minimum: no decision is made."""


class ClusterShift(BaseModel):
    """A topic cluster of the reference whose share moved in the current window."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster: int
    reference_share: float = Field(ge=0, le=1)
    current_share: float = Field(ge=0, le=1)
    examples: list[str] = Field(default_factory=list, description="Current-window texts nearest the centroid.")

    @property
    def change(self) -> float:
        return self.current_share - self.reference_share


class DriftResult(BaseModel):
    """A detector's verdict on a current sample against its reference.

    ``p_value`` is the raw p-value of the test; ``adjusted_p_value`` is set once a
    multiple-testing correction across a window's tests has been applied, and the
    decision then follows the adjusted value.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    detector: str
    detector_version: str
    feature: str = Field(
        default="prompt_embedding", description="What was tested, e.g. 'prompt_embedding', 'latency_ms'."
    )
    statistic: float
    p_value: float | None = Field(default=None, ge=0, le=1)
    adjusted_p_value: float | None = Field(default=None, ge=0, le=1)
    alpha: float = Field(gt=0, lt=1)
    threshold: float | None = Field(default=None, description="Statistic threshold, for methods without a p-value.")
    decision: DriftDecision
    n_reference: int = Field(ge=0)
    n_current: int = Field(ge=0)
    explanation: str = ""
    clusters: list[ClusterShift] = Field(default_factory=list)
    config: dict[str, Any] = Field(default_factory=dict, description="Resolved settings the detector ran with.")
    stream: StreamKey | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    reference_start: datetime | None = None
    reference_end: datetime | None = None


class DriftTesting(BaseModel):
    """The level and permutation count of the embedding drift tests.

    The one place these defaults live: the detectors of ``detectors.drift`` default to them, and the
    service's ``drift`` settings are built on this model.

    >>> DriftTesting().alpha
    0.05
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    alpha: float = Field(
        default=0.05, gt=0, lt=1, description="A result is DRIFT when its (corrected) p-value is at most this."
    )
    permutations: int = Field(default=1000, ge=50, description="Permutations of the permutation tests.")


DEFAULT_DRIFT_TESTING = DriftTesting()
