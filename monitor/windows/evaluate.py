"""Evaluate one window of one stream: read current and reference samples, run the drift tests, correct.

The reference is the stream's pinned window (``driftloop reference set``) or ``trailing_windows``
windows ending ``trailing_gap_windows`` before the current one, per ``monitor.reference``. Samples are
deterministic (a hash of the event id picks them), and so are the detectors (seeded), so evaluating a
window again gives the same results. Below ``drift.min_samples`` on either side a test records
INSUFFICIENT_DATA instead of deciding. The p-values of one window's tests are corrected together (``drift.correction``).
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from detectors.drift import DriftDetector, correct
from infra.settings import DriftTestSpec, Settings
from infra.store import InferenceWindow, ReferencePin, Store
from monitor.windows.drift_tests import build_detector
from monitor.windows.windows import Window
from schemas import DriftDecision, DriftResult, StreamKey


@dataclass(frozen=True)
class WindowEvaluation:
    """The results of one window with the samples they were computed on (for reports)."""

    stream: StreamKey
    window: Window
    reference: Window | None
    pinned: bool
    results: list[DriftResult]
    current: InferenceWindow
    reference_sample: InferenceWindow | None

    @property
    def insufficient(self) -> bool:
        return all(r.decision is DriftDecision.INSUFFICIENT_DATA for r in self.results)


def feature_sample(window: InferenceWindow, feature: str) -> tuple[np.ndarray, list[str]]:
    """Embeddings of one feature with their texts; events without that embedding are left out."""
    emb = window.prompt_embeddings if feature == "prompt_embedding" else window.response_embeddings
    texts = window.prompts if feature == "prompt_embedding" else window.responses
    if emb.size == 0:
        return np.zeros((0, 0), dtype=np.float32), []
    keep = np.flatnonzero(np.isfinite(emb).all(axis=1))
    if len(keep) == len(emb):
        return emb, list(texts)
    return emb[keep], [texts[i] for i in keep]


def merge_windows(
    stream: StreamKey, start: datetime, end: datetime, parts: Sequence[InferenceWindow], cap: int
) -> InferenceWindow:
    """Concatenate window samples, keeping at most ``cap`` events chosen by a hash of their ids."""
    ids = [e for p in parts for e in p.event_ids]
    keep = np.arange(len(ids))
    if len(ids) > cap:
        keys = np.array([zlib.crc32(e.encode()) for e in ids], dtype=np.int64)
        keep = np.sort(np.argsort(keys, kind="stable")[:cap])

    def stack(name: str) -> np.ndarray:
        arrays = [getattr(p, name) for p in parts if getattr(p, name).size]
        dims = {a.shape[1] for a in arrays}
        if not arrays or len(dims) != 1 or sum(len(a) for a in arrays) != len(ids):
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack(arrays)[keep]

    def pick(name: str) -> list:
        values = [v for p in parts for v in getattr(p, name)]
        return [values[i] for i in keep]

    return InferenceWindow(
        stream=stream,
        start=start,
        end=end,
        event_ids=[ids[i] for i in keep],
        event_times=pick("event_times"),
        prompts=pick("prompts"),
        responses=pick("responses"),
        prompt_embeddings=stack("prompt_embeddings"),
        response_embeddings=stack("response_embeddings"),
    )


def insufficient_result(detector: DriftDetector, n_reference: int, n_current: int, reason: str) -> DriftResult:
    return DriftResult(
        detector=detector.name,
        detector_version=detector.version,
        feature=detector.feature,
        statistic=0.0,
        alpha=detector.alpha,
        decision=DriftDecision.INSUFFICIENT_DATA,
        n_reference=n_reference,
        n_current=n_current,
        explanation=f"insufficient data: {reason}; no test was run",
        config=detector.config,
    )


def too_few_samples(detector: DriftDetector, ref: np.ndarray, cur: np.ndarray, label: str = "") -> DriftResult | None:
    """An insufficient-data result when either side is below the detector's minimum (or dimensions differ)."""
    if len(ref) >= detector.min_reference and len(cur) >= detector.min_current and ref.shape[1] == cur.shape[1]:
        return None
    return insufficient_result(
        detector,
        len(ref),
        len(cur),
        f"{label}n_reference={len(ref)} (min {detector.min_reference}), n_current={len(cur)} "
        f"(min {detector.min_current})",
    )


def window_stamp(stream: StreamKey, window: Window, reference: Window | None) -> dict[str, Any]:
    """The fields that place a window's result: stream, window and reference range."""
    return {
        "stream": stream,
        "window_start": window.start,
        "window_end": window.end,
        "reference_start": None if reference is None else reference.start,
        "reference_end": None if reference is None else reference.end,
    }


def reference_range(settings: Settings, window: Window, pin: ReferencePin | None) -> tuple[Window | None, bool]:
    """The reference range of a window per ``monitor.reference`` and whether it is pinned (``None``: none)."""
    mode = settings.monitor.reference
    if pin is not None and mode != "trailing":
        return Window(pin.start, pin.end), True
    if mode == "pinned":
        return None, False
    size = window.end - window.start
    end = window.start - settings.monitor.trailing_gap_windows * size
    return Window(end - settings.monitor.trailing_windows * size, end), False


class WindowEvaluator:
    """Runs the configured drift tests on windows read from the store.

    Window samples are cached (a trailing reference is made of the windows evaluated just before), and
    detectors fitted on a pinned reference are kept, so a catch-up over many windows reads and fits
    each thing once.
    """

    def __init__(self, settings: Settings, store: Store, *, cache_windows: int | None = None) -> None:
        self.settings = settings
        self.store = store
        self.specs: list[DriftTestSpec] = list(settings.monitor.tests)
        self._cache_size = (
            cache_windows or settings.monitor.trailing_windows + settings.monitor.trailing_gap_windows + 2
        )
        self._windows: OrderedDict[tuple[StreamKey, Window], InferenceWindow] = OrderedDict()
        self._fitted: OrderedDict[tuple, DriftDetector] = OrderedDict()

    # ---- samples ----------------------------------------------------------------------------------

    def read_window(self, stream: StreamKey, window: Window, limit: int | None = None) -> InferenceWindow:
        key = (stream, window)
        cached = self._windows.get(key)
        if cached is not None and limit is None:
            self._windows.move_to_end(key)
            return cached
        sample = self.store.events.window(
            stream, window.start, window.end, limit=limit or self.settings.monitor.max_current
        )
        if limit is None:
            self._windows[key] = sample
            while len(self._windows) > self._cache_size:
                self._windows.popitem(last=False)
        return sample

    def reference_for(self, stream: StreamKey, window: Window, pin: ReferencePin | None) -> tuple[Window | None, bool]:
        """The reference range of a window and whether it is pinned (``None``: no reference available)."""
        return reference_range(self.settings, window, pin)

    def read_reference(self, stream: StreamKey, reference: Window, pinned: bool, window: Window) -> InferenceWindow:
        cap = self.settings.monitor.max_reference
        if pinned:
            return self.read_window(stream, reference, limit=cap)
        size = window.end - window.start
        parts = []
        start = reference.start
        while start < reference.end:
            parts.append(self.read_window(stream, Window(start, start + size)))
            start += size
        return merge_windows(stream, reference.start, reference.end, parts, cap)

    # ---- evaluation -------------------------------------------------------------------------------

    def evaluate(self, stream: StreamKey, window: Window, pin: ReferencePin | None = None) -> WindowEvaluation:
        """Every configured test on one window, corrected together, stamped with stream, window and reference."""
        current = self.read_window(stream, window)
        reference, pinned = self.reference_for(stream, window, pin)
        ref_sample = None if reference is None else self.read_reference(stream, reference, pinned, window)
        results = [
            self._run(i, spec, stream, current, ref_sample, reference, pinned) for i, spec in enumerate(self.specs)
        ]
        results = correct(results, self.settings.drift.correction, alpha=self.settings.drift.alpha)
        stamp = window_stamp(stream, window, reference)
        results = [r.model_copy(update=stamp) for r in results]
        return WindowEvaluation(stream, window, reference, pinned, results, current, ref_sample)

    def _run(
        self,
        index: int,
        spec: DriftTestSpec,
        stream: StreamKey,
        current: InferenceWindow,
        ref_sample: InferenceWindow | None,
        reference: Window | None,
        pinned: bool,
    ) -> DriftResult:
        cur, cur_texts = feature_sample(current, spec.feature)
        if ref_sample is None or reference is None:
            detector = build_detector(spec, self.settings)
            return insufficient_result(detector, 0, len(cur), "no pinned reference for this stream")
        ref, ref_texts = feature_sample(ref_sample, spec.feature)
        detector = self._fitted_detector(index, spec, stream, reference, ref, ref_texts, pinned)
        if (too_few := too_few_samples(detector, ref, cur)) is not None:
            return too_few
        return detector.test(cur, cur_texts)

    def _fitted_detector(
        self,
        index: int,
        spec: DriftTestSpec,
        stream: StreamKey,
        reference: Window,
        ref: np.ndarray,
        ref_texts: list[str],
        pinned: bool,
    ) -> DriftDetector:
        key = (index, stream, reference.start, reference.end)
        if pinned and key in self._fitted:
            self._fitted.move_to_end(key)
            return self._fitted[key]
        detector = build_detector(spec, self.settings)
        if len(ref) >= detector.min_reference:
            detector.fit(ref, ref_texts)
        if pinned:
            self._fitted[key] = detector
            while len(self._fitted) > 4 * max(1, len(self.specs)):
                self._fitted.popitem(last=False)
        return detector
