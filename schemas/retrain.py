"""Retraining: the request handed to a job, and the recorded run: its status transitions and their summary."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.drift import StreamKey


class RetrainStatus(StrEnum):
    REQUESTED = "requested"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    REJECTED = "rejected"
    """The challenger did not beat the champion by the configured margin."""
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """Succeeded, rejected or failed: the run is over."""
        return self not in (RetrainStatus.REQUESTED, RetrainStatus.RUNNING)


class RetrainRequest(BaseModel):
    """Published on ``driftloop.retrain`` for external jobs: where the snapshot is and what is in it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    stream: StreamKey
    reason: str
    alert_id: str | None = None
    snapshot_path: str
    snapshot_sha256: str
    manifest: dict[str, object] = Field(default_factory=dict)
    requested_at: datetime


class _RunRecord(BaseModel):
    """What a retraining run's transition and its summary both carry: the run, a status, the evidence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    stream: StreamKey
    status: RetrainStatus
    job: str
    updated_at: datetime
    snapshot_sha256: str | None = None
    champion_version: str | None = None
    challenger_version: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    message: str = ""


class RetrainRun(_RunRecord):
    """One status transition of a retraining run, with its evidence."""


class RetrainRunSummary(_RunRecord):
    """A retraining run's latest status with the evidence of its transitions."""

    requested_at: datetime

    @property
    def finished(self) -> bool:
        return self.status.finished


class ProbeVersion(BaseModel):
    """One trained probe in the registry: where it is, what it was trained from, how it evaluated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: str
    version: str
    parent_version: str | None = None
    run_id: str | None = None
    snapshot_sha256: str | None = None
    embedder: str
    artefact_path: str
    n_train: int = Field(ge=0)
    metrics: dict[str, float] = Field(default_factory=dict)
    promoted: bool = False
    created_at: datetime
