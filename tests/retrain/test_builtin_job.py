"""The built-in job end to end on the real embedded store: snapshot, gate, registry lineage, hot reload."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from consumers.scoring import score_batch
from detectors.safety import HarmfulRequestDetector, SafetyBatch
from infra.store import Store
from retrain import (
    ProbeRegistry,
    ProbeReloader,
    ProbeRetrainJob,
    ReloadingScorer,
    RetrainService,
    format_runs,
    list_runs,
)
from schemas import RetrainStatus
from tests.retrain.conftest import (
    MORE_BASE_SAFE,
    MORE_BASE_UNSAFE,
    NEW_SAFE,
    NEW_UNSAFE,
    STREAM,
    T0,
    HashEmbedder,
    Traffic,
    base_probe_factory,
    make_settings,
)

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def service_for(store: Store, embedder: HashEmbedder, data_dir: Path, clock: Clock, **retrain) -> RetrainService:
    settings = make_settings(data_dir, **{"task": "harmful", "seed": 1, **retrain})
    registry = ProbeRegistry(settings.data_dir / "registry", store)
    job = ProbeRetrainJob(registry, embedder, settings.retrain, base=base_probe_factory(embedder))
    return RetrainService(settings, store, job=job, clock=clock)


def test_gate_promotes_a_better_challenger_then_rejects_one_that_is_not_better(
    store: Store, embedder: HashEmbedder, tmp_path: Path
) -> None:
    traffic = Traffic(store, embedder)
    traffic.labelled(NEW_UNSAFE, NEW_SAFE, T0)  # a new topic, labelled by users
    traffic.drift_window(T0, T0 + timedelta(minutes=5))
    clock = Clock(T0 + timedelta(hours=1))
    with service_for(store, embedder, tmp_path, clock) as service:
        registry = service.registry
        first = service.wait(service.trigger(STREAM, reason="test").run_id, 120)

        assert first.status is RetrainStatus.SUCCEEDED, first.message
        assert {r.status for r in store.retrain.runs(first.run_id)} == {
            RetrainStatus.REQUESTED,
            RetrainStatus.RUNNING,
            RetrainStatus.SUCCEEDED,
        }
        m = first.metrics
        assert m["challenger_auroc"] >= 0.95 and m["champion_auroc"] <= 0.8, m
        assert m["challenger_auroc"] - m["champion_auroc"] >= 0.02
        assert m["holdout_n"] == 36 and m["holdout_positive"] == 18  # 30% of 60 + 60, stratified
        assert first.champion_version == "base.1"
        assert registry.current("harmful") == first.challenger_version
        snapshot_dir = tmp_path / "snapshots" / first.snapshot_sha256
        assert (snapshot_dir / "manifest.json").exists()

        # Later: more feedback, but only on the world the new champion already knows.
        traffic.labelled(MORE_BASE_UNSAFE, MORE_BASE_SAFE, T0 + timedelta(hours=2))
        clock.now = T0 + timedelta(hours=3)
        second = service.wait(service.trigger(STREAM, reason="test").run_id, 120)

    assert second.status is RetrainStatus.REJECTED, second.message
    assert second.metrics["gate_improvement"] < 0.02
    assert second.snapshot_sha256 != first.snapshot_sha256
    manifest = (tmp_path / "snapshots" / second.snapshot_sha256 / "manifest.json").read_text()
    assert '"1": 30' in manifest, "the second snapshot holds only feedback since the first successful run"
    assert registry.current("harmful") == first.challenger_version, "a rejected challenger is not promoted"

    # Lineage: every version kept, each pointing at its parent, mirrored in the store.
    chain = registry.lineage("harmful", second.challenger_version)
    assert [v.version for v in chain] == [second.challenger_version, first.challenger_version, "base.1"]
    assert [v.promoted for v in chain] == [False, True, True]
    assert chain[0].snapshot_sha256 == second.snapshot_sha256 and chain[1].run_id == first.run_id
    assert chain[0].metrics["challenger_auroc"] == second.metrics["challenger_auroc"]
    stored = {v.version: v for v in store.retrain.probe_versions("harmful")}
    assert set(stored) == {v.version for v in chain}
    assert stored[first.challenger_version].promoted and not stored[second.challenger_version].promoted
    assert stored[second.challenger_version].parent_version == first.challenger_version

    # The CLI listing.
    runs = list_runs(store, STREAM)
    assert [r.run_id for r in runs] == [second.run_id, first.run_id]
    table = format_runs(runs)
    assert "rejected" in table and "succeeded" in table and first.challenger_version in table


def test_hot_reload_picks_up_a_promoted_version(store: Store, embedder: HashEmbedder, tmp_path: Path) -> None:
    traffic = Traffic(store, embedder)
    traffic.labelled(NEW_UNSAFE, NEW_SAFE, T0)
    clock = Clock(T0 + timedelta(hours=1))
    service = service_for(store, embedder, tmp_path, clock)
    root, *_ = base_probe_factory(embedder)("harmful", embedder)
    detector = HarmfulRequestDetector(root, threshold=0.5)
    ticks = Clock(T0)
    reloader = ProbeReloader(
        tmp_path / "registry",
        [detector],
        poll_s=30,
        embedder_name=embedder.name,
        clock=lambda: (ticks.now - T0).total_seconds(),
    )

    class Inner:
        """A two-phase scorer of prompts alone: embed them, then score them with ``detector``."""

        def embed(self, events: list[str]) -> tuple[list[str], object]:
            return events, embedder.embed(events)

        def detect(self, embedded: tuple[list[str], object]) -> list[float]:
            events, emb = embedded
            batch = SafetyBatch([str(i) for i in range(len(events))], events, [""] * len(events), emb, emb)
            return [s.score for s in detector.score(batch)]

    scorer = ReloadingScorer(Inner(), reloader)
    probe_texts = [NEW_UNSAFE[0], NEW_SAFE[0]]
    before = score_batch(scorer, probe_texts)
    assert reloader.check(force=True) == []  # nothing promoted yet

    run = service.wait(service.trigger(STREAM).run_id, 120)
    service.shutdown()
    assert run.status is RetrainStatus.SUCCEEDED, run.message

    assert score_batch(scorer, probe_texts) == before, "between polls the pointer is not even looked at"
    ticks.now += timedelta(seconds=31)
    after = score_batch(scorer, probe_texts)
    assert detector.version.endswith(run.challenger_version) and reloader.reloads == 1
    assert after[0] - after[1] > before[0] - before[1] + 0.2, (before, after)
    assert reloader.check(force=True) == [], "an unchanged pointer loads nothing"


def test_too_few_labels_fail_the_run_with_the_reason(store: Store, embedder: HashEmbedder, tmp_path: Path) -> None:
    Traffic(store, embedder).labelled(NEW_UNSAFE[:4], NEW_SAFE[:4], T0)
    with service_for(store, embedder, tmp_path, Clock(T0 + timedelta(hours=1))) as service:
        run = service.wait(service.trigger(STREAM).run_id, 120)
    assert run.status is RetrainStatus.FAILED
    assert "not enough new labelled examples" in run.message and run.snapshot_sha256
    assert np.isclose(run.metrics["new_labelled_examples"], 8)
