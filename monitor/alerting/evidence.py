"""Alerts from policy transitions, each carrying its evidence.

The evidence is the window's :class:`~schemas.DriftResult` itself (window, reference, statistic, raw and
adjusted p-value, alpha, threshold, sample sizes, explanation, resolved detector config) with the topic
clusters that moved and their example texts. A detector without cluster explanations borrows those of
the window's topic test on the same feature, so every drift alert says *what* moved.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from monitor.alerting.policy import Transition, effective_p_value
from schemas import Alert, AlertKind, AlertState, ClusterShift, DriftResult, StreamKey

_NAMESPACE = uuid.UUID("0b7d3c55-2f5e-4f2a-9a57-d21f7a1e0a11")


def drift_dedup_key(stream: StreamKey, detector: str, feature: str) -> str:
    """Transitions of one alert share this key: stream + detector (+ the feature it tested).

    >>> drift_dedup_key(StreamKey(app="a", model="m", model_version="1"), "topic", "prompt_embedding")
    'a/m@1:drift:topic:prompt_embedding'
    """
    return f"{stream}:drift:{detector}:{feature}"


def alert_id(dedup_key: str, state: AlertState, window_end: datetime, escalated: bool = False) -> str:
    """Deterministic: the same transition decided again (a replayed window) gets the same id."""
    suffix = ":escalated" if escalated else ""
    return str(uuid.uuid5(_NAMESPACE, f"{dedup_key}|{state.value}{suffix}|{window_end.isoformat()}"))


def explaining_clusters(result: DriftResult, window_results: Sequence[DriftResult]) -> list[ClusterShift]:
    """The result's own clusters, or those of the window's topic test on the same feature."""
    if result.clusters:
        return list(result.clusters)
    for other in window_results:
        if other.feature == result.feature and other.clusters:
            return list(other.clusters)
    return []


def _clock(value: datetime | None) -> str:
    return "?" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def drift_headline(transition: Transition, clusters: Sequence[ClusterShift]) -> str:
    """One line for people: what, where, how sure, and what moved."""
    r = transition.result
    p = effective_p_value(r)
    measure = f"p={p:.2g}" if p is not None else f"statistic={r.statistic:.3g}"
    head = (
        f"{r.detector} drift on {r.feature} of {r.stream}: {transition.state.value} ({transition.reason}); "
        f"window {_clock(r.window_start)}..{_clock(r.window_end)} vs reference "
        f"{_clock(r.reference_start)}..{_clock(r.reference_end)}; {measure}, n={r.n_current}/{r.n_reference}"
    )
    if not clusters:
        return head
    moves = ", ".join(
        f"{'novel' if c.cluster < 0 else f'cluster {c.cluster}'} {c.reference_share:.0%}->{c.current_share:.0%}"
        + (f" e.g. {c.examples[0][:80]!r}" if c.examples else "")
        for c in clusters[:2]
    )
    return f"{head}; moved: {moves}"


def drift_alert(
    transition: Transition,
    dedup_key: str,
    window_results: Sequence[DriftResult] = (),
    report_path: str | None = None,
) -> Alert:
    """The :class:`~schemas.Alert` for one transition, its evidence the clusters that moved."""
    result = transition.result
    clusters = explaining_clusters(result, window_results)
    evidence = result.model_copy(update={"clusters": clusters}) if clusters != list(result.clusters) else result
    return transition_alert(
        transition, dedup_key, AlertKind.DRIFT, drift_headline(transition, clusters), evidence, report_path
    )


def transition_alert(
    transition: Transition,
    dedup_key: str,
    kind: AlertKind,
    summary: str,
    evidence: DriftResult,
    report_path: str | None = None,
) -> Alert:
    """The :class:`~schemas.Alert` of one transition of an alert on window results (drift or disparity)."""
    result = transition.result
    if result.stream is None or result.window_end is None:
        raise ValueError(f"a {kind.value} alert needs a result with stream and window_end")
    return Alert(
        alert_id=alert_id(dedup_key, transition.state, result.window_end, transition.escalated),
        kind=kind,
        state=transition.state,
        severity=transition.severity,
        stream=result.stream,
        detector=result.detector,
        dedup_key=dedup_key,
        created_at=result.window_end,
        summary=summary,
        drift=evidence,
        report_path=report_path,
    )
