"""Which windows' signals are due, and the alerts their results raise; run inside the window monitor.

Two progress lines per stream, each the latest window with stored results of its signals (results are
stored last, after the policy moved, so a stored window is a finished one and a crash repeats it):

- the *call* signals (latency, tokens, cost, length, safety rates, relevance, volume, silence) close
  with the drift windows, ``monitor.grace_s`` after the window ends;
- the *feedback* signals (thumbs-down, flags, corrections, rating, feedback coverage) close
  ``monitor.feedback_grace_s`` after it, because feedback arrives minutes to hours after its call.

Two lines rather than one late evaluation of everything, so that latency, cost and silence alert as
soon as the window closes; each line's tests of a window are one family for the correction. Streams
come from the events of the last ``monitor.idle_after_s``, so a stream that stops sending keeps having
windows evaluated, and its silence is seen.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from infra.settings import SIGNAL_NAMES, Settings
from infra.store import Store, StreamSpan
from monitor.alerting import PolicyState, Transition, transition_alert
from monitor.signals.catalog import CATALOG
from monitor.signals.evaluate import SignalEvaluator, change_detector, threshold_detector
from monitor.windows.windows import Window, closed_windows, floor_time
from schemas import Alert, AlertKind, DriftResult, StreamKey


@dataclass(frozen=True)
class SignalLine:
    """One progress line: its signals and how long after a window's end they are evaluated."""

    names: tuple[str, ...]
    grace_s: float

    @property
    def detectors(self) -> list[str]:
        return [d for n in self.names for d in (change_detector(n), threshold_detector(n))]


def signal_dedup_key(stream: StreamKey, detector: str) -> str:
    """Transitions of one signal rule's alert share this key.

    >>> signal_dedup_key(StreamKey(app="a", model="m", model_version="1"), "signal.latency_p95")
    'a/m@1:signal:signal.latency_p95'
    """
    return f"{stream}:signal:{detector}"


def signal_alert(transition: Transition, dedup_key: str) -> Alert:
    """The alert of a signal rule's transition, its summary the value, reference and effect."""
    r = transition.result
    window = "?" if r.window_start is None else f"{r.window_start:%Y-%m-%d %H:%M:%S}"
    summary = f"{r.explanation} on {r.stream}: {transition.state.value} ({transition.reason}); window from {window}"
    return transition_alert(transition, dedup_key, AlertKind.SIGNAL, summary, r)


def firing_signals(policy_states: Mapping[str, str]) -> list[str]:
    """``APP/MODEL@VERSION signal.<name>`` of each signal rule whose alert is firing, from stored policy states."""
    firing = []
    for key, raw in sorted(policy_states.items()):
        stream, marker, detector = key.partition(":signal:")
        if marker and PolicyState.model_validate_json(raw).firing:
            firing.append(f"{stream} {detector}")
    return firing


def alerting(result: DriftResult) -> bool:
    """Whether a stored signal result goes to the alert policy (value-only records do not)."""
    return result.config.get("rule") != "value"


class SignalMonitor:
    """The signal side of :class:`~monitor.windows.Monitor`: due windows and their evaluation."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.evaluator = SignalEvaluator(settings, store)
        monitor = settings.monitor
        feedback = tuple(n for n in SIGNAL_NAMES if CATALOG[n].feedback)
        calls = tuple(n for n in SIGNAL_NAMES if not CATALOG[n].feedback)
        self.lines = (
            SignalLine(calls, monitor.grace_s),
            SignalLine(feedback, max(monitor.grace_s, monitor.feedback_grace_s)),
        )

    def due(
        self, spans: Sequence[StreamSpan], horizon: datetime
    ) -> Iterator[tuple[StreamSpan, SignalLine, list[Window]]]:
        """Per progress line and stream, the closed windows whose signals are not evaluated yet (oldest first)."""
        size = self.settings.drift.window_s
        limit = self.settings.monitor.max_windows_per_run
        for line in self.lines:
            progress = self.store.drift.latest_windows(line.detectors)
            for span in spans:
                start = progress.get(span.stream) or floor_time(span.first_event, size)
                windows = list(closed_windows(start, horizon, size, line.grace_s, limit=limit))
                if windows:
                    yield span, line, windows
