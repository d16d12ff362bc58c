"""The committed OpenAPI schema (``openapi.json``): ``python -m driftloop.api.openapi`` rewrites it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from driftloop.api.app import create_api
from driftloop.api.context import ApiContext
from infra.settings import Settings

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.json"


def current_schema() -> dict[str, Any]:
    """The schema of the API as the code defines it (no store, broker or tokens needed)."""
    return create_api(ApiContext(settings=Settings(data_dir=Path("unused")))).openapi()


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    OPENAPI_PATH.write_text(render(current_schema()))
    print(OPENAPI_PATH, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
