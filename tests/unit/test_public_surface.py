"""driftloop's public Python surface is deliberate: adding or removing a name is a visible change."""

from __future__ import annotations

import driftloop
from driftloop.errors import DriftloopError

EXPORTED = {
    "BrokerUnavailable",
    "ConfigError",
    "DriftloopError",
    "FeedbackEvent",
    "FeedbackKind",
    "InferenceEvent",
    "InvalidEvent",
    "Publisher",
    "PublishError",
    "ServiceNotRunning",
}


def test_exported_members():
    assert set(driftloop.__all__) == EXPORTED
    assert all(hasattr(driftloop, name) for name in EXPORTED)


def test_every_exported_error_is_a_driftloop_error():
    exported = [getattr(driftloop, name) for name in EXPORTED]
    errors = [obj for obj in exported if isinstance(obj, type) and issubclass(obj, Exception)]
    assert len(errors) == 6
    assert all(issubclass(error, DriftloopError) for error in errors)
