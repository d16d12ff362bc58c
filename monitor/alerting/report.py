"""An Evidently HTML report per drift alert: reference against current window.

The report holds Evidently's column drift of per-event descriptors (prompt and response lengths in
characters and words) and of the tested embedding, seen through its ``n_components`` principal
components (fitted on the reference), so a reader can see the shift the alert is about without
querying anything. ``embedding_map`` adds Evidently's embedding drift widget with its t-SNE map of both
samples: telling, but it costs tens of seconds per few hundred rows on a small machine. Files go to
``<data_dir>/reports/`` and are named after the alert, so the report of a replayed alert overwrites
the same file.
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


def _embeddings(window: InferenceWindow, feature: str, max_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices kept (embedded, at most ``max_rows``) and their embeddings."""
    emb = window.prompt_embeddings if feature == "prompt_embedding" else window.response_embeddings
    if emb.size == 0:
        return np.arange(min(len(window), max_rows)), np.zeros((0, 0), dtype=np.float32)
    keep = np.flatnonzero(np.isfinite(emb).all(axis=1))[:max_rows]
    return keep, emb[keep]


def descriptor_frame(window: InferenceWindow, keep: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "prompt_chars": [float(len(window.prompts[i])) for i in keep],
            "prompt_words": [float(len(window.prompts[i].split())) for i in keep],
            "response_chars": [float(len(window.responses[i])) for i in keep],
            "response_words": [float(len(window.responses[i].split())) for i in keep],
        }
    )


def principal_components(reference: np.ndarray, current: np.ndarray, n_components: int) -> tuple[np.ndarray, ...]:
    """Both samples projected on the reference's top principal components.

    >>> rng = np.random.default_rng(0)
    >>> ref, cur = principal_components(rng.normal(size=(50, 8)), rng.normal(size=(20, 8)), 3)
    >>> ref.shape, cur.shape
    ((50, 3), (20, 3))
    """
    mean = reference.mean(axis=0)
    _, _, vt = np.linalg.svd(reference - mean, full_matrices=False)
    basis = vt[: min(n_components, vt.shape[0])].T
    return (reference - mean) @ basis, (current - mean) @ basis


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
    *,
    n_components: int = 5,
    embedding_map: bool = False,
) -> Path:
    """Run Evidently's drift preset on descriptors and embedding components and save it as HTML."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.legacy.metrics.data_drift.embedding_drift_methods import distance
    from evidently.metrics import EmbeddingsDrift
    from evidently.presets import DataDriftPreset

    ref_keep, ref_emb = _embeddings(reference, feature, max_rows)
    cur_keep, cur_emb = _embeddings(current, feature, max_rows)
    ref_frame, cur_frame = descriptor_frame(reference, ref_keep), descriptor_frame(current, cur_keep)
    columns = list(DESCRIPTORS)
    embeddings = None
    if ref_emb.size and cur_emb.size and ref_emb.shape[1] == cur_emb.shape[1] and len(ref_emb) > 1:
        ref_pc, cur_pc = principal_components(ref_emb.astype(np.float64), cur_emb.astype(np.float64), n_components)
        names = [f"{feature}_pc{i + 1}" for i in range(ref_pc.shape[1])]
        ref_frame[names], cur_frame[names] = ref_pc, cur_pc
        columns += names
        if embedding_map:
            raw = [f"{feature}_{i}" for i in range(ref_emb.shape[1])]
            ref_frame = pd.concat([ref_frame, pd.DataFrame(ref_emb, columns=raw)], axis=1)
            cur_frame = pd.concat([cur_frame, pd.DataFrame(cur_emb, columns=raw)], axis=1)
            embeddings = {feature: raw}
    definition = DataDefinition(numerical_columns=columns, embeddings=embeddings)
    metrics: list = [DataDriftPreset(columns=columns)]
    if embeddings:
        metrics.append(EmbeddingsDrift(embeddings_name=feature, drift_method=distance()))
    snapshot = Report(metrics).run(
        Dataset.from_pandas(cur_frame, data_definition=definition),
        Dataset.from_pandas(ref_frame, data_definition=definition),
    )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / report_file_name(alert_id)
    snapshot.save_html(str(path))
    return path
