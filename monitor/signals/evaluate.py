"""Evaluate the signals of a stream's windows against their reference, one ClickHouse query per batch.

Per window and signal, up to two results (``DriftResult``, stored in ``drift_scores`` like embedding drift):

- ``signal.<name>``, the *change* rule: a test against the reference (the same pinned or trailing range as
  embedding drift, :func:`monitor.windows.evaluate.reference_range`): rates by a one-sided two-proportion
  / Fisher test, quantiles by a one-sided test of the share of values above the reference's quantile,
  other continuous signals by Mann-Whitney. The window's tests are corrected together
  (``drift.correction``) and decided at ``drift.alpha``; a significant change is a breach only when its
  effect in the worse direction reaches the rule's ``min_effect`` (absolute for rates, relative for the
  rest), so a tiny change in a big window does not alert. ``volume`` is the window's events against the
  reference's mean per window (an exact binomial test), a drop or a spike. ``silence`` breaches when the
  window holds at most ``silence_fraction`` of the reference's mean events per window.
- ``signal.<name>.threshold``, the *threshold* rule (when ``above`` or ``below`` is set): no p-value, the
  value decides.

Too few trials or values on either side make a result INSUFFICIENT_DATA, which never alerts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from scipy import stats

from detectors.compare import compare_rates, compare_samples
from detectors.drift import correct
from infra.settings import ResolvedRule, Settings
from infra.store import SIGNAL_PREFIX, ReferencePin, SignalCounts, Store
from monitor.signals.catalog import CATALOG, SAFETY_DETECTORS, Signal, rate_counts, sample_of, sample_value, show
from monitor.windows.evaluate import reference_range, window_stamp
from monitor.windows.windows import Window
from schemas import DriftDecision, DriftResult, StreamKey

VERSION = "1"
VALUE_ONLY = ("feedback_coverage",)
"""Recorded every window; decided only by a threshold rule."""


def change_detector(name: str) -> str:
    return f"{SIGNAL_PREFIX}{name}"


def threshold_detector(name: str) -> str:
    return f"{SIGNAL_PREFIX}{name}.threshold"


def _effect(signal: Signal, current: float, reference: float) -> float | None:
    """Absolute for rates, relative otherwise (None when the reference is 0); positive means higher."""
    if signal.kind == "rate":
        return current - reference
    return None if reference == 0 else (current - reference) / abs(reference)


def _show_effect(signal: Signal, effect: float | None) -> str:
    if effect is None:
        return "new"
    return f"{effect * 100:+.1f} points" if signal.kind == "rate" else f"{effect:+.0%}"


class SignalEvaluator:
    """Reads signal counts for batches of windows and decides every rule on them."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.rules = settings.monitor.signals

    def evaluate(
        self,
        stream: StreamKey,
        windows: Sequence[Window],
        pin: ReferencePin | None,
        names: Sequence[str],
        first_event: datetime | None = None,
    ) -> list[tuple[Window, list[DriftResult]]]:
        """The results of ``names`` on each of ``windows`` (contiguous, oldest first), corrected per window.

        A trailing reference's windows that ended before the stream's ``first_event`` do not count in
        its mean events per window (the stream did not exist yet).
        """
        if not windows:
            return []
        size = (windows[0].end - windows[0].start).total_seconds()
        ranges = [reference_range(self.settings, w, pin) for w in windows]
        trailing = [r for r, pinned in ranges if r is not None and not pinned]
        origin = min([windows[0].start, *(r.start for r in trailing)])
        buckets = self._read(stream, origin, windows[-1].end, size)
        pinned_counts: dict[Window, SignalCounts] = {}
        out = []
        for window, (reference, pinned) in zip(windows, ranges, strict=True):
            current = buckets.get(self._index(origin, window.start, size), SignalCounts())
            ref: SignalCounts | None = None
            ref_windows = 0.0
            if reference is not None and pinned:
                if reference not in pinned_counts:
                    pinned_counts[reference] = self._read_one(stream, reference)
                ref = pinned_counts[reference]
                ref_windows = (reference.end - reference.start).total_seconds() / size
            elif reference is not None:
                first = self._index(origin, reference.start, size)
                count = round((reference.end - reference.start).total_seconds() / size)
                ref = SignalCounts.merged([buckets[i] for i in range(first, first + count) if i in buckets])
                step = timedelta(seconds=size)
                lived = [
                    i for i in range(count) if first_event is None or reference.start + (i + 1) * step > first_event
                ]
                ref_windows = float(len(lived))
            out.append((window, self.evaluate_window(stream, window, reference, current, ref, ref_windows, names)))
        return out

    def _read(self, stream: StreamKey, start: datetime, end: datetime, size: float) -> dict[int, SignalCounts]:
        return self.store.aggregates.signal_windows(
            stream, start, end, size, detectors=SAFETY_DETECTORS, cap=self.rules.max_sample
        )

    def _read_one(self, stream: StreamKey, window: Window) -> SignalCounts:
        size = (window.end - window.start).total_seconds()
        return self._read(stream, window.start, window.end, size).get(0, SignalCounts())

    @staticmethod
    def _index(origin: datetime, start: datetime, size: float) -> int:
        return round((start - origin) / timedelta(seconds=size))

    # ---- one window ----------------------------------------------------------------------------------

    def evaluate_window(
        self,
        stream: StreamKey,
        window: Window,
        reference: Window | None,
        current: SignalCounts,
        ref: SignalCounts | None,
        ref_windows: float,
        names: Sequence[str],
    ) -> list[DriftResult]:
        """Every rule of ``names`` on one window; change tests corrected together, then the effect floors."""
        results: list[DriftResult] = []
        coverage = current.with_feedback / current.events if current.events else None
        for name in names:
            signal = CATALOG[name]
            rule = self.rules.resolved(str(stream), name)
            if name == "silence":
                if rule.change:
                    results.append(self._silence(signal, current, ref, ref_windows))
                continue
            value, n_current = self._value(signal, current)
            ref_value = None
            if ref is not None and ref_windows:
                ref_value = self._value(signal, ref)[0]
                if signal.kind == "count" and ref_value is not None:
                    ref_value /= ref_windows
            if name in VALUE_ONLY:
                results.append(self._recorded(signal, value, ref_value, n_current))
            elif name == "volume" and rule.change:
                results.append(self._volume(signal, rule, current, ref, ref_windows))
            elif rule.change:
                results.append(self._change(signal, rule, current, ref))
            if rule.above is not None or rule.below is not None:
                results.append(self._threshold(signal, rule, value, ref_value, n_current))
        alpha = self.settings.drift.alpha
        results = correct(results, self.settings.drift.correction, alpha=alpha)
        stamp = window_stamp(stream, window, reference)
        out = []
        for r in results:
            update = dict(stamp)
            if CATALOG[r.feature].feedback:
                update["config"] = {**r.config, "feedback_coverage": coverage}
            if r.config.get("rule") == "change" and r.decision is DriftDecision.DRIFT and not r.config["floor_met"]:
                update["decision"] = DriftDecision.NO_DRIFT
                update["explanation"] = f"{r.explanation}; significant, but below the effect floor"
            out.append(r.model_copy(update=update))
        return out

    def _value(self, signal: Signal, counts: SignalCounts) -> tuple[float | None, int]:
        """The signal's value and how many trials or values it rests on."""
        if signal.kind == "count":
            return float(counts.events), counts.events
        if signal.kind == "rate":
            k, n = rate_counts(signal, counts)
            return (k / n if n else None), n
        values = sample_of(signal, counts)
        return (sample_value(signal, values) if values.size else None), int(values.size)

    def _minimum(self, signal: Signal) -> int:
        return self.rules.min_trials if signal.kind == "rate" else self.rules.min_samples

    def _result(self, signal: Signal, detector: str, **fields: Any) -> DriftResult:
        fields.setdefault("statistic", 0.0)
        fields["statistic"] = 0.0 if fields["statistic"] is None else float(fields["statistic"])
        return DriftResult(
            detector=detector, detector_version=VERSION, feature=signal.name, alpha=self.settings.drift.alpha, **fields
        )

    def _insufficient(self, signal: Signal, detector: str, rule: str, n_ref: int, n_cur: int) -> DriftResult:
        return self._result(
            signal,
            detector,
            decision=DriftDecision.INSUFFICIENT_DATA,
            n_reference=n_ref,
            n_current=n_cur,
            explanation=f"insufficient data: {signal.label} has {n_cur} current and {n_ref} reference "
            f"{'trials' if signal.kind == 'rate' else 'values'} (min {self._minimum(signal)} each)",
            config={"rule": rule},
        )

    def _change(
        self, signal: Signal, rule: ResolvedRule, current: SignalCounts, ref: SignalCounts | None
    ) -> DriftResult:
        detector = change_detector(signal.name)
        value, n_cur = self._value(signal, current)
        ref_value, n_ref = self._value(signal, ref) if ref is not None else (None, 0)
        minimum = self._minimum(signal)
        if value is None or ref_value is None or n_cur < minimum or n_ref < minimum:
            return self._insufficient(signal, detector, "change", n_ref, n_cur)
        worse_first = not signal.lower_is_worse
        p: float | None
        if signal.kind == "rate":
            (k_c, n_c), (k_r, n_r) = rate_counts(signal, current), rate_counts(signal, ref)
            counts = (k_c, n_c, k_r, n_r) if worse_first else (n_c - k_c, n_c, n_r - k_r, n_r)
            # no event of the kind on either side: no test can reject, so it stays out of the family
            p = None if counts[0] + counts[2] == 0 else compare_rates(*counts, alternative="greater").p_value
            test = "two_proportion_or_fisher"
        else:
            cur, base = sample_of(signal, current), sample_of(signal, ref)
            if signal.kind == "quantile":
                cut = float(np.quantile(base, signal.quantile))
                a = int((cur > cut).sum()), cur.size, int((base > cut).sum()), base.size
                p, test = compare_rates(*a, alternative="greater").p_value, f"share above reference q{signal.quantile}"
            else:
                p, test = compare_samples(cur, base, n_bootstrap=0).p_value, "mann_whitney"
        alpha = self.settings.drift.alpha
        effect = _effect(signal, value, ref_value)
        worse = value - ref_value if worse_first else ref_value - value
        worse_effect = worse if effect is None else (effect if worse_first else -effect)
        floor_met = worse > 0 and (effect is None or worse_effect >= rule.min_effect)
        summary = f"{signal.label} {show(signal, value)} (reference {show(signal, ref_value)}, "
        summary += f"{_show_effect(signal, effect)})"
        return self._result(
            signal,
            detector,
            statistic=value,
            p_value=p,
            decision=DriftDecision.DRIFT if p is not None and p <= alpha else DriftDecision.NO_DRIFT,
            n_reference=n_ref,
            n_current=n_cur,
            explanation=summary,
            config={
                "rule": "change",
                "test": test,
                "reference": ref_value,
                "effect": effect,
                "relative": signal.kind != "rate",
                "min_effect": rule.min_effect,
                "floor_met": floor_met,
                "worse": "lower" if signal.lower_is_worse else "higher",
            },
        )

    def _threshold(
        self, signal: Signal, rule: ResolvedRule, value: float | None, ref_value: float | None, n_cur: int
    ) -> DriftResult:
        detector = threshold_detector(signal.name)
        minimum = 0 if signal.kind == "count" else self._minimum(signal)
        if value is None or n_cur < minimum:
            return self._insufficient(signal, detector, "threshold", 0, n_cur)
        above = rule.above is not None and value > rule.above
        below = rule.below is not None and value < rule.below
        limit = rule.above if above or rule.below is None else rule.below
        side = "above" if above or rule.below is None else "below"
        summary = (
            f"{signal.label} {show(signal, value)} ({'' if above or below else 'not '}{side} {show(signal, limit)})"
        )
        return self._result(
            signal,
            detector,
            statistic=value,
            threshold=limit,
            decision=DriftDecision.DRIFT if above or below else DriftDecision.NO_DRIFT,
            n_reference=0,
            n_current=n_cur,
            explanation=summary,
            config={"rule": "threshold", "above": rule.above, "below": rule.below, "reference": ref_value},
        )

    def _recorded(self, signal: Signal, value: float | None, ref_value: float | None, n_cur: int) -> DriftResult:
        return self._result(
            signal,
            change_detector(signal.name),
            statistic=value,
            decision=DriftDecision.NO_DRIFT,
            n_reference=0,
            n_current=n_cur,
            explanation=f"{signal.label} {show(signal, value)} (reference {show(signal, ref_value)})",
            config={"rule": "value", "reference": ref_value},
        )

    def _volume(
        self, signal: Signal, rule: ResolvedRule, current: SignalCounts, ref: SignalCounts | None, ref_windows: float
    ) -> DriftResult:
        """Events of the window against the reference's mean per window, a drop or a spike.

        The test conditions on the events of both: under an unchanged rate each of them falls in the
        current window with probability ``1 / (1 + reference windows)`` (an exact binomial test).
        """
        detector = change_detector(signal.name)
        n_ref = ref.events if ref is not None else 0
        mean = n_ref / ref_windows if ref_windows else 0.0
        if mean < self.rules.silence_min_reference:
            return self._insufficient(signal, detector, "change", n_ref, current.events)
        p = float(stats.binomtest(current.events, current.events + n_ref, 1 / (1 + ref_windows)).pvalue)
        effect = current.events / mean - 1
        return self._result(
            signal,
            detector,
            statistic=current.events,
            p_value=min(1.0, p),
            decision=DriftDecision.DRIFT if p <= self.settings.drift.alpha else DriftDecision.NO_DRIFT,
            n_reference=n_ref,
            n_current=current.events,
            explanation=f"{current.events:,} events (reference {mean:,.1f} per window, {effect:+.0%})",
            config={
                "rule": "change",
                "test": "binomial",
                "reference": mean,
                "effect": effect,
                "relative": True,
                "min_effect": rule.min_effect,
                "floor_met": abs(effect) >= rule.min_effect,
                "worse": "either",
            },
        )

    def _silence(
        self, signal: Signal, current: SignalCounts, ref: SignalCounts | None, ref_windows: float
    ) -> DriftResult:
        detector = change_detector(signal.name)
        mean = ref.events / ref_windows if ref is not None and ref_windows else 0.0
        n_ref = ref.events if ref is not None else 0
        if mean < self.rules.silence_min_reference:
            return self._result(
                signal,
                detector,
                decision=DriftDecision.INSUFFICIENT_DATA,
                n_reference=n_ref,
                n_current=current.events,
                statistic=current.events,
                explanation=f"insufficient data: the reference has {mean:.1f} events per window "
                f"(min {self.rules.silence_min_reference:g})",
                config={"rule": "silence"},
            )
        limit = self.rules.silence_fraction * mean
        silent = current.events <= limit
        return self._result(
            signal,
            detector,
            statistic=current.events,
            threshold=limit,
            decision=DriftDecision.DRIFT if silent else DriftDecision.NO_DRIFT,
            n_reference=n_ref,
            n_current=current.events,
            explanation=f"{current.events} events (reference {mean:,.1f} per window"
            + (f", silent: at most {limit:,.1f})" if silent else ")"),
            config={"rule": "silence", "reference": mean, "fraction": self.rules.silence_fraction},
        )
