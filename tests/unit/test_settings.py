"""Settings reject typos with a message naming the setting, decide drift once, and are the library's defaults."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from detectors.drift import MMDDetector, TopicDriftDetector
from detectors.embedding.base import l2_normalise
from detectors.safety import SafetySuite
from infra.settings import AlertPolicySettings, MonitorSettings, SafetySettings, Settings
from monitor.windows.drift_tests import build_detector

ROOT = Path(__file__).resolve().parents[2]


def driftloop_up(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``driftloop [args] up`` as a user runs it; a bad configuration stops it before anything starts."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLOOP_")}
    return subprocess.run(
        [sys.executable, "-m", "driftloop.cli", "--data-dir", str(tmp_path / "data"), *args, "up"],
        env={**clean, "PYTHONPATH": str(ROOT), "COLUMNS": "400", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# ---- typos are start-up errors naming the setting --------------------------------------------------------


def test_a_mistyped_detector_key_in_an_env_var_stops_driftloop_up_naming_the_setting_and_key(tmp_path: Path) -> None:
    done = driftloop_up(tmp_path, DRIFTLOOP_MONITOR__POLICIES__NEAREST_NEIGHBOR__FIRE_AFTER="5")
    assert done.returncode == 2, done.stderr
    assert "invalid configuration: monitor.policies: key 'nearest_neighbor'" in done.stderr
    assert "'nearest_neighbour'" in done.stderr  # the valid names are listed


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[monitor.policies.mdm]\nfire_after = 5\n", "invalid configuration: monitor.policies: key 'mdm'"),
        (
            "[monitor.default_policy]\nfire_aftr = 5\n",
            "invalid configuration: monitor.default_policy.fire_aftr: no such",
        ),
    ],
    ids=["detector-key", "field-in-a-section"],
)
def test_a_typo_in_toml_stops_driftloop_up_naming_the_setting(tmp_path: Path, toml: str, message: str) -> None:
    config = tmp_path / "driftloop.toml"
    config.write_text(toml)
    done = driftloop_up(tmp_path, "--config", str(config))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr


def test_per_detector_policies_accept_every_drift_test_and_apply_to_it() -> None:
    monitor = MonitorSettings(policies={"mmd": AlertPolicySettings(fire_after=5)})
    assert monitor.policy("mmd").fire_after == 5
    assert monitor.policy("topic") is monitor.default_policy


@pytest.mark.parametrize(
    ("values", "path"),
    [
        ({"segments": {"breach_detectors": ["jailbrake"]}}, ("segments", "breach_detectors", 0)),
        ({"segments": {"refusal_detector": "refusals"}}, ("segments", "refusal_detector")),
        ({"retrain": {"trigger_detectors": ["nn"]}}, ("retrain", "trigger_detectors", 0)),
        ({"safety": {"alert_detectors": ["pii", "toxic"]}}, ("safety", "alert_detectors", 1)),
    ],
)
def test_detector_names_in_lists_are_checked(values: dict, path: tuple) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(**values)
    assert [e["loc"][: len(path)] for e in info.value.errors()] == [path]


# ---- one alpha decides a drift result ----------------------------------------------------------------------


def test_the_alert_policy_has_no_alpha_and_a_drift_test_cannot_bring_its_own() -> None:
    with pytest.raises(ValidationError, match="alpha"):
        Settings(monitor={"default_policy": {"alpha": 0.01}})
    with pytest.raises(ValidationError, match="drift.alpha"):
        Settings(monitor={"tests": [{"detector": "mmd", "params": {"alpha": 0.01}}]})


def test_detectors_are_built_at_the_family_alpha() -> None:
    settings = Settings(drift={"alpha": 0.01})
    assert build_detector(settings.monitor.tests[0], settings).alpha == 0.01


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"monitor": {"default_policy": {"critical_alpha": 0.1}}}, "monitor.default_policy.critical_alpha"),
        ({"monitor": {"policies": {"mmd": {"critical_alpha": 0.2}}}}, "monitor.policies.mmd.critical_alpha"),
        ({"segments": {"alpha": 0.01, "policy": {"critical_alpha": 0.02}}}, "segments.policy.critical_alpha"),
    ],
)
def test_critical_alpha_above_the_deciding_alpha_is_rejected(values: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**values)


# ---- the library's defaults are the settings' defaults ------------------------------------------------------


class _WordHashEmbedder:
    """Bag of words hashed into 32 signed buckets: enough to train the shipped probes in seconds."""

    name = "settings-test-hash"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 32), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[i, h % 32] += 1.0 if (h >> 32) & 1 else -1.0
        return l2_normalise(out)


def _thresholds(suite: SafetySuite) -> dict[str, float]:
    return {
        f"{d.name}:{getattr(d, 'target', '')}": getattr(d, "threshold", getattr(d, "min_findings", None))
        for d in suite.detectors
    }


def test_the_default_safety_suite_breaches_where_the_service_does(tmp_path: Path) -> None:
    embedder = _WordHashEmbedder()
    library = SafetySuite.default(embedder, cache_dir=tmp_path)
    service = SafetySuite.default(embedder, Settings().safety, cache_dir=tmp_path)
    assert _thresholds(library) == _thresholds(service)
    safety = SafetySettings()
    by_name = {d.name: d for d in library.detectors}
    assert by_name["jailbreak"].threshold == safety.jailbreak_threshold
    assert by_name["harmful_request"].threshold == safety.harmful_threshold
    assert by_name["refusal"].threshold == safety.refusal_threshold
    assert by_name["relevance"].threshold == safety.relevance_threshold
    assert by_name["pii"].min_findings == safety.pii_min_findings
    assert {d.threshold for d in library.detectors if d.name == "toxicity"} == {safety.toxicity_threshold}
    stricter = SafetySuite.default(embedder, SafetySettings(jailbreak_threshold=0.95), cache_dir=tmp_path)
    assert stricter.detector("jailbreak").threshold == 0.95


def test_drift_detectors_default_to_the_drift_settings() -> None:
    drift = Settings().drift
    for detector in (MMDDetector(), TopicDriftDetector()):
        assert detector.alpha == drift.alpha
        assert detector.n_permutations == drift.permutations


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"retrain": {"job": "webhook"}}, "job 'webhook' needs webhook_url"),
        ({"retrain": {"job": "command"}}, "job 'command' needs command"),
        ({"kafka": {"ssl_cafile": "/etc/ssl/ca.pem"}}, "ssl_cafile need security_protocol SSL or SASL_SSL"),
        ({"kafka": {"security_protocol": "SASL_SSL", "sasl_username": "u"}}, "needs sasl_mechanism"),
    ],
)
def test_an_incomplete_job_or_security_section_is_a_start_up_error(values: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**values)


def test_complete_job_and_security_sections_are_accepted() -> None:
    settings = Settings(
        retrain={"job": "command", "command": ["train.sh"]},
        kafka={"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "sasl_username": "u"},
    )
    assert settings.retrain.command == ["train.sh"] and settings.kafka.sasl_mechanism == "SCRAM-SHA-512"
