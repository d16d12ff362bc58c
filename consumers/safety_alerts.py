"""Per-event safety alerts raised by workers when a detector's threshold is crossed."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import UTC, datetime

from schemas import Alert, AlertKind, AlertState, ScoredInference, Severity, StreamKey

_NAMESPACE = uuid.UUID("7f1c0de0-5a7e-4d1f-9c1e-d81f7100a1e7")


def safety_alerts(scored: Iterable[ScoredInference], alerting: Collection[str]) -> list[Alert]:
    """One firing alert per event with at least one breached score of an ``alerting`` detector.

    The alert id is derived from the event id, so a redelivered event raises the same alert
    (consumers of the alerts topic can deduplicate on it).
    """
    alerts = []
    now = datetime.now(UTC)
    for row in scored:
        breached = [score for score in row.safety if score.breached and score.detector in alerting]
        if not breached:
            continue
        event = row.event
        stream = StreamKey(app=event.app, model=event.model, model_version=event.model_version)
        detectors = sorted({score.detector for score in breached})
        alerts.append(
            Alert(
                alert_id=str(uuid.uuid5(_NAMESPACE, event.event_id)),
                kind=AlertKind.SAFETY,
                state=AlertState.FIRING,
                severity=Severity.CRITICAL if len(breached) > 1 else Severity.WARNING,
                stream=stream,
                detector=",".join(detectors),
                dedup_key=f"{stream}:safety:{','.join(detectors)}",
                created_at=now,
                summary=f"event {event.event_id} breached {', '.join(detectors)}",
                event_id=event.event_id,
                safety=breached,
            )
        )
    return alerts
