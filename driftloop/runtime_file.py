"""Where a running ``driftloop up`` can be found: a small JSON file in the data dir.

Other commands (``publish``, ``worker``, ``status``) read it when no broker address is
configured, so they reach the local broker and the API of the running service instead of
opening the store behind its back.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel

from infra.settings import Settings


class RuntimeInfo(BaseModel):
    pid: int
    bootstrap_servers: str
    api_url: str | None = None
    clickhouse_dsn: str
    broker_log: str | None = None


def runtime_path(settings: Settings) -> Path:
    return settings.data_dir / "runtime.json"


def write_runtime(settings: Settings, info: RuntimeInfo) -> None:
    path = runtime_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(info.model_dump_json(indent=2))
    tmp.replace(path)


def read_runtime(settings: Settings) -> RuntimeInfo | None:
    """The running service's info, or None when no live ``driftloop up`` owns this data dir."""
    path = runtime_path(settings)
    try:
        info = RuntimeInfo.model_validate(json.loads(path.read_text()))
    except (OSError, ValueError):
        return None
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return info


def clear_runtime(settings: Settings) -> None:
    runtime_path(settings).unlink(missing_ok=True)
