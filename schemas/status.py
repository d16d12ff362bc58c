"""What ``driftloop status`` and ``GET /v1/status`` report."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ConsumerLag(BaseModel):
    model_config = ConfigDict(frozen=True)

    group: str
    topic: str
    lag: int = Field(description="Messages not yet committed by the group (approximate on the local broker).")


class DriftWindowsStatus(BaseModel):
    """The drift monitor's runs, and how far its latest run could evaluate windows."""

    model_config = ConfigDict(frozen=True)

    runs: int
    windows_evaluated: int
    alerts_raised: int
    last_run_at: datetime | None = None
    evaluable_before: datetime | None = Field(
        default=None,
        description="At the latest run, windows closed (end plus grace) before this time were evaluated: the "
        "earlier of the wall clock and the ingest watermark.",
    )
    held_back_s: float | None = Field(
        default=None,
        description="How far the ingest watermark held windows back behind the wall clock at the latest run: "
        "events published before then were still on the broker.",
    )
    last_error: str | None = None


class ServiceStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    ready: bool
    bootstrap_servers: str
    clickhouse: str = Field(description="Store DSN without credentials.")
    table_counts: dict[str, int]
    dead_letters: int
    consumer_lag: list[ConsumerLag] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    drift_windows: DriftWindowsStatus | None = Field(default=None, description="None where no monitor runs.")
    firing_signals: list[str] = Field(
        default_factory=list, description="Signal rules firing now, as 'APP/MODEL@VERSION signal.<name>'."
    )
