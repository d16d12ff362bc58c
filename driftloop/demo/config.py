"""Controls of the demo traffic generator.

A moment in the stream (``shift_at``, ``unsafe_at``, ``pii_at``, effects' ``at``) is either an event time
or an inference index (0 for the first call generated); ``None`` means from the start.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from driftloop.demo.catalogue import catalogue

Moment = int | datetime
"""An inference index (``int``, counted from 0) or an event time."""

DEFAULT_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DEFAULT_COUNT = 1000


def _utc(value: Moment | None) -> Moment | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SegmentEffect(_Frozen):
    """Calls whose tag ``tag`` equals ``value`` get ``thumbs_down`` added to their negative-feedback probability.

    ``app`` limits the effect to one app; ``at`` makes it start later (a segment that gets worse).
    """

    tag: str = Field(min_length=1)
    value: str
    thumbs_down: float = Field(ge=-1, le=1)
    app: str | None = None
    at: Moment | None = None

    _at_utc = field_validator("at")(lambda cls, v: _utc(v))


class VersionEffect(_Frozen):
    """Calls served by ``model_version`` of ``app`` get worse (or better) feedback and latency."""

    app: str
    model_version: str
    thumbs_down: float = Field(default=0.0, ge=-1, le=1)
    """Added to the negative-feedback probability."""
    latency_factor: float = Field(default=1.0, gt=0, le=100)
    """Multiplies the latency."""
    refusal_rate: float | None = Field(default=None, ge=0, le=1)
    """Replaces the config's ``refusal_rate`` for this version."""
    at: Moment | None = None

    _at_utc = field_validator("at")(lambda cls, v: _utc(v))


class DemoConfig(_Frozen):
    """Everything that shapes the demo traffic; the same config and seed give the same stream.

    >>> DemoConfig(count=10).count
    10
    >>> DemoConfig(shift_at=500, shift_fraction=0.2).shift_at
    500
    >>> DemoConfig().count, DemoConfig(duration_s=60).count, DemoConfig(count=None).count
    (1000, None, None)
    >>> try:
    ...     DemoConfig(unsafe_fraction=0.7, shift_fraction=0.5)
    ... except ValueError as error:
    ...     print("rejected:", error.errors()[0]["msg"])
    rejected: Value error, unsafe_fraction + shift_fraction must not exceed 1 (each call is one or the other)
    """

    seed: int = 0
    rate: float = Field(default=20.0, gt=0, le=1_000_000, description="Inference events per second of event time.")
    start: datetime = DEFAULT_START
    count: int | None = Field(
        default=None,
        ge=0,
        description="Number of inference events: 1000 unless duration_s is set; an explicit None never stops.",
    )
    duration_s: float | None = Field(default=None, gt=0, description="Event-time span; stops at count or here.")
    arrivals: Literal["poisson", "even"] = "poisson"
    apps: tuple[str, ...] | None = Field(default=None, description="Apps to include (default: all).")
    app_weights: dict[str, float] = Field(default_factory=dict, description="Overrides the catalogue's shares.")
    deployment_weights: dict[str, float] = Field(
        default_factory=dict,
        description="Overrides the traffic share of a deployment, keyed 'app/model/version' (0 turns it off).",
    )
    users_per_app: int = Field(default=400, ge=1)
    mean_session_turns: float = Field(default=3.0, ge=1, description="Mean number of calls in a session.")
    topic_stickiness: float = Field(default=0.6, ge=0, le=1, description="P(next turn keeps the session's topic).")
    lowercase_fraction: float = Field(default=0.12, ge=0, le=1, description="Prompts typed all in lowercase.")

    shift_at: Moment | None = None
    shift_fraction: float = Field(default=0.0, ge=0, le=1, description="Share of prompts on new topics.")
    shift_apps: tuple[str, ...] | None = Field(default=None, description="Apps that see the shift (default: all).")
    shifted_out_of_scope: float = Field(
        default=0.5, ge=0, le=1, description="P(the app deflects a new-topic prompt instead of answering it)."
    )
    unsafe_at: Moment | None = None
    unsafe_fraction: float = Field(default=0.0, ge=0, le=1)
    unsafe_refusal_rate: float = Field(
        default=0.85, ge=0, le=1, description="P(a jailbreak or injection attempt is refused)."
    )
    pii_at: Moment | None = None
    pii_fraction: float = Field(default=0.0, ge=0, le=1, description="Share of responses that leak fake PII.")
    refusal_rate: float = Field(default=0.02, ge=0, le=1, description="Share of ordinary prompts refused.")

    feedback_fraction: float = Field(default=0.3, ge=0, le=1, description="Share of calls that get feedback.")
    feedback_before_fraction: float = Field(
        default=0.05, ge=0, le=1, description="Share of feedback published before its inference."
    )
    feedback_unknown_fraction: float = Field(
        default=0.02, ge=0, le=1, description="Share of feedback naming an event id that was never published."
    )
    feedback_delay_median_s: float = Field(default=40.0, gt=0)
    feedback_delay_sigma: float = Field(default=1.0, ge=0, le=5)
    publish_hold_s: float = Field(
        default=15.0, gt=0, description="How late an inference is published when its feedback comes first."
    )
    thumbs_down_scale: float = Field(default=1.0, ge=0, description="Multiplies every topic's base probability.")
    thumbs_down_shifted: float = Field(default=0.45, ge=0, le=1, description="P(negative) on new-topic calls.")
    thumbs_down_refusal: float = Field(default=0.6, ge=0, le=1)
    thumbs_down_unsafe: float = Field(default=0.5, ge=0, le=1)
    thumbs_down_pii: float = Field(default=0.4, ge=0, le=1)
    segment_effects: tuple[SegmentEffect, ...] = ()
    version_effects: tuple[VersionEffect, ...] = ()

    _moments_utc = field_validator("shift_at", "unsafe_at", "pii_at")(lambda cls, v: _utc(v))

    @field_validator("start")
    @classmethod
    def _start_utc(cls, value: datetime) -> datetime:
        return _utc(value)  # type: ignore[return-value]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.unsafe_fraction + self.shift_fraction > 1:
            raise ValueError("unsafe_fraction + shift_fraction must not exceed 1 (each call is one or the other)")
        if self.feedback_before_fraction + self.feedback_unknown_fraction > 1:
            raise ValueError("feedback_before_fraction + feedback_unknown_fraction must not exceed 1")
        specs = catalogue().apps
        known = {app.name: app for app in specs}
        named = [
            *(self.apps or ()),
            *(self.shift_apps or ()),
            *self.app_weights,
            *(e.app for e in self.version_effects),
            *(e.app for e in self.segment_effects if e.app is not None),
        ]
        unknown = sorted({name for name in named if name not in known})
        if unknown:
            raise ValueError(f"unknown demo apps {unknown}; known: {sorted(known)}")
        versions = {(a.name, d.version) for a in specs for d in a.deployments}
        unknown = sorted(
            f"{e.app}/{e.model_version}" for e in self.version_effects if (e.app, e.model_version) not in versions
        )
        if unknown:
            raise ValueError(f"version effects name unknown versions {unknown}")
        deployments = {f"{a.name}/{d.model}/{d.version}" for a in specs for d in a.deployments}
        unknown = sorted(set(self.deployment_weights) - deployments)
        if unknown:
            raise ValueError(f"unknown deployments {unknown}; known: {sorted(deployments)}")
        return self

    @model_validator(mode="before")
    @classmethod
    def _default_length(cls, data: object) -> object:
        if isinstance(data, dict) and "count" not in data and data.get("duration_s") is None:
            return {**data, "count": DEFAULT_COUNT}
        return data
