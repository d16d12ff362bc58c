"""``driftloop alerts tail``: follow the alerts topic in the terminal.

It reads with its own unnamed consumer (no group, nothing committed), so tailing never moves another
consumer's offsets.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from infra.kafka import kafka_consumer
from infra.settings import Settings
from schemas import Alert, AlertState, Severity

_STYLE = {Severity.INFO: "cyan", Severity.WARNING: "yellow", Severity.CRITICAL: "bold red"}


def format_alert(alert: Alert) -> Text:
    """One rich line per alert transition."""
    style = "green" if alert.state is AlertState.RESOLVED else _STYLE[alert.severity]
    line = Text()
    line.append(alert.created_at.strftime("%Y-%m-%d %H:%M:%S "), style="dim")
    line.append(f"{alert.state.value.upper():8} {alert.severity.value:8} ", style=style)
    line.append(f"{alert.kind.value:6} {alert.stream} {alert.detector}\n", style="bold")
    line.append(f"    {alert.summary}")
    if alert.report_path:
        line.append(f"\n    report: {alert.report_path}", style="dim")
    return line


def tail_alerts(
    settings: Settings,
    bootstrap_servers: str,
    *,
    from_beginning: bool = False,
    limit: int | None = None,
    idle_timeout_s: float | None = None,
    console: Console | None = None,
    on_alert: Callable[[Alert], None] | None = None,
) -> int:
    """Print alerts as they arrive on the alerts topic; return how many were shown.

    Parameters
    ----------
    from_beginning
        Start at the oldest retained alert instead of the end of the topic.
    limit
        Stop after this many alerts.
    idle_timeout_s
        Stop after this long without a new alert (``None``: follow until interrupted).
    on_alert
        Called with each alert after it is printed.
    """
    from kafka import TopicPartition

    console = console or Console()
    topic = settings.topic("alerts")
    consumer = kafka_consumer(settings.kafka, bootstrap_servers, group_id=None, enable_auto_commit=False)
    shown = 0
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        (consumer.seek_to_beginning if from_beginning else consumer.seek_to_end)(*assigned)
        last = time.monotonic()
        while limit is None or shown < limit:
            batches = consumer.poll(timeout_ms=500)
            records = [record for part in batches.values() for record in part]
            if records:
                last = time.monotonic()
            for record in records:
                try:
                    alert = Alert.model_validate_json(record.value)
                except ValidationError:
                    console.print(f"[dim]unreadable record at {record.topic}[{record.partition}]@{record.offset}[/]")
                    continue
                console.print(format_alert(alert))
                if on_alert is not None:
                    on_alert(alert)
                shown += 1
                if limit is not None and shown >= limit:
                    break
            if idle_timeout_s is not None and time.monotonic() - last > idle_timeout_s:
                break
    finally:
        consumer.close()
    return shown
