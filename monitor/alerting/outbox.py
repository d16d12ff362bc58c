"""The alert outbox: every (alert, sink) delivery is stored first, then sent, then marked delivered.

A sink that is down does not lose alerts: the delivery stays pending in the store (surviving restarts)
and is retried every round with exponential backoff, ``backoff_s * 2**attempt`` capped at
``backoff_max_s``; within a round a delivery is tried ``attempts`` times. A delivered row is never sent
again. A crash between a sink accepting an alert and the row being marked is the one case of a repeat,
so receivers can deduplicate on the alert id (a header of every webhook call, and the Kafka value).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from infra.store import Delivery, Store
from monitor.alerting.sinks import AlertSink, log_alert
from schemas import Alert
from schemas.errors import DeliveryError

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    delivered: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)


def backoff_delay(attempt: int, base_s: float, max_s: float) -> float:
    """Delay before retry number ``attempt`` (0-based).

    >>> [backoff_delay(a, 0.5, 3.0) for a in range(5)]
    [0.5, 1.0, 2.0, 3.0, 3.0]
    """
    return min(max_s, base_s * 2.0**attempt)


class AlertOutbox:
    """Stores alert deliveries and sends the due ones to their sinks.

    Parameters
    ----------
    store
        Where deliveries are kept (``alert_outbox``).
    sinks
        Sinks by their ``name``; a stored delivery for a sink no longer configured stays pending.
    attempts
        Tries per delivery in one :meth:`deliver_due` round.
    backoff_s, backoff_max_s
        Exponential backoff between tries in a round and between rounds.
    sleep, clock
        Injectable for tests.
    """

    def __init__(
        self,
        store: Store,
        sinks: Sequence[AlertSink],
        *,
        attempts: int = 3,
        backoff_s: float = 0.2,
        backoff_max_s: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.sinks = {sink.name: sink for sink in sinks}
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()

    def enqueue(self, alerts: Sequence[Alert]) -> int:
        """Log each alert and store one pending delivery per alert and sink."""
        for alert in alerts:
            log_alert(alert)
        now = self._clock()
        rows = [
            Delivery(alert_id=a.alert_id, sink=name, created_at=now, payload=a.model_dump_json(), next_attempt_at=now)
            for a in alerts
            for name in self.sinks
        ]
        return self.store.alerts.enqueue_deliveries(rows)

    def deliver_due(self, limit: int = 1000) -> DeliveryReport:
        """Send every pending delivery that is due; one round at a time (calls from threads are serialised)."""
        report = DeliveryReport()
        with self._lock:
            due = self.store.alerts.deliveries(pending=True, due_before=self._clock(), limit=limit)
            updates = []
            for delivery in due:
                sink = self.sinks.get(delivery.sink)
                if sink is None:
                    continue
                updated = self._attempt(sink, delivery)
                updates.append(updated)
                (report.delivered if updated.delivered else report.failed).append(updated)
            self.store.alerts.update_deliveries(updates)
        return report

    def _attempt(self, sink: AlertSink, delivery: Delivery) -> Delivery:
        alert = Alert.model_validate_json(delivery.payload)
        error = ""
        for attempt in range(self.attempts):
            if attempt:
                self._sleep(backoff_delay(attempt - 1, self.backoff_s, self.backoff_max_s))
            try:
                sink.send(alert)
            except DeliveryError as exc:
                error = str(exc)
                continue
            except Exception as exc:  # noqa: BLE001 - a broken sink must not stop the others
                error = f"{type(exc).__name__}: {exc}"
                continue
            return replace(delivery, delivered=True, attempts=delivery.attempts + attempt + 1, last_error="")
        attempts = delivery.attempts + self.attempts
        delay = backoff_delay(attempts, self.backoff_s, self.backoff_max_s)
        log.warning("alert %s not delivered to %s after %d tries: %s", alert.alert_id, sink.name, attempts, error)
        return replace(
            delivery,
            attempts=attempts,
            next_attempt_at=self._clock() + timedelta(seconds=delay),
            last_error=error[:2000],
        )
