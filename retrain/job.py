"""The job contract: what a retraining job receives and what it reports back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from retrain.snapshot import Snapshot
from schemas import RetrainRequest, RetrainStatus, StreamKey


@dataclass(frozen=True)
class JobContext:
    """One run, handed to its job once the snapshot is written."""

    run_id: str
    stream: StreamKey
    reason: str
    snapshot: Snapshot
    requested_at: datetime
    alert_id: str | None = None

    def request(self) -> RetrainRequest:
        """The wire form external jobs receive (Kafka, webhook)."""
        return RetrainRequest(
            run_id=self.run_id,
            stream=self.stream,
            reason=self.reason,
            alert_id=self.alert_id,
            snapshot_path=str(self.snapshot.path),
            snapshot_sha256=self.snapshot.sha256,
            manifest=self.snapshot.manifest,
            requested_at=self.requested_at,
        )


@dataclass(frozen=True)
class JobOutcome:
    """A job's verdict. External jobs succeed once the request is handed over."""

    status: RetrainStatus
    message: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    champion_version: str | None = None
    challenger_version: str | None = None

    def __post_init__(self) -> None:
        if not self.status.finished:
            raise ValueError(f"a job ends succeeded, rejected or failed, not {self.status}")


class RetrainJob(Protocol):
    name: str
    """Recorded as the run's ``job``."""

    def run(self, context: JobContext) -> JobOutcome: ...
