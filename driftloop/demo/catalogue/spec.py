"""The shapes of the demo catalogue: apps, deployments, models, topics, shared and unsafe texts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Formatter

from detectors.safety.pii import PiiKind
from driftloop.demo.items import UnsafeKind

Slots = Mapping[str, tuple[str, ...]]
Weighted = tuple[tuple[str, float], ...]

LEAKED_KINDS: Mapping[str, PiiKind] = {"email": PiiKind.EMAIL, "phone": PiiKind.PHONE, "card": PiiKind.CARD}
"""Fields of a PII leak template that leak personal data, and the kind each leaks."""
LEAK_FIELDS: tuple[str, ...] = ("name", *LEAKED_KINDS)
"""Every field a PII leak template may use."""


def template_fields(text: str) -> tuple[str, ...]:
    """The ``str.format`` fields a template uses, in order of first use; ``ValueError`` if it is malformed.

    >>> template_fields("Send {amount} to {country}, {amount} today.")
    ('amount', 'country')
    """
    return tuple(dict.fromkeys(name for _, name, _, _ in Formatter().parse(text) if name))


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


@dataclass(frozen=True, slots=True)
class FeedbackTexts:
    """What users write and flag when they give feedback."""

    good_comments: tuple[str, ...]
    bad_comments: tuple[str, ...]
    generic_corrections: tuple[str, ...]
    """Corrections for answers with no other answer of the same topic to offer instead."""
    unsafe_labels: tuple[str, ...]
    pii_labels: tuple[str, ...]
    refusal_labels: tuple[str, ...]
    shifted_labels: tuple[str, ...]
    ordinary_labels: tuple[str, ...]
    """Flag labels of an ordinary answer that was simply bad."""


@dataclass(frozen=True, slots=True)
class FakePii:
    """Fake personal data, only ever placed in responses that leak it."""

    names: tuple[str, ...]
    """'First Last': e-mail addresses are made from the two parts."""
    email_domains: tuple[str, ...]
    test_card_numbers: tuple[str, ...]
    """Digits only; public test numbers of payment processors."""
    leaks: tuple[str, ...]
    """Sentences leaking the data; templates over :data:`LEAK_FIELDS`."""


@dataclass(frozen=True, slots=True)
class CommonSpec:
    """What every demo app shares: models, user locales, prompt decoration, feedback, fake PII."""

    models: Mapping[str, ModelSpec]
    locales: Weighted
    openers: tuple[str, ...]
    """Optional first words of a prompt ('' for none); repeated entries are more likely."""
    endings: tuple[str, ...]
    """Optional last words of a prompt ('' for none)."""
    feedback: FeedbackTexts
    pii: FakePii


@dataclass(frozen=True, slots=True)
class UnsafeSpec:
    """Unsafe prompts (templates over ``slots``) and what the apps answer to them."""

    prompts: Mapping[UnsafeKind, tuple[str, ...]]
    slots: Slots
    safe_refusals: tuple[str, ...]
    """Generic refusals of a jailbreak or an injection."""
    leaked_instructions: tuple[str, ...]
    """Answers of a model that fell for a jailbreak or an injection."""
    de_escalations: tuple[str, ...]
    """Answers to hostile messages."""


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Everything the demo applications say and run on."""

    apps: tuple[AppSpec, ...]
    common: CommonSpec
    unsafe: UnsafeSpec
