"""All of driftloop's configuration in one object.

Sources, highest priority first: keyword arguments, environment variables
(``DRIFTLOOP_`` prefix, ``__`` between nested names, e.g. ``DRIFTLOOP_KAFKA__BOOTSTRAP_SERVERS``),
a TOML file (``DRIFTLOOP_CONFIG`` or ``driftloop --config``), then defaults.

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
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

TopicRole = Literal["inference", "feedback", "dlq", "alerts", "retrain", "scored"]
TOPIC_ROLES: tuple[TopicRole, ...] = ("inference", "feedback", "dlq", "alerts", "retrain", "scored")


class KafkaSettings(BaseModel):
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


class ClickHouseSettings(BaseModel):
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


class IngestSettings(BaseModel):
    max_text_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    batch_size: int = Field(default=500, ge=1, le=100_000)
    batch_timeout_s: float = Field(default=0.5, gt=0, le=60)


class EmbeddingSettings(BaseModel):
    backend: Literal["fp32", "bf16", "openvino-int8", "onnx-int8", "auto"] = "auto"
    batch_size: int = Field(default=64, ge=1, le=4096)
    max_seq_length: int = Field(default=128, ge=8, le=512)
    cache_size: int = Field(default=50_000, ge=0)
    enabled: bool = True


class DriftSettings(BaseModel):
    window_s: int = Field(default=300, ge=1)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    min_samples: int = Field(default=100, ge=2)
    correction: Literal["benjamini_hochberg", "bonferroni", "none"] = "benjamini_hochberg"
    permutations: int = Field(default=1000, ge=50)


class SafetySettings(BaseModel):
    jailbreak_threshold: float = Field(default=0.5, ge=0, le=1)
    toxicity_threshold: float = Field(default=0.5, ge=0, le=1)
    refusal_threshold: float = Field(default=0.5, ge=0, le=1)
    relevance_threshold: float = Field(default=0.1, ge=-1, le=1)


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8321, ge=0, le=65535)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRIFTLOOP_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Field(default=Path("driftloop-data"))
    kafka: KafkaSettings = KafkaSettings()
    clickhouse: ClickHouseSettings = ClickHouseSettings()
    ingest: IngestSettings = IngestSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    drift: DriftSettings = DriftSettings()
    safety: SafetySettings = SafetySettings()
    api: ApiSettings = ApiSettings()

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
