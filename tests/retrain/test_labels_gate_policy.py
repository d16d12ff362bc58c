"""Pure parts of retraining: feedback -> labels, the evaluation gate, the trigger policy."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from infra.settings import RetrainSettings
from retrain import (
    InsufficientEvaluationData,
    RetrainPolicy,
    decide,
    event_labels,
    feedback_label,
    feedback_since,
    holdout_split,
    no_skill,
    rules_for,
)
from retrain.labels import correction_examples
from schemas import (
    Alert,
    AlertKind,
    AlertState,
    FeedbackEvent,
    RetrainRunSummary,
    RetrainStatus,
    Severity,
)
from schemas.errors import ConfigError
from tests.retrain.conftest import STREAM, T0


def fb(kind: str, *, value: float | None = None, labels=(), text=None, fid="f1", event="e1", minute=0):
    return FeedbackEvent(
        feedback_id=fid,
        event_id=event,
        feedback_time=T0 + timedelta(minutes=minute),
        kind=kind,
        value=value,
        labels=list(labels),
        text=text,
    )


# ---- labels --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "feedback", "expected"),
    [
        ("harmful", fb("flag", labels=["unsafe"]), 1),
        ("harmful", fb("flag", labels=["Harmful", "other"]), 1),
        ("harmful", fb("flag", labels=["false_positive"]), 0),
        ("harmful", fb("flag", labels=["unsafe", "safe"]), None),
        ("harmful", fb("flag", labels=["off_topic"]), None),
        ("harmful", fb("thumbs", value=-1), None),
        ("jailbreak", fb("flag", labels=["prompt_injection"]), 1),
        ("quality", fb("thumbs", value=-1), 1),
        ("quality", fb("thumbs", value=1), 0),
        ("quality", fb("rating", value=2), 1),
        ("quality", fb("rating", value=3), None),
        ("quality", fb("rating", value=5), 0),
        ("quality", fb("correction", text="the right answer"), 1),
        ("quality", fb("comment", text="meh"), None),
        ("quality", fb("flag", labels=["hallucination"]), 1),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_feedback_label_mapping(task: str, feedback: FeedbackEvent, expected: int | None) -> None:
    assert feedback_label(feedback, rules_for(task)) == expected


def test_latest_labelling_feedback_wins_and_silent_feedback_does_not_override() -> None:
    rules = rules_for("harmful")
    items = [
        fb("flag", labels=["unsafe"], fid="a", minute=0),
        fb("flag", labels=["safe"], fid="b", minute=5),
        fb("thumbs", value=-1, fid="c", minute=9),  # says nothing for a safety task
        fb("flag", labels=["unsafe"], fid="d", event="e2", minute=1),
    ]
    labels = event_labels(items, rules)
    assert {k: (v.label, v.feedback_id) for k, v in labels.items()} == {"e1": (0, "b"), "e2": (1, "d")}
    assert event_labels(reversed(items), rules) == labels


def test_corrections_add_the_corrected_text_as_a_good_example_for_quality_only() -> None:
    items = [fb("correction", text="use the reset link", fid="x"), fb("correction", text="call support", fid="y")]
    assert correction_examples(items, rules_for("quality")) == [("call support", 0), ("use the reset link", 0)]
    assert correction_examples(items, rules_for("harmful")) == []


def test_unknown_task_needs_configured_rules() -> None:
    with pytest.raises(ConfigError, match="retrain.labels"):
        rules_for("sarcasm")


# ---- gate ----------------------------------------------------------------------------------------


def test_gate_promotes_a_clearly_better_challenger_and_rejects_a_worse_or_equal_one() -> None:
    rng = np.random.default_rng(0)
    y = np.array([0] * 50 + [1] * 50)
    good = y * 0.6 + rng.random(100) * 0.5  # mostly separates
    poor = rng.random(100)  # no skill
    better = decide(y, good, poor, metric="auroc", margin=0.05, threshold=0.5)
    assert better.promote and better.challenger > better.champion + 0.05
    worse = decide(y, poor, good, metric="auroc", margin=0.05, threshold=0.5)
    assert not worse.promote and worse.improvement < 0
    same = decide(y, good, good, metric="auroc", margin=0.0, threshold=0.5)
    assert not same.promote, "an equal challenger is not better"
    assert set(better.metrics()) >= {"champion_auroc", "challenger_auroc", "gate_margin", "holdout_n"}


def test_gate_margin_is_respected() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    champion = np.array([0.1, 0.2, 0.6, 0.5, 0.7, 0.8])  # auroc 8/9
    challenger = np.array([0.1, 0.2, 0.3, 0.5, 0.7, 0.8])  # auroc 1
    assert decide(y, challenger, champion, metric="auroc", margin=0.1, threshold=0.5).promote
    assert not decide(y, challenger, champion, metric="auroc", margin=0.2, threshold=0.5).promote


def test_without_a_champion_the_challenger_must_beat_no_skill() -> None:
    y = np.array([0, 0, 0, 1])
    assert no_skill("auroc", y) == 0.5 and no_skill("average_precision", y) == 0.25
    assert decide(y, np.array([0.1, 0.2, 0.3, 0.9]), None, metric="auroc", margin=0.1, threshold=0.5).promote
    assert not decide(y, np.array([0.9, 0.2, 0.3, 0.1]), None, metric="auroc", margin=0.1, threshold=0.5).promote


def test_holdout_split_is_stratified_seeded_and_refuses_too_few_examples() -> None:
    y = np.array([0] * 40 + [1] * 20)
    train, hold = holdout_split(y, fraction=0.25, seed=3, min_per_class=5)
    assert len(set(train) | set(hold)) == 60 and not set(train) & set(hold)
    assert (y[hold] == 1).sum() == 5 and (y[hold] == 0).sum() == 10
    again = holdout_split(y, fraction=0.25, seed=3, min_per_class=5)
    assert (again[1] == hold).all()
    assert not (holdout_split(y, fraction=0.25, seed=4, min_per_class=5)[1] == hold).all()
    with pytest.raises(InsufficientEvaluationData, match="each class"):
        holdout_split(np.array([0] * 40 + [1] * 8), fraction=0.25, seed=0, min_per_class=5)


# ---- policy --------------------------------------------------------------------------------------


def alert(**overrides) -> Alert:
    fields = {
        "alert_id": "a1",
        "kind": AlertKind.DRIFT,
        "state": AlertState.FIRING,
        "severity": Severity.WARNING,
        "stream": STREAM,
        "detector": "topic",
        "dedup_key": f"{STREAM}:topic",
        "created_at": T0,
        "summary": "topic drift",
    }
    return Alert(**{**fields, **overrides})


def run(status: RetrainStatus, minutes_ago: float, now=T0, run_id="r") -> RetrainRunSummary:
    at = now - timedelta(minutes=minutes_ago)
    return RetrainRunSummary(run_id=run_id, stream=STREAM, job="builtin", status=status, requested_at=at, updated_at=at)


def test_which_alerts_trigger() -> None:
    policy = RetrainPolicy(RetrainSettings(trigger_kinds=["drift"], min_severity="warning"))
    now = T0 + timedelta(minutes=1)
    assert policy.alert_triggers(alert(), now)
    assert not policy.alert_triggers(alert(state=AlertState.RESOLVED), now)
    assert not policy.alert_triggers(alert(kind=AlertKind.SAFETY), now)
    assert not policy.alert_triggers(alert(severity=Severity.INFO), now)
    assert not policy.alert_triggers(alert(), T0 + timedelta(hours=2)), "replayed old alerts do not trigger"
    picky = RetrainPolicy(RetrainSettings(trigger_detectors=["mmd"]))
    assert not picky.alert_triggers(alert(), now)
    assert picky.alert_triggers(alert(detector="mmd"), now)
    assert not RetrainPolicy(RetrainSettings(enabled=False)).alert_triggers(alert(), now)


def test_cooldown_one_at_a_time_and_minimum_feedback() -> None:
    policy = RetrainPolicy(RetrainSettings(cooldown_s=3600, min_labelled_feedback=20, stale_run_s=7200))
    assert policy.may_start([], 20, T0)
    assert not policy.may_start([], 19, T0), "minimum labelled feedback"
    recent = [run(RetrainStatus.SUCCEEDED, minutes_ago=30)]
    decision = policy.may_start(recent, 100, T0)
    assert not decision and "cooldown" in decision.reason
    assert policy.may_start([run(RetrainStatus.SUCCEEDED, minutes_ago=61)], 100, T0)
    busy = [run(RetrainStatus.RUNNING, minutes_ago=90)]
    assert not policy.may_start(busy, 100, T0) and not policy.may_start(busy, 0, T0, manual=True)
    stale = [run(RetrainStatus.RUNNING, minutes_ago=121)]
    assert policy.may_start(stale, 100, T0), "a run unfinished for longer than stale_run_s is dead"
    assert policy.may_start(recent, 0, T0, manual=True), "manual skips cooldown and minimum"


def test_feedback_counts_from_the_last_successful_run() -> None:
    runs = [
        run(RetrainStatus.SUCCEEDED, 300, run_id="a"),
        run(RetrainStatus.REJECTED, 100, run_id="b"),
        run(RetrainStatus.FAILED, 50, run_id="c"),
    ]
    assert feedback_since(runs) == T0 - timedelta(minutes=300)
    assert feedback_since([]) is None
