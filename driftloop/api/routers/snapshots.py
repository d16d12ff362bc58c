"""``/v1/snapshots`` and ``/v1/dead-letters``: what retraining snapshotted, and what ingest rejected."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam

from driftloop.api.auth import require
from driftloop.api.deps import Context, Limit, StoreDep
from driftloop.api.errors import ApiProblem
from driftloop.api.routers.common import errors
from schemas import DeadLetter, Scope, SnapshotOut

router = APIRouter(prefix="/v1", tags=["snapshots"], dependencies=[Depends(require(Scope.READ))])

MANIFEST = "manifest.json"


def read_snapshot(folder: Path) -> SnapshotOut | None:
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return None
    created = datetime.fromtimestamp(manifest_path.stat().st_mtime, tz=UTC)
    return SnapshotOut(sha256=str(manifest.get("sha256", folder.name)), created_at=created, manifest=manifest)


def list_snapshot_dirs(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file()]
    return sorted(folders, key=lambda p: (p / MANIFEST).stat().st_mtime, reverse=True)


@router.get(
    "/snapshots", response_model=list[SnapshotOut], responses=errors(), summary="Dataset snapshots, newest first"
)
def list_snapshots(context: Context, limit: Limit = 100) -> list[SnapshotOut]:
    root = context.settings.data_dir / "snapshots"
    found = (read_snapshot(folder) for folder in list_snapshot_dirs(root)[:limit])
    return [s for s in found if s is not None]


@router.get("/snapshots/{sha256}", response_model=SnapshotOut, responses=errors(404), summary="One snapshot's manifest")
def get_snapshot(context: Context, sha256: Annotated[str, PathParam(pattern=r"^[0-9a-f]{8,128}$")]) -> SnapshotOut:
    snapshot = read_snapshot(context.settings.data_dir / "snapshots" / sha256)
    if snapshot is None:
        raise ApiProblem(404, f"no snapshot {sha256}")
    return snapshot


@router.get("/dead-letters", response_model=list[DeadLetter], responses=errors(), summary="Latest dead letters")
def list_dead_letters(store: StoreDep, limit: Limit = 100) -> list[DeadLetter]:
    return store.events.dead_letters(limit)
