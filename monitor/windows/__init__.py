"""Drift windows: every closed event-time window of every stream, evaluated once against its reference.

:class:`Monitor` is what the store-owning process runs (``start()`` / ``shutdown()``: apscheduler jobs);
:class:`WindowEvaluator` evaluates one window; :func:`set_reference` pins a reference window.
"""

from monitor.windows.drift_tests import DETECTORS, build_detector
from monitor.windows.evaluate import WindowEvaluation, WindowEvaluator
from monitor.windows.monitor import Monitor, MonitorRun, MonitorStats
from monitor.windows.reference import (
    PinnedReference,
    clear_reference,
    set_reference,
    show_reference,
)
from monitor.windows.windows import Window, closed_windows, floor_time

__all__ = [
    "DETECTORS",
    "Monitor",
    "MonitorRun",
    "MonitorStats",
    "PinnedReference",
    "Window",
    "WindowEvaluation",
    "WindowEvaluator",
    "build_detector",
    "clear_reference",
    "closed_windows",
    "floor_time",
    "set_reference",
    "show_reference",
]
