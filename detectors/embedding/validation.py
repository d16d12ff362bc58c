"""Check a fast backend against the fp32 reference: cosine similarity of the same texts' vectors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from detectors.embedding.base import Embedder
from detectors.embedding.calibration import calibration_texts

VALIDATION_SEED = 1
"""Validation texts come from the calibration generator with another seed than calibration (seed 0)."""


class Agreement(BaseModel):
    """How closely a backend's vectors match the reference's on the same texts."""

    model_config = ConfigDict(frozen=True)

    backend: str
    reference: str
    n_texts: int
    mean_cosine: float
    min_cosine: float

    def passes(self, min_mean_cosine: float) -> bool:
        """True when the mean cosine reaches ``min_mean_cosine``."""
        return self.mean_cosine >= min_mean_cosine


def row_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row of ``a`` with the same row of ``b``.

    Examples
    --------
    >>> row_cosines(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 0.0], [-1.0, -1.0]])).round(6).tolist()
    [1.0, -1.0]
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return (a * b).sum(axis=1) / np.maximum(denom, 1e-12)


def agreement(candidate: Embedder, reference: Embedder, texts: Sequence[str] | None = None) -> Agreement:
    """Embed ``texts`` (default: 200 generated validation texts) with both and compare."""
    texts = list(texts) if texts is not None else calibration_texts(200, seed=VALIDATION_SEED)
    cos = row_cosines(candidate.embed(texts), reference.embed(texts))
    return Agreement(
        backend=candidate.name,
        reference=reference.name,
        n_texts=len(texts),
        mean_cosine=float(cos.mean()),
        min_cosine=float(cos.min()),
    )
