"""The probe registry: every trained version kept with its lineage, one "current" pointer per task.

Layout under ``<data_dir>/registry/``::

    <task>/<version>.joblib        the probe (detectors.safety.save_probe)
    <task>/<version>.json          its ProbeVersion record: parent, run, snapshot hash, metrics, embedder
    <task>/<version>.train.parquet the texts and labels it was trained on (the next challenger starts there)
    <task>/CURRENT                 the promoted version's name, replaced atomically on promotion

Workers watch ``CURRENT`` (see :mod:`retrain.reload`); records are mirrored into the store's
``probe_versions`` table when a store is given.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from detectors.safety import Probe, load_probe, save_probe
from infra.store import Store
from schemas.errors import RegistryError
from schemas.retrain import ProbeVersion

POINTER = "CURRENT"
_SAFE = re.compile(r"^[\w.+-]+$")
_TRAIN_SCHEMA = pa.schema([("text", pa.string()), ("label", pa.int8())])


class ProbeRegistry:
    """Versioned probes of every task under ``root``.

    Parameters
    ----------
    root
        The registry directory (``<data_dir>/registry``).
    store
        Where records are mirrored (``probe_versions``); None keeps them on disk only.
    """

    def __init__(self, root: Path | str, store: Store | None = None) -> None:
        self.root = Path(root)
        self.store = store

    def _dir(self, task: str) -> Path:
        if not _SAFE.match(task):
            raise ValueError(f"not a task name: {task!r}")
        return self.root / task

    def pointer_path(self, task: str) -> Path:
        return self._dir(task) / POINTER

    # ---- reading ------------------------------------------------------------------------------

    def current(self, task: str) -> str | None:
        """The promoted version of ``task``, or None before the first promotion."""
        try:
            version = self.pointer_path(task).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return version or None

    def record(self, task: str, version: str) -> ProbeVersion:
        path = self._dir(task) / f"{version}.json"
        try:
            return ProbeVersion.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RegistryError(f"the registry has no {task} version {version!r}") from None

    def versions(self, task: str) -> list[ProbeVersion]:
        """Every registered version of ``task``, oldest first."""
        folder = self._dir(task)
        if not folder.is_dir():
            return []
        records = [ProbeVersion.model_validate_json(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")]
        return sorted(records, key=lambda r: (r.created_at, r.version))

    def load(self, task: str, version: str | None = None) -> Probe:
        """The probe at ``version`` (default: the current one)."""
        version = version or self.current(task)
        if version is None:
            raise RegistryError(f"no {task} version has been promoted yet")
        try:
            return load_probe(self.root, task, version)
        except FileNotFoundError:
            raise RegistryError(f"the registry has no {task} probe file for version {version!r}") from None

    def training_set(self, task: str, version: str) -> tuple[list[str], list[int]]:
        """The texts and labels ``version`` was trained on."""
        table = pq.read_table(self._dir(task) / f"{version}.train.parquet", schema=_TRAIN_SCHEMA)
        return table.column("text").to_pylist(), [int(v) for v in table.column("label").to_pylist()]

    def lineage(self, task: str, version: str) -> list[ProbeVersion]:
        """``version`` and its ancestors, newest first, back to the root version."""
        chain: list[ProbeVersion] = []
        seen: set[str] = set()
        current: str | None = version
        while current is not None:
            if current in seen:
                raise RegistryError(f"the lineage of {task} {version} loops at {current}")
            seen.add(current)
            record = self.record(task, current)
            chain.append(record)
            current = record.parent_version
        return chain

    def next_version(self, task: str, snapshot_sha256: str | None) -> str:
        """``r<NNNN>.<snapshot hash prefix>``: ordered, and naming the data it came from."""
        n = len(self.versions(task)) + 1
        suffix = (snapshot_sha256 or "base")[:10]
        while True:
            name = f"r{n:04d}.{suffix}"
            if not (self._dir(task) / f"{name}.json").exists():
                return name
            n += 1

    # ---- writing ------------------------------------------------------------------------------

    def register(
        self,
        probe: Probe,
        texts: Sequence[str],
        labels: Sequence[int],
        *,
        parent_version: str | None,
        snapshot_sha256: str | None = None,
        run_id: str | None = None,
        metrics: dict[str, float] | None = None,
    ) -> ProbeVersion:
        """Keep ``probe`` (trained on ``texts``/``labels``) as a new, not yet promoted version."""
        folder = self._dir(probe.task)
        if (folder / f"{probe.version}.json").exists():
            raise RegistryError(f"{probe.task} version {probe.version} is already registered")
        if parent_version is not None:
            self.record(probe.task, parent_version)
        artefact = save_probe(probe, self.root)
        table = pa.Table.from_pydict({"text": list(texts), "label": [int(v) for v in labels]}, schema=_TRAIN_SCHEMA)
        pq.write_table(table, folder / f"{probe.version}.train.parquet", compression="zstd")
        record = ProbeVersion(
            task=probe.task,
            version=probe.version,
            parent_version=parent_version,
            run_id=run_id,
            snapshot_sha256=snapshot_sha256,
            embedder=probe.metadata.embedder,
            artefact_path=str(artefact),
            n_train=len(texts),
            metrics=dict(metrics or {}),
            promoted=False,
            created_at=datetime.now(UTC),
        )
        self._write_record(record)
        return record

    def promote(self, task: str, version: str) -> ProbeVersion:
        """Make ``version`` current: workers polling the pointer load it without restarting."""
        record = self.record(task, version).model_copy(update={"promoted": True})
        self._write_record(record)
        _atomic_write(self.pointer_path(task), version + "\n")
        return record

    def _write_record(self, record: ProbeVersion) -> None:
        path = self._dir(record.task) / f"{record.version}.json"
        _atomic_write(path, json.dumps(record.model_dump(mode="json"), indent=2, sort_keys=True) + "\n")
        if self.store is not None:
            self.store.retrain.insert_probe_versions([record])


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
