"""The settings sections of monitoring: drift tests, alert policies, webhooks, segments, comparison."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, SecretStr, field_validator

from infra.settings.sections import DriftTestName, EmbeddingFeature, SettingsSection
from infra.settings.signals import DEFAULT_MIN_EFFECT, ResolvedRule, SignalName, SignalRule
from schemas.analytics import ComparisonTesting, RateTesting
from schemas.safety import BREACH_DETECTORS, SafetyDetectorName


class DriftTestSpec(SettingsSection):
    """One drift test run on every window: a detector of ``detectors.drift`` on one embedding feature."""

    detector: DriftTestName
    feature: EmbeddingFeature = "prompt_embedding"
    params: dict[str, float | int | bool | str | None] = Field(
        default_factory=dict,
        description="Constructor arguments of the detector (e.g. n_clusters); not alpha: the family's alpha "
        "(drift.alpha, segments.alpha) decides every test of a window.",
    )

    @field_validator("params")
    @classmethod
    def _no_own_alpha(cls, value: dict) -> dict:
        if "alpha" in value:
            raise ValueError(
                "a drift test has no alpha of its own: drift.alpha (segments.alpha for segment tests) decides it"
            )
        return value


class AlertPolicySettings(SettingsSection):
    """When a detector's window results fire and resolve an alert.

    A window breaches when its result's decision is DRIFT: the family's alpha (``drift.alpha``, or
    ``segments.alpha`` for segment checks) decided it after the correction, and the policy does not decide again.
    """

    enabled: bool = True
    critical_alpha: float = Field(
        default=0.001,
        gt=0,
        lt=1,
        description="A breach whose corrected p-value is at or below this is critical, else a warning; at most "
        "the family's alpha.",
    )
    fire_after: int = Field(default=3, ge=1, description="k consecutive breaching windows fire the alert.")
    resolve_after: int = Field(default=2, ge=1, description="j consecutive clean windows resolve it.")
    cooldown_s: float = Field(default=1800, ge=0, description="Event time after a resolve before it may fire again.")
    min_count: int = Field(default=100, ge=0, description="Windows with fewer current samples do not count.")


class WebhookTarget(SettingsSection):
    """An HTTP endpoint that receives every drift alert transition."""

    name: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    url: str = Field(pattern=r"^https?://")
    format: Literal["json", "slack"] = "json"
    secret: SecretStr | None = Field(default=None, description="Signs timestamp and body (infra.webhooks).")
    timeout_s: float = Field(default=5.0, gt=0)


class SignalSettings(SettingsSection):
    """Per-window signals of each stream and their rules (see :mod:`infra.settings.signals`)."""

    enabled: bool = True
    policy: AlertPolicySettings = Field(
        default_factory=lambda: AlertPolicySettings(fire_after=2, resolve_after=2, min_count=0),
        description="The alert policy of every signal rule (min_count: the rules' own minimums apply).",
    )
    min_effect: dict[SignalName, float] = Field(
        default_factory=dict, description="Change-rule floors per signal; unset signals keep DEFAULT_MIN_EFFECT."
    )
    rules: list[SignalRule] = Field(default_factory=list, description="Per stream glob, applied in order.")
    min_trials: int = Field(default=30, ge=1, description="A rate needs this many trials on each side.")
    min_samples: int = Field(default=30, ge=2, description="A continuous signal needs this many values per side.")
    max_sample: int = Field(
        default=1000, ge=10, description="Values per window and signal for rank tests (a sample by event-id hash)."
    )
    silence_fraction: float = Field(
        default=0.1, ge=0, lt=1, description="Silence: the window has at most this share of the reference's mean."
    )
    silence_min_reference: float = Field(
        default=10, gt=0, description="Silence needs a reference of at least this many events per window."
    )

    @field_validator("min_effect")
    @classmethod
    def _floors(cls, value: dict[str, float]) -> dict[str, float]:
        for name, floor in value.items():
            if name not in DEFAULT_MIN_EFFECT:
                raise ValueError(f"signal {name!r} has no change rule, so no min_effect")
            if floor < 0:
                raise ValueError(f"min_effect of {name} must be >= 0, got {floor}")
        return {**DEFAULT_MIN_EFFECT, **value}

    def resolved(self, stream: str, signal: str) -> ResolvedRule:
        """The rules of one signal on one stream: defaults, then every matching rule in order."""
        floors = {**DEFAULT_MIN_EFFECT, **self.min_effect}
        change, floor, above, below = signal in floors or signal == "silence", floors.get(signal, 0.0), None, None
        for rule in self.rules:
            if rule.signal != signal or not rule.matches(stream):
                continue
            change = rule.change if rule.change is not None else change
            floor = rule.min_effect if rule.min_effect is not None else floor
            above = rule.above if rule.above is not None else above
            below = rule.below if rule.below is not None else below
        return ResolvedRule(change, floor, above, below)


class MonitorSettings(SettingsSection):
    """Drift windows (window size, alpha, minimum sample and correction are in ``drift``) and alerting."""

    interval_s: float = Field(default=30.0, gt=0, description="How often the scheduler looks for closed windows.")
    grace_s: float = Field(default=60.0, ge=0, description="A window is evaluated this long after it ends.")
    reference: Literal["pinned_or_trailing", "pinned", "trailing"] = "pinned_or_trailing"
    trailing_windows: int = Field(default=6, ge=1, description="Windows in the trailing reference.")
    trailing_gap_windows: int = Field(
        default=2,
        ge=0,
        description="Windows skipped between the trailing reference and the current window, so a sustained "
        "shift is still compared with what came before it for fire_after windows (keep >= fire_after - 1).",
    )
    max_current: int = Field(default=1000, ge=2, description="Current-window sample cap (a deterministic sample).")
    max_reference: int = Field(default=2000, ge=2)
    max_windows_per_run: int = Field(default=1000, ge=1, description="Catch-up bound per stream and run.")
    idle_after_s: float = Field(default=86_400, gt=0, description="Streams silent this long are not evaluated.")
    tests: list[DriftTestSpec] = Field(
        default_factory=lambda: [DriftTestSpec(detector="topic"), DriftTestSpec(detector="nearest_neighbour")]
    )
    default_policy: AlertPolicySettings = AlertPolicySettings()
    policies: dict[DriftTestName, AlertPolicySettings] = Field(
        default_factory=dict, description="Per drift test, by detector name; the others use default_policy."
    )
    reports: bool = Field(default=True, description="Write an Evidently HTML report per firing drift alert.")
    report_max_rows: int = Field(default=500, ge=10, description="Rows per side in a report.")
    report_embedding_map: bool = Field(
        default=False, description="Add Evidently's t-SNE embedding map (tens of seconds per alert on 2 cores)."
    )
    webhooks: list[WebhookTarget] = Field(default_factory=list)
    signals: SignalSettings = SignalSettings()
    feedback_grace_s: float = Field(
        default=900.0,
        ge=0,
        description="Feedback-based signals of a window are evaluated this long after it ends (late feedback).",
    )
    delivery_interval_s: float = Field(default=2.0, gt=0, description="How often pending deliveries are retried.")
    delivery_attempts: int = Field(default=3, ge=1, description="Tries per delivery round, with backoff between.")
    delivery_backoff_s: float = Field(default=0.2, gt=0, description="First backoff; doubles per try.")
    delivery_backoff_max_s: float = Field(default=300.0, gt=0)

    def policy(self, detector: str) -> AlertPolicySettings:
        return self.policies.get(detector, self.default_policy)


SegmentMetric = Literal["thumbs_down", "flag", "safety_breach", "refusal", "off_topic"]
CompareMetric = Literal[
    "thumbs_down",
    "flag",
    "safety_breach",
    "refusal",
    "off_topic",
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "relevance",
    "response_embedding",
]


class SegmentSettings(RateTesting):
    """User segments from event tags, their per-window rates, and disparity alerts (a segment vs the rest).

    Segment checks are their own family of tests: ``alpha`` decides them after ``correction``, as
    ``drift.alpha`` decides a stream's drift windows (``confidence`` and ``fisher_below`` are
    :class:`~schemas.analytics.RateTesting`'s).
    """

    enabled: bool = True
    tags: list[str] = Field(
        default_factory=lambda: ["locale", "user_tier", "channel"], description="Event tags that define segments."
    )
    max_values: int = Field(
        default=10, ge=1, le=1000, description="Most frequent values kept per tag and window; the rest pooled."
    )
    other_label: str = Field(default="other", min_length=1, description="The pooled value of rare tag values.")
    unset_label: str = Field(default="(unset)", min_length=1, description="Events without the tag.")
    window_s: int = Field(default=3600, ge=1, description="Segments need more events than drift windows.")
    metrics: list[SegmentMetric] = Field(
        default_factory=lambda: ["thumbs_down", "flag", "safety_breach", "refusal", "off_topic"]
    )
    alpha: float = Field(default=0.05, gt=0, lt=1)
    margin: float = Field(
        default=0.05, ge=0, lt=1, description="A segment is disparate only when its rate differs by more than this."
    )
    min_count: int = Field(default=30, ge=1, description="Events with the metric, per side, before testing.")
    worse_only: bool = Field(
        default=True, description="Only a segment worse than the rest is a disparity (one-sided tests)."
    )
    correction: Literal["benjamini_hochberg", "bonferroni", "none"] = "benjamini_hochberg"
    policy: AlertPolicySettings = Field(
        default_factory=lambda: AlertPolicySettings(fire_after=2, resolve_after=2, min_count=30, cooldown_s=3600)
    )
    refusal_detector: SafetyDetectorName = "refusal"
    off_topic_detector: SafetyDetectorName = "relevance"
    breach_detectors: list[SafetyDetectorName] = Field(
        default_factory=lambda: list(BREACH_DETECTORS), description="Detectors whose breaches count as a safety breach."
    )
    interval_s: float = Field(default=60.0, gt=0, description="How often the scheduler looks for closed windows.")
    grace_s: float = Field(default=300.0, ge=0, description="Late feedback: a window is evaluated this long after.")
    max_windows_per_run: int = Field(default=100, ge=1)
    drift_tests: list[DriftTestSpec] = Field(
        default_factory=lambda: [DriftTestSpec(detector="nearest_neighbour")],
        description="Embedding drift tests of each segment against its own events in the stream's reference "
        "period (pinned or trailing, per monitor.reference); empty: no segment drift.",
    )
    drift_min_samples: int = Field(default=100, ge=2, description="Embedded events per side before a drift test.")
    drift_max_samples: int = Field(
        default=500, ge=2, description="Embeddings per side and segment (a deterministic sample by event id)."
    )
    drift_one_per_session: bool = Field(
        default=True,
        description="Sample one event per session and segment: a session's turns share a topic, and counting "
        "them as independent draws makes drift tests alarm too often.",
    )


class CompareSettings(ComparisonTesting):
    """Model-version comparison (``driftloop compare``): tests, correction and sample caps.

    A comparison is its own family of tests, decided by ``alpha`` after ``correction``
    (``confidence``, ``fisher_below`` and ``n_bootstrap`` are :class:`~schemas.analytics.ComparisonTesting`'s).
    """

    alpha: float = Field(default=0.05, gt=0, lt=1)
    correction: Literal["benjamini_hochberg", "bonferroni", "none"] = "benjamini_hochberg"
    metrics: list[CompareMetric] = Field(default_factory=lambda: list(get_args(CompareMetric)))
    min_count: int = Field(default=30, ge=2, description="Events with the metric, per version, before testing.")
    max_sample: int = Field(
        default=20_000, ge=100, description="Events per version for rank tests (a deterministic sample by id)."
    )
    max_embeddings: int = Field(default=1000, ge=30, description="Response embeddings per version for drift.")
    drift_test: DriftTestSpec = Field(
        default_factory=lambda: DriftTestSpec(detector="mmd", feature="response_embedding", params={})
    )
    seed: int = 0
