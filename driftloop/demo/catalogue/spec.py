"""The shapes of the demo catalogue: apps, deployments, models and topics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Slots = Mapping[str, tuple[str, ...]]
Weighted = tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class Topic:
    """One subject users ask an app about."""

    name: str
    prompts: tuple[str, ...]
    responses: tuple[str, ...]
    slots: Slots = field(default_factory=dict)
    weight: float = 1.0
    """Relative share of the app's traffic."""
    thumbs_down: float = 0.12
    """Probability that feedback on an answer in this topic is negative, before any effect."""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Prices and speed of one model (fictional, plausible numbers)."""

    name: str
    usd_per_mtok_in: float
    usd_per_mtok_out: float
    latency_median_ms: float
    """Median time to the first token."""
    latency_sigma: float
    """Sigma of the log-normal time to the first token."""
    ms_per_output_token: float


@dataclass(frozen=True, slots=True)
class Deployment:
    """A model version serving part of an app's traffic."""

    model: str
    version: str
    weight: float


@dataclass(frozen=True, slots=True)
class AppSpec:
    """One demo application."""

    name: str
    weight: float
    """Relative share of all demo traffic."""
    system_prompt_tokens: int
    deployments: tuple[Deployment, ...]
    topics: tuple[Topic, ...]
    new_topics: tuple[Topic, ...]
    """Topics the app never sees before a topic shift starts."""
    slots: Slots
    """Slot values shared by all the app's topics."""
    refusals: tuple[str, ...]
    out_of_scope: tuple[str, ...]
    """What the app tends to answer to questions on its new topics, some of the time."""
    closers: tuple[str, ...]
    """Optional last sentence of an answer ('' for none)."""
    tiers: Weighted
    channels: Weighted
