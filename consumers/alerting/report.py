"""An Evidently HTML report per drift alert: reference against current window.

The report holds Evidently's column drift of per-event descriptors (prompt and response lengths in
characters and words) and its embedding drift of the tested feature, so a reader can see the shift the
alert is about without querying anything. Files go to ``<data_dir>/reports/`` and are named after the
alert, so writing the report of a replayed alert again overwrites the same file.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from infra.store import InferenceWindow

log = logging.getLogger(__name__)

DESCRIPTORS = ("prompt_chars", "prompt_words", "response_chars", "response_words")


def descriptor_frame(window: InferenceWindow, feature: str, max_rows: int) -> tuple[pd.DataFrame, list[str]]:
    """Descriptor columns plus the embedding as ``emb_<i>`` columns; rows with a missing embedding dropped."""
    emb = window.prompt_embeddings if feature == "prompt_embedding" else window.response_embeddings
    n = len(window)
    keep = np.flatnonzero(np.isfinite(emb).all(axis=1)) if emb.size else np.arange(0)
    keep = keep[:max_rows]
    frame = pd.DataFrame(
        {
            "prompt_chars": [float(len(window.prompts[i])) for i in keep],
            "prompt_words": [float(len(window.prompts[i].split())) for i in keep],
            "response_chars": [float(len(window.responses[i])) for i in keep],
            "response_words": [float(len(window.responses[i].split())) for i in keep],
        }
    )
    columns: list[str] = []
    if n and emb.size:
        columns = [f"emb_{i}" for i in range(emb.shape[1])]
        frame = pd.concat([frame, pd.DataFrame(emb[keep].astype(np.float64), columns=columns)], axis=1)
    return frame, columns


def report_file_name(alert_id: str) -> str:
    """A file name safe on every platform.

    >>> report_file_name("1b/2:3")
    'drift-1b_2_3.html'
    """
    return f"drift-{re.sub(r'[^A-Za-z0-9-]', '_', alert_id)}.html"


def write_drift_report(
    directory: Path,
    alert_id: str,
    reference: InferenceWindow,
    current: InferenceWindow,
    feature: str = "prompt_embedding",
    max_rows: int = 1000,
) -> Path:
    """Run Evidently's drift preset on descriptors and embeddings and save it as HTML; return the path."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    ref_frame, emb_columns = descriptor_frame(reference, feature, max_rows)
    cur_frame, cur_columns = descriptor_frame(current, feature, max_rows)
    embeddings = {feature: emb_columns} if emb_columns and emb_columns == cur_columns else None
    definition = DataDefinition(numerical_columns=list(DESCRIPTORS), embeddings=embeddings)
    preset = DataDriftPreset(columns=list(DESCRIPTORS), embeddings=[feature] if embeddings else None)
    snapshot = Report([preset]).run(
        Dataset.from_pandas(cur_frame, data_definition=definition),
        Dataset.from_pandas(ref_frame, data_definition=definition),
    )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / report_file_name(alert_id)
    snapshot.save_html(str(path))
    return path
