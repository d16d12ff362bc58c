"""Alert policy state machine: hysteresis, cooldown, minimum count, severity, replay, restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra.settings import AlertPolicySettings
from monitor.alerting import AlertPolicy, PolicyState, Transition, WindowVerdict, classify, drift_alert
from schemas import AlertState, ClusterShift, DriftDecision, DriftResult, Severity, StreamKey

T0 = datetime(2026, 3, 1, tzinfo=UTC)
STREAM = StreamKey(app="bot", model="m", model_version="1")
WINDOW = timedelta(minutes=5)


def result(i: int, p: float | None, *, n: int = 200, decision: DriftDecision | None = None, **extra) -> DriftResult:
    if decision is None:
        decision = DriftDecision.DRIFT if p is not None and p <= 0.05 else DriftDecision.NO_DRIFT
    return DriftResult(
        detector="topic",
        detector_version="1",
        statistic=1.0,
        p_value=p,
        adjusted_p_value=p,
        alpha=0.05,
        decision=decision,
        n_reference=500,
        n_current=n,
        stream=STREAM,
        window_start=T0 + i * WINDOW,
        window_end=T0 + (i + 1) * WINDOW,
        **extra,
    )


def run(policy: AlertPolicy, ps: list[float | None], state: PolicyState | None = None, first: int = 0):
    state = state or PolicyState(dedup_key="k")
    transitions: list[tuple[int, Transition]] = []
    for i, p in enumerate(ps, start=first):
        r = result(i, p) if p is not None else result(i, None, n=5, decision=DriftDecision.INSUFFICIENT_DATA)
        state, transition = policy.observe(state, r)
        if transition is not None:
            transitions.append((i, transition))
    return state, transitions


BREACH, CLEAN, NODATA = 0.01, 0.5, None


def test_fires_only_after_k_consecutive_breaches_and_resolves_after_j_clean() -> None:
    policy = AlertPolicy(AlertPolicySettings(fire_after=3, resolve_after=2, cooldown_s=0))
    windows = [BREACH, BREACH, CLEAN, BREACH, BREACH, BREACH, BREACH, CLEAN, BREACH, CLEAN, CLEAN, CLEAN]
    state, transitions = run(policy, windows)
    assert [(i, t.state) for i, t in transitions] == [(5, AlertState.FIRING), (10, AlertState.RESOLVED)]
    assert not state.firing and state.clean_streak == 3
    assert transitions[0][1].severity is Severity.WARNING


def test_insufficient_and_small_windows_neither_count_nor_break_a_streak() -> None:
    policy = AlertPolicy(AlertPolicySettings(fire_after=2, min_count=100))
    _, transitions = run(policy, [BREACH, NODATA, BREACH])
    assert [i for i, _ in transitions] == [2]
    state = PolicyState(dedup_key="k")
    for i in range(3):
        state, transition = policy.observe(state, result(i, BREACH, n=99))
        assert transition is None
    assert state.breach_streak == 0
    assert classify(result(0, BREACH, n=99), policy.settings)[0] is WindowVerdict.UNCOUNTED


def test_cooldown_in_event_time_holds_a_refire_until_it_has_passed() -> None:
    policy = AlertPolicy(AlertPolicySettings(fire_after=1, resolve_after=1, cooldown_s=3 * WINDOW.total_seconds()))
    _, transitions = run(policy, [BREACH, CLEAN, BREACH, BREACH, BREACH, BREACH])
    # resolved at the end of window 1; windows 2-3 end less than 3 windows later, window 4 ends exactly then
    assert [(i, t.state.value) for i, t in transitions] == [(0, "firing"), (1, "resolved"), (4, "firing")]


def test_severity_from_the_p_value_and_escalation_while_firing() -> None:
    policy = AlertPolicy(AlertPolicySettings(fire_after=1, critical_alpha=0.001))
    _, transitions = run(policy, [0.01, 0.02, 0.0005, 0.0001])
    assert [(t.state.value, t.severity.value, t.escalated) for _, t in transitions] == [
        ("firing", "warning", False),
        ("firing", "critical", True),
    ]


@pytest.mark.parametrize("p", [0.0001, 0.04, 0.2, 0.9])
def test_the_result_decision_alone_decides_a_breach(p: float) -> None:
    """Whatever the p-value and any alpha would say, DRIFT breaches and NO_DRIFT is clean."""
    settings = AlertPolicySettings()
    assert classify(result(0, p, decision=DriftDecision.DRIFT), settings)[0] is WindowVerdict.BREACH
    assert classify(result(0, p, decision=DriftDecision.NO_DRIFT), settings) == (WindowVerdict.CLEAN, None)


def test_a_decision_made_at_a_strict_alpha_is_not_overruled_by_a_loose_one() -> None:
    """A window decided NO_DRIFT at alpha 0.001 stays clean at p = 0.01: the policy has no alpha of its own."""
    strict = result(0, 0.01, decision=DriftDecision.NO_DRIFT).model_copy(update={"alpha": 0.001})
    assert classify(strict, AlertPolicySettings())[0] is WindowVerdict.CLEAN
    assert "alpha" not in AlertPolicySettings.model_fields
    with pytest.raises(ValueError, match="alpha"):
        AlertPolicySettings(alpha=0.05)


def test_methods_without_p_value_follow_the_decision_and_warn() -> None:
    drifted = result(0, None).model_copy(update={"statistic": 1.5, "decision": DriftDecision.DRIFT})
    assert classify(drifted, AlertPolicySettings()) == (WindowVerdict.BREACH, Severity.WARNING)
    clean = drifted.model_copy(update={"statistic": 9.0, "decision": DriftDecision.NO_DRIFT})
    assert classify(clean, AlertPolicySettings())[0] is WindowVerdict.CLEAN


def test_replayed_windows_do_not_move_the_state_and_state_survives_json() -> None:
    policy = AlertPolicy(AlertPolicySettings(fire_after=2))
    state, transitions = run(policy, [BREACH, BREACH])
    assert len(transitions) == 1
    restored = PolicyState.model_validate_json(state.model_dump_json())
    assert restored == state
    again, replayed = run(policy, [BREACH, BREACH], state=restored)
    assert replayed == [] and again == restored
    # the state continues where it stopped: two clean windows later it resolves
    _, later = run(policy, [CLEAN, CLEAN], state=restored, first=2)
    assert [t.state for _, t in later] == [AlertState.RESOLVED]


def test_alert_carries_evidence_and_borrows_topic_clusters() -> None:
    clusters = [ClusterShift(cluster=-1, reference_share=0.0, current_share=0.2, examples=["new topic text"])]
    topic = result(4, 0.001, clusters=clusters)
    nn = topic.model_copy(update={"detector": "nearest_neighbour", "clusters": []})
    transition = Transition(AlertState.FIRING, Severity.WARNING, nn, "3 consecutive breaching windows")
    alert = drift_alert(transition, "bot/m@1:drift:nearest_neighbour:prompt_embedding", [topic, nn], "/r.html")
    assert alert.drift is not None and alert.drift.clusters == clusters
    assert alert.drift.window_end == nn.window_end and alert.drift.p_value == pytest.approx(0.001)
    assert "new topic text" in alert.summary and "novel 0%->20%" in alert.summary
    assert alert.report_path == "/r.html" and alert.created_at == nn.window_end
    # the same transition decided again has the same id
    assert drift_alert(transition, alert.dedup_key, [topic, nn]).alert_id == alert.alert_id
