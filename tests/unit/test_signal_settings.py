"""``monitor.signals``: rules per stream glob, and a bad rule is a start-up error naming it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from infra.settings import Settings, SignalSettings


def test_defaults_watch_every_signal_with_a_change_rule_and_no_threshold() -> None:
    signals = Settings(data_dir="/tmp/dl").monitor.signals
    assert signals.resolved("a/m@1", "latency_p95") == (True, 0.2, None, None)
    assert signals.resolved("a/m@1", "thumbs_down_rate") == (True, 0.03, None, None)
    assert signals.resolved("a/m@1", "silence").change
    assert signals.resolved("a/m@1", "volume") == (True, 0.5, None, None)
    assert not signals.resolved("a/m@1", "feedback_coverage").change
    assert Settings(data_dir="/tmp/dl").monitor.feedback_grace_s == 900


def test_rules_apply_to_matching_streams_in_order() -> None:
    signals = SignalSettings(
        min_effect={"latency_p95": 0.5},
        rules=[
            {"signal": "latency_p95", "above": 2000},
            {"signal": "latency_p95", "streams": "support-*/*@*", "above": 900, "min_effect": 0.1},
            {"signal": "cost_per_call", "streams": "batch/*@*", "change": False},
        ],
    )
    assert signals.resolved("support-bot/gpt@1", "latency_p95") == (True, 0.1, 900, None)
    assert signals.resolved("search/gpt@1", "latency_p95") == (True, 0.5, 2000, None)
    assert not signals.resolved("batch/gpt@2", "cost_per_call").change
    assert signals.resolved("other/gpt@2", "cost_per_call").change


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"signal": "latency_p99"}, "latency_p99"),
        ({"signal": "latency_p95", "streams": "support-bot"}, "support-bot"),
        ({"signal": "latency_p95", "streams": "a/[m@1"}, "a/[m@1"),
    ],
)
def test_a_bad_rule_is_a_startup_error_naming_it(rule: dict, named: str) -> None:
    with pytest.raises(ValidationError, match="monitor.signals.rules") as caught:
        Settings(data_dir="/tmp/dl", monitor={"signals": {"rules": [rule]}})
    assert named in str(caught.value)


def test_a_floor_on_a_signal_without_a_change_rule_is_an_error() -> None:
    with pytest.raises(ValidationError, match="'feedback_coverage' has no change rule"):
        SignalSettings(min_effect={"feedback_coverage": 0.5})
