"""The settings sections of the data path, the store, the API and retraining."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from schemas.drift import DriftTesting
from schemas.safety import BREACH_DETECTORS, SafetyDetectorName, SafetyThresholds

TopicRole = Literal["inference", "feedback", "dlq", "alerts", "retrain", "scored"]
TOPIC_ROLES: tuple[TopicRole, ...] = ("inference", "feedback", "dlq", "alerts", "retrain", "scored")
DriftTestName = Literal["topic", "nearest_neighbour", "mmd", "mean_distance", "classifier"]
EmbeddingFeature = Literal["prompt_embedding", "response_embedding"]


class SettingsSection(BaseModel):
    """A section of the settings: a key it does not know is an error naming the key."""

    model_config = ConfigDict(extra="forbid")


class KafkaSettings(SettingsSection):
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
        tls_files = [name for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile") if getattr(self, name) is not None]
        if tls_files and self.security_protocol not in ("SSL", "SASL_SSL"):
            raise ValueError(
                f"{', '.join(tls_files)} need security_protocol SSL or SASL_SSL (it is {self.security_protocol})"
            )
        return self

    @property
    def sink_group(self) -> str:
        """The consumer group of the store's sink (scored rows and dead letters)."""
        return f"{self.consumer_group}-sink"


class ClickHouseSettings(SettingsSection):
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


class IngestSettings(SettingsSection):
    max_text_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    batch_size: int = Field(default=2000, ge=1, le=100_000)
    batch_timeout_s: float = Field(default=0.5, gt=0, le=60)
    rows_per_message: int = Field(
        default=100, ge=1, le=10_000, description="Scored rows packed into one message on the internal topic."
    )


class EmbeddingSettings(SettingsSection):
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


class ApiToken(SettingsSection):
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


class PrivacySettings(SettingsSection):
    """What is done to events before they are stored (detectors always see the original text)."""

    redact_pii: bool = Field(default=False, description="Replace PII and secrets in prompts/responses by [KIND].")
    pseudonymise_ids: bool = Field(default=False, description="Store user and session ids as keyed hashes.")
    id_hash_key: SecretStr | None = Field(default=None, description="Key of the id hash; required to pseudonymise.")

    @model_validator(mode="after")
    def _key_when_hashing(self) -> PrivacySettings:
        if self.pseudonymise_ids and self.id_hash_key is None:
            raise ValueError("privacy.id_hash_key must be set when privacy.pseudonymise_ids is on")
        return self


class ApiSettings(SettingsSection):
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


class RetrainLabelRules(SettingsSection):
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


class RetrainSettings(SettingsSection):
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

    @model_validator(mode="after")
    def _job_is_complete(self) -> RetrainSettings:
        """The chosen job's own settings are present: a missing one is a start-up error, not a failed first run."""
        if self.job == "webhook" and not self.webhook_url:
            raise ValueError("job 'webhook' needs webhook_url")
        if self.job == "command" and not self.command:
            raise ValueError("job 'command' needs command (the program and its arguments)")
        return self
