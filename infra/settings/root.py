"""The one settings object and where it is read from."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from infra.settings.monitoring import CompareSettings, MonitorSettings, SegmentSettings
from infra.settings.sections import (
    ApiSettings,
    ClickHouseSettings,
    DriftSettings,
    EmbeddingSettings,
    IngestSettings,
    KafkaSettings,
    PrivacySettings,
    RetrainSettings,
    SafetySettings,
    TopicRole,
)


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
        families.append(("monitor.signals.policy", self.monitor.signals.policy, "drift.alpha", self.drift.alpha))
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
