"""Stream signals per window: quality, latency, cost, volume, safety rates and silence, with their rules.

:class:`SignalEvaluator` decides one stream's windows (one ClickHouse query per batch); the window
monitor (:class:`monitor.windows.Monitor`) runs it on the due windows and feeds the results to the alert
policy (:class:`SignalMonitor`). Signals and rules are settings (``monitor.signals``).
"""

from monitor.signals.catalog import CATALOG, Signal
from monitor.signals.evaluate import SignalEvaluator, change_detector, threshold_detector
from monitor.signals.monitor import SignalLine, SignalMonitor, firing_signals, signal_alert, signal_dedup_key

__all__ = [
    "CATALOG",
    "Signal",
    "SignalEvaluator",
    "SignalLine",
    "SignalMonitor",
    "change_detector",
    "firing_signals",
    "signal_alert",
    "signal_dedup_key",
    "threshold_detector",
]
