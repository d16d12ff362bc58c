"""The ``monitor.signals`` section: which per-window signals are watched, and the rules that decide them.

Every signal of :data:`SignalName` is watched by default with a *change* rule (against the stream's
reference, the same pinned or trailing windows as embedding drift): a calibrated test at ``drift.alpha``
after the window's correction, and an effect at least ``min_effect`` in the worse direction. *Threshold*
rules (``above`` / ``below``) are off until set. ``rules`` set either per stream glob
(``APP/MODEL@VERSION``, fnmatch): every matching rule applies in order, the later one winning per field.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Literal, NamedTuple, get_args

from pydantic import Field, field_validator

from infra.settings.sections import SettingsSection

SignalName = Literal[
    "thumbs_down_rate",
    "flag_rate",
    "correction_rate",
    "mean_rating",
    "refusal_rate",
    "jailbreak_rate",
    "harmful_request_rate",
    "toxicity_rate",
    "pii_rate",
    "low_relevance_rate",
    "relevance_median",
    "latency_p50",
    "latency_p95",
    "tokens_in",
    "tokens_out",
    "cost_per_call",
    "response_length",
    "volume",
    "feedback_coverage",
    "silence",
]
SIGNAL_NAMES: tuple[str, ...] = get_args(SignalName)

DEFAULT_MIN_EFFECT: dict[str, float] = {
    "thumbs_down_rate": 0.03,
    "flag_rate": 0.02,
    "correction_rate": 0.02,
    "mean_rating": 0.1,
    "refusal_rate": 0.03,
    "jailbreak_rate": 0.01,
    "harmful_request_rate": 0.01,
    "toxicity_rate": 0.01,
    "pii_rate": 0.01,
    "low_relevance_rate": 0.05,
    "relevance_median": 0.1,
    "latency_p50": 0.2,
    "latency_p95": 0.2,
    "tokens_in": 0.3,
    "tokens_out": 0.3,
    "cost_per_call": 0.2,
    "response_length": 0.3,
    "volume": 0.5,
}
"""Change-rule floors: absolute (rate points) for rates, relative (0.2 = 20%) for the other signals (for
``volume`` either way: a drop or a spike of at least half the reference's events per window)."""

_PART = r"[A-Za-z0-9._:\-*?\[\]!]+"
_STREAM_GLOB = re.compile(rf"^(\*|{_PART}/{_PART}@{_PART})$")


def stream_glob_error(pattern: str) -> str | None:
    """Why ``pattern`` is not a stream glob, or None.

    >>> stream_glob_error("support-bot/*@*") is None
    True
    >>> stream_glob_error("support-bot")
    "stream pattern 'support-bot' is not '*' or APP/MODEL@VERSION (each part a glob)"
    """
    if not _STREAM_GLOB.match(pattern):
        return f"stream pattern {pattern!r} is not '*' or APP/MODEL@VERSION (each part a glob)"
    if pattern.count("[") != pattern.count("]"):
        return f"stream pattern {pattern!r} has unbalanced brackets"
    return None


class SignalRule(SettingsSection):
    """Settings of one signal on the streams matching ``streams``; fields left unset keep what applies."""

    signal: SignalName
    streams: str = Field(default="*", description="fnmatch glob on APP/MODEL@VERSION; '*' is every stream.")
    change: bool | None = Field(default=None, description="False: no change rule for these streams.")
    min_effect: float | None = Field(default=None, ge=0, description="The change rule's effect floor.")
    above: float | None = Field(default=None, description="Threshold rule: breach when the value is above.")
    below: float | None = Field(default=None, description="Threshold rule: breach when the value is below.")

    @field_validator("streams")
    @classmethod
    def _glob(cls, value: str) -> str:
        if (error := stream_glob_error(value)) is not None:
            raise ValueError(error)
        return value

    def matches(self, stream: str) -> bool:
        return fnmatchcase(stream, self.streams)


class ResolvedRule(NamedTuple):
    change: bool
    """Whether the change rule runs (for ``silence``: whether silence is watched)."""
    min_effect: float
    above: float | None
    below: float | None
