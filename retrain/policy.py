"""When a retraining run may start: which alerts trigger, and the per-stream guards (pure decisions).

Guards, in order: at most one unfinished run per stream (an unfinished run older than ``stale_run_s``
is taken to have died with its process); the cooldown since the last run was requested; the minimum
number of newly labelled events since the last successful run. A manual trigger skips the cooldown and
the minimum, never the one-at-a-time rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from infra.settings import RetrainSettings
from schemas import Alert, AlertState, RetrainRunSummary, RetrainStatus, Severity

SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass(frozen=True)
class PolicyDecision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


class RetrainPolicy:
    """The retraining policy of ``settings.retrain``."""

    def __init__(self, settings: RetrainSettings) -> None:
        self.settings = settings

    def alert_triggers(self, alert: Alert, now: datetime) -> PolicyDecision:
        """Whether ``alert`` asks for a run (before the per-stream guards)."""
        s = self.settings
        if not s.enabled:
            return PolicyDecision(False, "retraining is disabled")
        if alert.state is not AlertState.FIRING:
            return PolicyDecision(False, f"alert is {alert.state.value}, only firing alerts trigger")
        if alert.kind.value not in s.trigger_kinds:
            return PolicyDecision(False, f"{alert.kind.value} alerts do not trigger (retrain.trigger_kinds)")
        if s.trigger_detectors and not set(alert.detector.split(",")) & set(s.trigger_detectors):
            return PolicyDecision(False, f"detector {alert.detector} does not trigger (retrain.trigger_detectors)")
        if SEVERITY_RANK[alert.severity] < SEVERITY_RANK[Severity(s.min_severity)]:
            return PolicyDecision(False, f"severity {alert.severity.value} is below {s.min_severity}")
        age = (now - alert.created_at).total_seconds()
        if age > s.max_alert_age_s:
            return PolicyDecision(False, f"alert is {age:.0f}s old (retrain.max_alert_age_s {s.max_alert_age_s:g})")
        return PolicyDecision(True, f"{alert.kind.value} alert {alert.alert_id} on {alert.detector}")

    def active(self, runs: Sequence[RetrainRunSummary], now: datetime) -> RetrainRunSummary | None:
        """The stream's unfinished run that is not stale, if any."""
        stale = timedelta(seconds=self.settings.stale_run_s)
        for run in runs:
            if not run.finished and now - run.updated_at < stale:
                return run
        return None

    def may_start(
        self, runs: Sequence[RetrainRunSummary], new_labelled: int, now: datetime, *, manual: bool = False
    ) -> PolicyDecision:
        """Whether a run of the stream whose runs (any order) are ``runs`` may start at ``now``."""
        active = self.active(runs, now)
        if active is not None:
            return PolicyDecision(False, f"run {active.run_id} is still {active.status.value}")
        if manual:
            return PolicyDecision(True, "manual trigger")
        last = max((r.requested_at for r in runs), default=None)
        if last is not None:
            waited = (now - last).total_seconds()
            if waited < self.settings.cooldown_s:
                return PolicyDecision(
                    False, f"cooldown: last run {waited:.0f}s ago, retrain.cooldown_s is {self.settings.cooldown_s:g}"
                )
        if new_labelled < self.settings.min_labelled_feedback:
            return PolicyDecision(
                False,
                f"{new_labelled} newly labelled events, retrain.min_labelled_feedback is "
                f"{self.settings.min_labelled_feedback}",
            )
        return PolicyDecision(True, f"{new_labelled} newly labelled events")


def feedback_since(runs: Sequence[RetrainRunSummary]) -> datetime | None:
    """Where the next snapshot's feedback starts: the trigger time of the last successful run.

    Rejected and failed runs do not consume feedback: their labels count again for the next run.
    """
    return max((r.requested_at for r in runs if r.status is RetrainStatus.SUCCEEDED), default=None)
