"""What ``driftloop status`` and ``GET /v1/status`` report."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ConsumerLag(BaseModel):
    model_config = ConfigDict(frozen=True)

    group: str
    topic: str
    lag: int = Field(description="Messages not yet committed by the group (approximate on the local broker).")


class ServiceStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    ready: bool
    bootstrap_servers: str
    clickhouse: str = Field(description="Store DSN without credentials.")
    table_counts: dict[str, int]
    dead_letters: int
    consumer_lag: list[ConsumerLag] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
