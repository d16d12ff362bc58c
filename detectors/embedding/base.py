"""The embedding contract every backend meets, and the names shared by all backends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, get_args, runtime_checkable

import numpy as np

Backend = Literal["fp32", "bf16", "openvino-int8", "onnx-int8", "auto"]
"""Which implementation :func:`~detectors.embedding.build_embedder` returns."""

BACKENDS: tuple[str, ...] = get_args(Backend)

MODEL_NAME = "all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of shape ``(len(texts), dim)``."""

    name: str
    """Stamped into stored rows: backend and model, e.g. 'all-MiniLM-L6-v2/openvino-int8'."""
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def empty_embeddings(dim: int) -> np.ndarray:
    """The result for an empty batch: shape ``(0, dim)``, float32."""
    return np.zeros((0, dim), dtype=np.float32)


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation to float32; zero rows stay zero.

    Examples
    --------
    >>> l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, np.finfo(np.float32).tiny)).astype(np.float32, copy=False)


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Index batches of texts of similar length, longest first, so dynamic padding wastes little.

    Scatter each batch's result back with ``out[idx] = batch_result`` to restore the caller's order.

    Examples
    --------
    >>> [b.tolist() for b in length_sorted_batches([3, 9, 1, 7], batch_size=2)]
    [[1, 3], [0, 2]]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
