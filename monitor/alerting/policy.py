"""Alert policy: when a detector's window results fire an alert and when they resolve it.

Each dedup key (stream + detector + feature) has a :class:`PolicyState`. Every evaluated window of that
key is classified as *breaching* (the result's decision is DRIFT), *clean* (NO_DRIFT) or *uncounted*
(INSUFFICIENT_DATA or fewer current samples than ``min_count``: both streaks kept) and the state machine
moves. The decision is the result's own, made once at the family's alpha after the window's correction
(``drift.alpha``, ``segments.alpha``); the policy never re-decides it, and ``critical_alpha`` only grades a
breach's severity:

- ``fire_after`` consecutive breaching windows fire the alert (FIRING), unless the key is cooling down:
  a resolved alert may fire again only ``cooldown_s`` of event time after it resolved;
- while firing, a breach of higher severity re-announces the alert (FIRING, escalated);
- ``resolve_after`` consecutive clean windows resolve it (RESOLVED).

Time is the windows' event time, never the wall clock, so a catch-up over past windows decides exactly
as live evaluation would. A window at or before ``last_window_end`` is ignored, so replaying windows after
a restart does not move the state twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from infra.settings import AlertPolicySettings
from schemas import AlertState, DriftDecision, DriftResult, Severity

_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class WindowVerdict(StrEnum):
    BREACH = "breach"
    CLEAN = "clean"
    UNCOUNTED = "uncounted"


class PolicyState(BaseModel):
    """What the policy remembers about one dedup key; stored as JSON between runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dedup_key: str
    firing: bool = False
    severity: Severity | None = None
    breach_streak: int = 0
    clean_streak: int = 0
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    last_window_end: datetime | None = None


@dataclass(frozen=True)
class Transition:
    """An alert lifecycle transition the policy decided on, with the window result that caused it."""

    state: AlertState
    severity: Severity
    result: DriftResult
    reason: str
    escalated: bool = False


def effective_p_value(result: DriftResult) -> float | None:
    """The corrected p-value when a correction ran, else the raw one."""
    return result.adjusted_p_value if result.adjusted_p_value is not None else result.p_value


def classify(result: DriftResult, policy: AlertPolicySettings) -> tuple[WindowVerdict, Severity | None]:
    """Breaching, clean or uncounted by the result's decision, and the severity of a breach.

    A breach is critical when its corrected p-value is at most ``critical_alpha``, else a warning (also for
    methods without a p-value).

    Examples
    --------
    >>> from infra.settings import AlertPolicySettings
    >>> r = DriftResult(detector="topic", detector_version="1", statistic=9.0, p_value=0.0004, alpha=0.05,
    ...                 decision=DriftDecision.DRIFT, n_reference=500, n_current=300)
    >>> classify(r, AlertPolicySettings())
    (<WindowVerdict.BREACH: 'breach'>, <Severity.CRITICAL: 'critical'>)
    >>> classify(r.model_copy(update={"n_current": 20}), AlertPolicySettings())[0].value
    'uncounted'
    """
    if result.decision is DriftDecision.INSUFFICIENT_DATA or result.n_current < policy.min_count:
        return WindowVerdict.UNCOUNTED, None
    if result.decision is not DriftDecision.DRIFT:
        return WindowVerdict.CLEAN, None
    p = effective_p_value(result)
    return WindowVerdict.BREACH, Severity.CRITICAL if p is not None and p <= policy.critical_alpha else Severity.WARNING


class AlertPolicy:
    """The state machine of one detector's policy (see the module docstring).

    Examples
    --------
    >>> from datetime import UTC, datetime, timedelta
    >>> from infra.settings import AlertPolicySettings
    >>> policy = AlertPolicy(AlertPolicySettings(fire_after=2, resolve_after=1, min_count=0))
    >>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
    >>> def window(i, p):
    ...     return DriftResult(detector="topic", detector_version="1", statistic=1.0, p_value=p, alpha=0.05,
    ...                        decision=DriftDecision.DRIFT if p <= 0.05 else DriftDecision.NO_DRIFT,
    ...                        n_reference=100, n_current=100, window_end=t0 + timedelta(minutes=5 * i))
    >>> state, seen = PolicyState(dedup_key="k"), []
    >>> for i, p in enumerate([0.01, 0.01, 0.5]):
    ...     state, transition = policy.observe(state, window(i, p))
    ...     seen.append(transition and transition.state.value)
    >>> seen
    [None, 'firing', 'resolved']
    """

    def __init__(self, settings: AlertPolicySettings) -> None:
        self.settings = settings

    def observe(self, state: PolicyState, result: DriftResult) -> tuple[PolicyState, Transition | None]:
        """Apply one window's result; return the new state and the transition it caused, if any."""
        if result.window_end is None:
            raise ValueError("the policy needs results with window_end")
        end = result.window_end
        if state.last_window_end is not None and end <= state.last_window_end:
            return state, None
        verdict, severity = classify(result, self.settings)
        if verdict is WindowVerdict.UNCOUNTED:
            return state.model_copy(update={"last_window_end": end}), None
        if verdict is WindowVerdict.CLEAN:
            return self._clean(state, result, end)
        assert severity is not None
        return self._breach(state, result, end, severity)

    def _breach(
        self, state: PolicyState, result: DriftResult, end: datetime, severity: Severity
    ) -> tuple[PolicyState, Transition | None]:
        streak = state.breach_streak + 1
        update = {"breach_streak": streak, "clean_streak": 0, "last_window_end": end}
        k = self.settings.fire_after
        if state.firing:
            if state.severity is not None and _SEVERITY_RANK[severity] > _SEVERITY_RANK[state.severity]:
                reason = f"escalated from {state.severity.value} to {severity.value}"
                return (
                    state.model_copy(update={**update, "severity": severity}),
                    Transition(AlertState.FIRING, severity, result, reason, escalated=True),
                )
            return state.model_copy(update=update), None
        if streak < k or self._cooling_down(state, end):
            return state.model_copy(update=update), None
        reason = f"{streak} consecutive breaching windows (fires after {k})"
        return (
            state.model_copy(update={**update, "firing": True, "severity": severity, "fired_at": end}),
            Transition(AlertState.FIRING, severity, result, reason),
        )

    def _clean(self, state: PolicyState, result: DriftResult, end: datetime) -> tuple[PolicyState, Transition | None]:
        streak = state.clean_streak + 1
        update = {"breach_streak": 0, "clean_streak": streak, "last_window_end": end}
        j = self.settings.resolve_after
        if not state.firing or streak < j:
            return state.model_copy(update=update), None
        severity = state.severity or Severity.WARNING
        reason = f"{streak} consecutive clean windows (resolves after {j})"
        return (
            state.model_copy(update={**update, "firing": False, "severity": None, "resolved_at": end}),
            Transition(AlertState.RESOLVED, severity, result, reason),
        )

    def _cooling_down(self, state: PolicyState, end: datetime) -> bool:
        if state.resolved_at is None:
            return False
        return (end - state.resolved_at).total_seconds() < self.settings.cooldown_s
