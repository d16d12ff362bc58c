"""Dataset snapshots on the real embedded store: deterministic content hash, manifest, Parquet files."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from infra.store import Store
from retrain import SnapshotQuery, content_sha256, rules_for, take_snapshot
from tests.retrain.conftest import BASE_SAFE, BASE_UNSAFE, NEW_SAFE, NEW_UNSAFE, STREAM, T0, HashEmbedder, Traffic

pytestmark = pytest.mark.integration


def query(**overrides) -> SnapshotQuery:
    fields = {
        "stream": STREAM,
        "since": T0,
        "until": T0 + timedelta(hours=1),
        "drift_windows": [(T0 + timedelta(minutes=10), T0 + timedelta(minutes=15))],
        "task": "harmful",
        "label_rules": rules_for("harmful"),
    }
    return SnapshotQuery(**{**fields, **overrides})


@pytest.fixture
def traffic(store: Store, embedder: HashEmbedder) -> Traffic:
    t = Traffic(store, embedder)
    t.labelled(NEW_UNSAFE[:6], NEW_SAFE[:4], T0 + timedelta(minutes=2))  # 10 labelled events
    t.events(BASE_SAFE[:12], T0 + timedelta(minutes=10))  # 12 events in the drifted window
    t.events(BASE_UNSAFE[:5], T0 + timedelta(minutes=30))  # outside the window, no feedback: not in it
    return t


def test_same_inputs_give_the_same_hash_and_the_same_folder(traffic: Traffic, tmp_path: Path) -> None:
    first = take_snapshot(traffic.store, query(), tmp_path / "a")
    second = take_snapshot(traffic.store, query(), tmp_path / "b")
    assert first.sha256 == second.sha256
    assert (first.path / "events.parquet").read_bytes() == (second.path / "events.parquet").read_bytes()
    assert first.path.name == first.sha256 and first.path.parent == tmp_path / "a"
    again = take_snapshot(traffic.store, query(drift_windows=list(reversed(query().drift_windows))), tmp_path / "a")
    assert again.path == first.path, "window order carries no meaning"
    assert content_sha256(first.path) == first.sha256, "the hash is recomputable from the files"
    assert json.loads(first.manifest_path.read_text()) == first.manifest


def test_redelivered_rows_do_not_change_the_hash(traffic: Traffic, tmp_path: Path) -> None:
    before = take_snapshot(traffic.store, query(), tmp_path).sha256
    replay = Traffic(traffic.store, traffic.embedder)  # same ids again: ev-00001..., fb-00001...
    replay.labelled(NEW_UNSAFE[:6], NEW_SAFE[:4], T0 + timedelta(minutes=2))
    assert take_snapshot(traffic.store, query(), tmp_path).sha256 == before


def test_changed_inputs_change_the_hash(traffic: Traffic, tmp_path: Path) -> None:
    before = take_snapshot(traffic.store, query(), tmp_path).sha256
    assert take_snapshot(traffic.store, query(since=T0 + timedelta(minutes=3, seconds=0.5)), tmp_path).sha256 != before
    traffic.flags(["ev-00007"], "unsafe", T0 + timedelta(minutes=20))  # a safe event re-labelled later
    after = take_snapshot(traffic.store, query(), tmp_path)
    assert after.sha256 != before
    assert len(list(tmp_path.iterdir())) == 3


def test_manifest_counts_rows_and_labels(traffic: Traffic, tmp_path: Path) -> None:
    snap = take_snapshot(traffic.store, query(), tmp_path)
    m = snap.manifest
    assert m["rows"] == {"events": 22, "feedback": 10}
    assert m["labels"] == {"1": 6, "0": 4, "unlabelled": 12}
    assert m["in_drift_window"] == 12
    assert m["feedback_kinds"] == {"flag": 10}
    assert m["window"]["until"] == (T0 + timedelta(hours=1)).isoformat()
    assert m["query"]["task"] == "harmful" and m["query"]["stream"]["app"] == STREAM.app
    events = pq.read_table(snap.path / "events.parquet")
    assert events.num_rows == 22 and len(events.column("prompt_embedding")[0].as_py()) == traffic.embedder.dim
    times = events.column("event_time").to_pylist()
    assert times == sorted(times)
    unsafe = {row["prompt"] for row in events.to_pylist() if row["label"] == 1}
    assert unsafe == set(NEW_UNSAFE[:6])


def test_feedback_outside_the_period_or_of_another_stream_is_left_out(traffic: Traffic, tmp_path: Path) -> None:
    late = query(until=T0 + timedelta(minutes=3))  # feedback at T0+3min is excluded
    snap = take_snapshot(traffic.store, late, tmp_path)
    assert snap.manifest["rows"]["feedback"] == 0 and snap.manifest["labels"]["1"] == 0
    other = query(stream=STREAM.model_copy(update={"model_version": "2027-01"}))
    assert take_snapshot(traffic.store, other, tmp_path).manifest["rows"] == {"events": 0, "feedback": 0}
