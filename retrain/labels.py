"""From user feedback to training labels: which feedback says an event belongs to the unsafe (1) or safe (0) class.

The mapping is a :class:`~infra.settings.RetrainLabelRules` per probe task. Defaults:

=================  ========  ==========================================  ==========================
task               target    flag labels -> 1                            other kinds
=================  ========  ==========================================  ==========================
jailbreak          prompt    jailbreak, prompt_injection, injection      --
harmful            prompt    unsafe, harmful                             --
toxicity           prompt    toxic, toxicity, abusive, harassment        --
refusal            response  refusal, over_refusal                       --
quality            response  wrong, off_topic, low_quality,              thumbs down -> 1, up -> 0,
                             hallucination, unhelpful                    rating <= 2 -> 1, >= 4 -> 0,
                                                                         correction: event -> 1,
                                                                         corrected text -> 0
=================  ========  ==========================================  ==========================

Every task maps the flags ``safe`` and ``false_positive`` to 0. A thumbs-down on a harmful prompt is not
evidence that the prompt was harmful, so the safety tasks learn from flags only unless configured otherwise.
When one event has several labelling feedbacks, the latest (feedback time, then feedback id) decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from infra.settings import RetrainLabelRules
from schemas import FeedbackEvent, FeedbackKind
from schemas.errors import ConfigError

SAFE_FLAGS = ["safe", "false_positive"]

DEFAULT_RULES: dict[str, RetrainLabelRules] = {
    "jailbreak": RetrainLabelRules(
        target="prompt", positive_flags=["jailbreak", "prompt_injection", "injection"], negative_flags=SAFE_FLAGS
    ),
    "harmful": RetrainLabelRules(target="prompt", positive_flags=["unsafe", "harmful"], negative_flags=SAFE_FLAGS),
    "toxicity": RetrainLabelRules(
        target="prompt", positive_flags=["toxic", "toxicity", "abusive", "harassment"], negative_flags=SAFE_FLAGS
    ),
    "refusal": RetrainLabelRules(
        target="response", positive_flags=["refusal", "over_refusal"], negative_flags=SAFE_FLAGS
    ),
    "quality": RetrainLabelRules(
        target="response",
        positive_flags=["wrong", "off_topic", "low_quality", "hallucination", "unhelpful"],
        negative_flags=SAFE_FLAGS,
        thumbs_down=1,
        thumbs_up=0,
        rating_at_most=2,
        rating_at_least=4,
        correction=1,
        correction_text=0,
    ),
}


def rules_for(task: str, override: RetrainLabelRules | None = None) -> RetrainLabelRules:
    """The configured rules, or the task's defaults.

    >>> rules_for("quality").thumbs_down
    1
    """
    if override is not None:
        return override
    try:
        return DEFAULT_RULES[task]
    except KeyError:
        raise ConfigError(f"no default label rules for task {task!r}; configure retrain.labels") from None


def feedback_label(feedback: FeedbackEvent, rules: RetrainLabelRules) -> int | None:
    """The label this one feedback gives its event's target text, or None when it says nothing.

    A flag carrying both a positive and a negative label is contradictory and gives none.

    >>> from datetime import UTC, datetime
    >>> fb = FeedbackEvent(feedback_id="f", event_id="e", feedback_time=datetime(2026, 1, 1, tzinfo=UTC),
    ...                    kind="flag", labels=["unsafe"])
    >>> feedback_label(fb, rules_for("harmful")), feedback_label(fb, rules_for("jailbreak"))
    (1, None)
    """
    kind = feedback.kind
    if kind is FeedbackKind.FLAG:
        labels = {label.lower() for label in feedback.labels}
        positive = bool(labels & {f.lower() for f in rules.positive_flags})
        negative = bool(labels & {f.lower() for f in rules.negative_flags})
        if positive == negative:
            return None
        return 1 if positive else 0
    if kind is FeedbackKind.THUMBS:
        return rules.thumbs_down if feedback.value == -1 else rules.thumbs_up
    if kind is FeedbackKind.RATING and feedback.value is not None:
        if rules.rating_at_most is not None and feedback.value <= rules.rating_at_most:
            return 1
        if rules.rating_at_least is not None and feedback.value >= rules.rating_at_least:
            return 0
        return None
    if kind is FeedbackKind.CORRECTION:
        return rules.correction
    return None


@dataclass(frozen=True)
class EventLabel:
    """The label an event ends up with, and the feedback that decided it."""

    event_id: str
    label: int
    feedback_id: str
    feedback_kind: str


def event_labels(feedback: Iterable[FeedbackEvent], rules: RetrainLabelRules) -> dict[str, EventLabel]:
    """One label per event: the latest labelling feedback (feedback time, then feedback id) wins."""
    latest: dict[str, tuple[datetime, str, EventLabel]] = {}
    for fb in feedback:
        label = feedback_label(fb, rules)
        if label is None:
            continue
        key = (fb.feedback_time, fb.feedback_id)
        seen = latest.get(fb.event_id)
        if seen is None or key > seen[:2]:
            latest[fb.event_id] = (*key, EventLabel(fb.event_id, label, fb.feedback_id, fb.kind.value))
    return {event_id: item[2] for event_id, item in sorted(latest.items())}


def correction_examples(feedback: Iterable[FeedbackEvent], rules: RetrainLabelRules) -> list[tuple[str, int]]:
    """Extra ``(text, label)`` examples from corrections' texts, sorted by text (empty unless configured)."""
    if rules.correction_text is None:
        return []
    found = {fb.text: rules.correction_text for fb in feedback if fb.kind is FeedbackKind.CORRECTION and fb.text}
    return sorted(found.items())
