"""All of driftloop's configuration in one object.

Sources, highest priority first: keyword arguments, environment variables
(``DRIFTLOOP_`` prefix, ``__`` between nested names, e.g. ``DRIFTLOOP_KAFKA__BOOTSTRAP_SERVERS``),
a TOML file (``DRIFTLOOP_CONFIG`` or ``driftloop --config``), then defaults. An unknown key is an error
that names it, never a typo silently replaced by a default. Defaults that the library shares (drift test
level, safety thresholds, rate tests) live in ``schemas`` models that these sections are built on.

>>> s = Settings(data_dir="/tmp/dl")
>>> s.clickhouse_dsn()
'chdb:///tmp/dl/clickhouse'
>>> s.topic("inference")
'driftloop.inference'
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from schemas.analytics import ComparisonTesting, RateTesting
from schemas.drift import DriftTesting
from schemas.safety import BREACH_DETECTORS, SafetyDetectorName, SafetyThresholds

TopicRole = Literal["inference", "feedback", "dlq", "alerts", "retrain", "scored"]
TOPIC_ROLES: tuple[TopicRole, ...] = ("inference", "feedback", "dlq", "alerts", "retrain", "scored")
DriftTestName = Literal["topic", "nearest_neighbour", "mmd", "mean_distance", "classifier"]
EmbeddingFeature = Literal["prompt_embedding", "response_embedding"]


class _Section(BaseModel):
    """A section of the settings: a key it does not know is an error naming the key."""

    model_config = ConfigDict(extra="forbid")


class KafkaSettings(_Section):
    bootstrap_servers: str | None = Field(
        default=None, description="host:port[,host:port]. Unset: driftloop starts its local broker."
    )
    topic_prefix: str = Field(default="driftloop", pattern=r"^[A-Za-z0-9._-]{1,100}$")
    partitions: int = Field(default=3, ge=1, le=10_000)
    replication_factor: int = Field(default=1, ge=1, le=10)
    consumer_group: str = Field(default="driftloop-workers", min_length=1)
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    max_poll_interval_s: float = Field(
        default=10.0,
        gt=0,
        description="Short by default: group joins take about this long on the local broker.",
    )
    local_broker_max_events: int = Field(
        default=200_000,
        ge=1000,
        description="Demo traffic on the local in-memory broker stops after this many events (it keeps them all).",
    )

    @model_validator(mode="after")
    def _security_agrees(self) -> KafkaSettings:
        """SASL settings and the protocol must say the same thing: one client library would ignore the mismatch."""
        uses_sasl = self.security_protocol.startswith("SASL_")
        if uses_sasl and self.sasl_mechanism is None:
            raise ValueError(f"security_protocol {self.security_protocol} needs sasl_mechanism")
        if uses_sasl and not self.sasl_username:
            raise ValueError(f"security_protocol {self.security_protocol} needs sasl_username")
        if not uses_sasl and self.sasl_mechanism is not None:
            raise ValueError(
                f"sasl_mechanism {self.sasl_mechanism} needs security_protocol SASL_PLAINTEXT or SASL_SSL"
                f" (it is {self.security_protocol})"
            )
        return self

    @property
    def sink_group(self) -> str:
        """The consumer group of the store's sink (scored rows and dead letters)."""
        return f"{self.consumer_group}-sink"


class ClickHouseSettings(_Section):
    dsn: str | None = Field(
        default=None,
        description="chdb:///dir (embedded) or http(s)://user:pass@host:8123. Unset: chdb under data_dir.",
    )
    database: str = Field(default="driftloop", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    cluster: str | None = Field(default=None, description="Emit ON CLUSTER / Replicated tables for this cluster.")
    username: str | None = None
    password: SecretStr | None = None
    secure: bool = False
    events_ttl_days: int = Field(default=90, ge=1)
    scores_ttl_days: int = Field(default=365, ge=1)

    @field_validator("dsn")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("chdb://", "http://", "https://")):
            raise ValueError("clickhouse.dsn must start with chdb://, http:// or https://")
        return value


class IngestSettings(_Section):
    max_text_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    batch_size: int = Field(default=2000, ge=1, le=100_000)
    batch_timeout_s: float = Field(default=0.5, gt=0, le=60)
    rows_per_message: int = Field(
        default=100, ge=1, le=10_000, description="Scored rows packed into one message on the internal topic."
    )


class EmbeddingSettings(_Section):
    backend: Literal["fp32", "bf16", "openvino-int8", "onnx-int8", "auto"] = "auto"
    batch_size: int = Field(default=64, ge=1, le=4096)
    max_seq_length: int = Field(default=128, ge=8, le=512)
    cache_size: int = Field(default=50_000, ge=0)
    enabled: bool = True


class DriftSettings(DriftTesting):
    """Drift windows and the one level that decides every drift result of a window.

    ``alpha`` (from :class:`~schemas.drift.DriftTesting`) decides each result after the window's
    ``correction``; the alert policy counts those decisions and never re-decides them.
    """

    window_s: int = Field(default=300, ge=1)
    min_samples: int = Field(default=100, ge=2)
    correction: Literal["benjamini_hochberg", "bonferroni", "none"] = "benjamini_hochberg"


class SafetySettings(SafetyThresholds):
    """Per-event thresholds (:class:`~schemas.safety.SafetyThresholds`, the library's defaults) and alerts."""

    alert_detectors: list[SafetyDetectorName] = Field(
        default_factory=lambda: list(BREACH_DETECTORS),
        description="Detectors whose breach raises a per-event alert; the others are stored and monitored only.",
    )


class ApiToken(_Section):
    """A bearer token of the HTTP API and what it may do (``admin`` implies ``ingest`` and ``read``)."""

    name: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$", description="Shown in logs, never the token.")
    token: SecretStr = Field(description="At least 16 characters.")
    scopes: list[Literal["ingest", "read", "admin"]] = Field(min_length=1)

    @field_validator("token")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("an API token needs at least 16 characters")
        return value


class PrivacySettings(_Section):
    """What is done to events before they are stored (detectors always see the original text)."""

    redact_pii: bool = Field(default=False, description="Replace PII and secrets in prompts/responses by [KIND].")
    pseudonymise_ids: bool = Field(default=False, description="Store user and session ids as keyed hashes.")
    id_hash_key: SecretStr | None = Field(default=None, description="Key of the id hash; required to pseudonymise.")

    @model_validator(mode="after")
    def _key_when_hashing(self) -> PrivacySettings:
        if self.pseudonymise_ids and self.id_hash_key is None:
            raise ValueError("privacy.id_hash_key must be set when privacy.pseudonymise_ids is on")
        return self


class ApiSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8321, ge=0, le=65535)
    tokens: list[ApiToken] = Field(
        default_factory=list,
        description="Bearer tokens with scopes. None configured: the API binds to loopback only, without auth.",
    )
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    max_batch_events: int = Field(default=1000, ge=1, le=100_000, description="Events in one ingest request.")
    publish_timeout_s: float = Field(default=10.0, gt=0, description="Wait for the broker's ack before answering.")
    dashboard: bool = True


class RetrainLabelRules(_Section):
    """How feedback on one inference becomes a training label of a probe (1 = the unsafe / bad class).

    Feedback of kinds without a rule here is ignored. When one event has several labelling feedbacks,
    the latest (by feedback time, then feedback id) decides.
    """

    target: Literal["prompt", "response"] = "prompt"
    positive_flags: list[str] = Field(default_factory=lambda: ["unsafe", "harmful"])
    negative_flags: list[str] = Field(default_factory=lambda: ["safe", "false_positive"])
    thumbs_down: Literal[0, 1] | None = None
    thumbs_up: Literal[0, 1] | None = None
    rating_at_most: float | None = Field(default=None, description="Ratings <= this label the event 1.")
    rating_at_least: float | None = Field(default=None, description="Ratings >= this label the event 0.")
    correction: Literal[0, 1] | None = Field(default=None, description="Label of the corrected event's text.")
    correction_text: Literal[0, 1] | None = Field(
        default=None, description="Label of the user's corrected text, added as an extra example."
    )


class RetrainSettings(_Section):
    """When retraining triggers, what it snapshots, which job runs and how its challenger is gated."""

    enabled: bool = True
    trigger_kinds: list[Literal["drift", "safety"]] = Field(default_factory=lambda: ["drift"])
    trigger_detectors: list[Literal[DriftTestName, SafetyDetectorName]] = Field(
        default_factory=list, description="Empty: alerts of any detector."
    )
    min_severity: Literal["info", "warning", "critical"] = "warning"
    max_alert_age_s: float = Field(default=3600.0, gt=0, description="Older alerts (e.g. replayed) never trigger.")
    min_labelled_feedback: int = Field(default=50, ge=0, description="New labelled events since the last run.")
    cooldown_s: float = Field(default=3600.0, ge=0, description="Between two runs of one stream.")
    stale_run_s: float = Field(default=6 * 3600.0, gt=0, description="An unfinished run older than this is dead.")
    job: Literal["builtin", "kafka", "webhook", "command"] = "builtin"
    task: Literal["jailbreak", "harmful", "toxicity", "refusal", "quality"] = "harmful"
    labels: RetrainLabelRules | None = Field(default=None, description="Unset: the task's default rules.")
    gate_metric: Literal["auroc", "average_precision", "balanced_accuracy", "f1"] = "auroc"
    gate_margin: float = Field(default=0.01, ge=0, le=1)
    gate_threshold: float = Field(
        default=0.5, gt=0, lt=1, description="Score at which f1 and balanced_accuracy count a flag."
    )
    holdout_fraction: float = Field(default=0.3, gt=0, lt=1)
    min_holdout_per_class: int = Field(default=5, ge=1)
    seed: int = 0
    probe_c: float = Field(default=4.0, gt=0)
    max_snapshot_events: int = Field(default=100_000, ge=1)
    reload_poll_s: float = Field(default=5.0, gt=0, description="How often workers look for a promoted probe.")
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = Field(default=None, description="Signs each request as alert webhooks are.")
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    command: list[str] = Field(default_factory=list, description="Run as command + [snapshot_dir, manifest].")
    command_timeout_s: float = Field(default=3600.0, gt=0)


class DriftTestSpec(_Section):
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


class AlertPolicySettings(_Section):
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


class WebhookTarget(_Section):
    """An HTTP endpoint that receives every drift alert transition."""

    name: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    url: str = Field(pattern=r"^https?://")
    format: Literal["json", "slack"] = "json"
    secret: SecretStr | None = Field(default=None, description="Signs timestamp and body (infra.webhooks).")
    timeout_s: float = Field(default=5.0, gt=0)


class MonitorSettings(_Section):
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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRIFTLOOP_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Field(default=Path("driftloop-data"))
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "driftloop",
        description="Built once and shared by every data dir: exported embedding models, default probes.",
    )
    kafka: KafkaSettings = KafkaSettings()
    clickhouse: ClickHouseSettings = ClickHouseSettings()
    ingest: IngestSettings = IngestSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    drift: DriftSettings = DriftSettings()
    safety: SafetySettings = SafetySettings()
    api: ApiSettings = ApiSettings()
    privacy: PrivacySettings = PrivacySettings()
    monitor: MonitorSettings = MonitorSettings()
    retrain: RetrainSettings = RetrainSettings()
    segments: SegmentSettings = SegmentSettings()
    compare: CompareSettings = CompareSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("DRIFTLOOP_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    @model_validator(mode="after")
    def _critical_alpha_within_alpha(self) -> Settings:
        """``critical_alpha`` grades breaches that the family's alpha decided, so it cannot exceed that alpha."""
        families = [("monitor.default_policy", self.monitor.default_policy, "drift.alpha", self.drift.alpha)]
        families += [
            (f"monitor.policies.{name}", policy, "drift.alpha", self.drift.alpha)
            for name, policy in self.monitor.policies.items()
        ]
        families.append(("segments.policy", self.segments.policy, "segments.alpha", self.segments.alpha))
        for path, policy, alpha_path, alpha in families:
            if policy.critical_alpha > alpha:
                raise ValueError(
                    f"{path}.critical_alpha ({policy.critical_alpha:g}) must be at most {alpha_path} ({alpha:g}): "
                    "it grades the breaches that alpha decides"
                )
        return self

    def clickhouse_dsn(self) -> str:
        return self.clickhouse.dsn or f"chdb://{self.data_dir.absolute() / 'clickhouse'}"

    def topic(self, role: TopicRole) -> str:
        return f"{self.kafka.topic_prefix}.{role}"

    @property
    def embedded_store(self) -> bool:
        return self.clickhouse_dsn().startswith("chdb://")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once. Tests build ``Settings(...)`` directly instead."""
    return Settings()
