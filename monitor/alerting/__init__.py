"""Alerting: the per-detector alert policy, alerts with their evidence, reports, sinks and the outbox.

- :class:`AlertPolicy` turns a detector's window results into FIRING and RESOLVED transitions
  (hysteresis, cooldown, minimum count, severity);
- :func:`drift_alert` builds the :class:`~schemas.Alert` with its evidence;
- :func:`write_drift_report` saves the Evidently HTML report of a drift alert;
- :class:`AlertOutbox` delivers every alert to every sink (Kafka topic, webhooks) at least once,
  retrying with backoff, and logs it;
- :func:`tail_alerts` follows the alerts topic in a terminal.
"""

from monitor.alerting.evidence import alert_id, drift_alert, drift_dedup_key, transition_alert
from monitor.alerting.outbox import AlertOutbox, DeliveryReport, backoff_delay
from monitor.alerting.payloads import ALERT_ID_HEADER, alert_headers, json_body, slack_body
from monitor.alerting.policy import AlertPolicy, PolicyState, Transition, WindowVerdict, classify
from monitor.alerting.report import write_drift_report
from monitor.alerting.sinks import (
    AlertSink,
    KafkaAlertSink,
    WebhookSink,
    alert_producer,
    configured_sinks,
)
from monitor.alerting.tail import format_alert, tail_alerts
from schemas.errors import DeliveryError

__all__ = [
    "ALERT_ID_HEADER",
    "AlertOutbox",
    "AlertPolicy",
    "AlertSink",
    "DeliveryError",
    "DeliveryReport",
    "KafkaAlertSink",
    "PolicyState",
    "Transition",
    "WebhookSink",
    "WindowVerdict",
    "alert_headers",
    "alert_id",
    "alert_producer",
    "backoff_delay",
    "classify",
    "configured_sinks",
    "drift_alert",
    "drift_dedup_key",
    "format_alert",
    "json_body",
    "slack_body",
    "tail_alerts",
    "transition_alert",
    "write_drift_report",
]
