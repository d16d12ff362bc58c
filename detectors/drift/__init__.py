"""Drift detectors: reference vs current window, one calibrated test per module."""

from detectors.drift.base import DetectorNotFittedError, DriftDetector, Outcome
from detectors.drift.mmd import MMDDetector

__all__ = ["DetectorNotFittedError", "DriftDetector", "MMDDetector", "Outcome"]
