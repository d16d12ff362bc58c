"""JSON Schema files for non-Python producers, generated from the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from schemas import SCHEMA_VERSION, Alert, FeedbackEvent, InferenceEvent

EXPORTED: dict[str, type[BaseModel]] = {
    "inference_event": InferenceEvent,
    "feedback_event": FeedbackEvent,
    "alert": Alert,
}
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas" / "json"


def render_schemas() -> dict[str, str]:
    """File name -> JSON text, for each exported model (validation mode: what producers may send)."""
    rendered = {}
    for name, model in EXPORTED.items():
        schema = model.model_json_schema(mode="validation")
        schema["$id"] = f"urn:driftloop:schema:{name}:v{SCHEMA_VERSION}"
        rendered[f"{name}.v{SCHEMA_VERSION}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return rendered


def export_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, text in render_schemas().items():
        path = directory / file_name
        path.write_text(text)
        written.append(path)
    return written
