"""Monitoring in the store-owning process: drift windows, segment checks, the alert policy and delivery.

- :mod:`monitor.windows`: closed event-time windows per stream, tested against their reference, on a schedule;
- :mod:`monitor.segments`: per-segment disparity and drift checks;
- :mod:`monitor.alerting`: the alert policy, alerts with evidence, reports, sinks and the outbox.
"""
