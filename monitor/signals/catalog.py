"""What each window signal is: how it is read from a window's counts, which way is worse, how it is shown.

Rates are ``k`` of ``n`` (thumbs-down among calls with thumbs feedback, flags and corrections among all
calls, each safety detector's breaches among the calls it scored). Quantiles and the other continuous
signals are computed from the window's capped sample. ``volume`` is the window's events against the
reference's mean per window, a change either way; ``feedback_coverage`` is recorded every window and
decided only by a threshold rule; ``silence`` has its own rule (see :mod:`monitor.signals.evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from infra.settings import SIGNAL_NAMES
from infra.store import SignalCounts

SignalKind = Literal["rate", "quantile", "sample", "count"]


@dataclass(frozen=True)
class Signal:
    name: str
    label: str
    kind: SignalKind
    unit: Literal["share", "ms", "usd", "count", "score"] = "count"
    feedback: bool = False
    """Evaluated only ``monitor.feedback_grace_s`` after the window ends."""
    lower_is_worse: bool = False
    source: str = ""
    """The sample a quantile or continuous signal is computed from."""
    quantile: float = 0.5
    statistic: Literal["mean", "median"] = "mean"


def _detector_rate(detector: str, label: str) -> Signal:
    return Signal(f"{detector}_rate", label, "rate", "share", source=detector)


CATALOG: dict[str, Signal] = {
    s.name: s
    for s in (
        Signal("thumbs_down_rate", "thumbs-down rate", "rate", "share", feedback=True),
        Signal("flag_rate", "flag rate", "rate", "share", feedback=True),
        Signal("correction_rate", "correction rate", "rate", "share", feedback=True),
        Signal("mean_rating", "mean rating", "sample", "score", feedback=True, lower_is_worse=True, source="rating"),
        _detector_rate("refusal", "refusal rate"),
        _detector_rate("jailbreak", "jailbreak breach rate"),
        _detector_rate("harmful_request", "harmful-request breach rate"),
        _detector_rate("toxicity", "toxicity breach rate"),
        _detector_rate("pii", "PII breach rate"),
        Signal("low_relevance_rate", "low-relevance share", "rate", "share", source="relevance"),
        Signal(
            "relevance_median",
            "median relevance",
            "sample",
            "score",
            lower_is_worse=True,
            source="relevance",
            statistic="median",
        ),
        Signal("latency_p50", "p50 latency", "quantile", "ms", source="latency_ms", quantile=0.5),
        Signal("latency_p95", "p95 latency", "quantile", "ms", source="latency_ms", quantile=0.95),
        Signal("tokens_in", "tokens in per call", "sample", source="tokens_in"),
        Signal("tokens_out", "tokens out per call", "sample", source="tokens_out"),
        Signal("cost_per_call", "cost per call", "sample", "usd", source="cost_usd"),
        Signal("response_length", "response length (chars)", "sample", source="response_chars"),
        Signal("volume", "events", "count"),
        Signal("feedback_coverage", "feedback coverage", "rate", "share", feedback=True),
        Signal("silence", "events (silence)", "count"),
    )
}
assert set(CATALOG) == set(SIGNAL_NAMES), "every signal name has a definition"

SAFETY_DETECTORS = tuple(sorted({s.source for s in CATALOG.values() if s.kind == "rate" and s.source}))
"""The safety detectors whose breaches the signal query counts."""


def rate_counts(signal: Signal, counts: SignalCounts) -> tuple[int, int]:
    """``(k, n)`` of a rate signal in one window (or merged reference)."""
    if signal.source:
        return counts.breached.get(signal.source, 0), counts.scored.get(signal.source, 0)
    return {
        "thumbs_down_rate": (counts.thumbs_down, counts.thumbs),
        "flag_rate": (counts.flagged, counts.events),
        "correction_rate": (counts.corrected, counts.events),
        "feedback_coverage": (counts.with_feedback, counts.events),
    }[signal.name]


def sample_of(signal: Signal, counts: SignalCounts) -> np.ndarray:
    return np.asarray(counts.samples.get(signal.source, []), dtype=np.float64)


def sample_value(signal: Signal, values: np.ndarray) -> float:
    if signal.kind == "quantile":
        return float(np.quantile(values, signal.quantile))
    return float(np.median(values) if signal.statistic == "median" else np.mean(values))


def show(signal: Signal, value: float | None) -> str:
    """A value as people read it.

    >>> show(CATALOG["latency_p95"], 2400.0), show(CATALOG["thumbs_down_rate"], 0.2)
    ('2,400 ms', '20.0%')
    """
    if value is None:
        return "n/a"
    if signal.unit == "share":
        return f"{value:.1%}"
    if signal.unit == "ms":
        return f"{value:,.0f} ms"
    if signal.unit == "usd":
        return f"${value:.4g}"
    if signal.unit == "score":
        return f"{value:.2f}"
    return f"{value:,.1f}" if value % 1 else f"{value:,.0f}"
