"""One entry point that picks, builds and caches an embedding backend."""

from __future__ import annotations

import logging
from pathlib import Path

from detectors.embedding.backends import ArtefactStore, onnx_int8_embedder, openvino_embedder, stderr_progress
from detectors.embedding.base import BACKENDS, Backend, Embedder
from detectors.embedding.cache import CachedEmbedder
from detectors.embedding.export import Progress
from detectors.embedding.torch_backend import SentenceTransformerEmbedder
from detectors.embedding.validation import agreement

logger = logging.getLogger(__name__)

AUTO_PREFERENCE: tuple[Backend, ...] = ("openvino-int8", "bf16", "onnx-int8")
"""Fastest first, as measured by ``bench/embed.py`` on 2-core AVX-512 CPUs; fp32 is the fallback."""


def build_embedder(
    backend: Backend = "auto",
    *,
    batch_size: int = 64,
    max_seq_length: int = 128,
    cache_size: int = 50_000,
    artefact_dir: Path | None = None,
    min_cosine: float = 0.99,
    num_streams: int = 2,
    progress: Progress | None = stderr_progress,
) -> Embedder:
    """Build an all-MiniLM-L6-v2 embedder.

    Parameters
    ----------
    backend
        ``"fp32"``: sentence-transformers on torch, the reference. ``"bf16"``: OpenVINO with a bf16
        precision hint (CPUs with AVX512-BF16 or AMX). ``"openvino-int8"``: OpenVINO, NNCF-quantised.
        ``"onnx-int8"``: ONNX Runtime dynamic int8 (needs ``onnxruntime``). ``"auto"``: the first of
        :data:`AUTO_PREFERENCE` that runs here and whose mean cosine to fp32 on generated validation
        texts reaches ``min_cosine``, else fp32.
    batch_size, max_seq_length
        Texts per forward pass; tokens kept per text (longer texts are truncated).
    cache_size
        Entries of the LRU cache in front of the backend; 0 disables it.
    artefact_dir
        Where exported / quantised models are built once and cached; default ``~/.cache/driftloop/models``.
    min_cosine
        The agreement with fp32 that ``"auto"`` requires of a faster backend.
    num_streams
        Parallel OpenVINO inference streams (one per core is best).
    progress
        Receives one line per artefact build step; None for silence.

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
    if not 0.0 < min_cosine <= 1.0:
        raise ValueError(f"min_cosine must be in (0, 1], got {min_cosine}")
    store = ArtefactStore(artefact_dir, progress=progress or (lambda _message: None))
    if backend == "auto":
        inner = _auto(store, batch_size, max_seq_length, min_cosine, num_streams)
    else:
        inner = _explicit(store, backend, batch_size, max_seq_length, num_streams)
    return CachedEmbedder(inner, max_entries=cache_size) if cache_size > 0 else inner


def _explicit(
    store: ArtefactStore, backend: Backend, batch_size: int, max_seq_length: int, num_streams: int
) -> Embedder:
    if backend == "fp32":
        return SentenceTransformerEmbedder(batch_size=batch_size, max_seq_length=max_seq_length)
    embedder, _artefact = _built(store, backend, batch_size, max_seq_length, num_streams)
    return embedder


def _built(
    store: ArtefactStore, backend: Backend, batch_size: int, max_seq_length: int, num_streams: int
) -> tuple[Embedder, Path]:
    if backend == "onnx-int8":
        return onnx_int8_embedder(store, batch_size=batch_size, max_seq_length=max_seq_length)
    return openvino_embedder(
        store, backend, batch_size=batch_size, max_seq_length=max_seq_length, num_streams=num_streams
    )


def _auto(store: ArtefactStore, batch_size: int, max_seq_length: int, min_cosine: float, num_streams: int) -> Embedder:
    from detectors.embedding.openvino_backend import cpu_name

    reference: Embedder | None = None
    for candidate in AUTO_PREFERENCE:
        try:
            embedder, artefact = _built(store, candidate, batch_size, max_seq_length, num_streams)
            key = f"{candidate}|{cpu_name()}|{max_seq_length}"
            result = store.cached_agreement(artefact, key)
            if result is None:
                if reference is None:
                    reference = SentenceTransformerEmbedder(batch_size=batch_size, max_seq_length=max_seq_length)
                result = agreement(embedder, reference)
                store.store_agreement(artefact, key, result)
        except Exception as exc:  # auto must fall back, whatever broke (missing runtime, build or compile error)
            logger.warning("embedding backend %s unavailable here: %s: %s", candidate, type(exc).__name__, exc)
            continue
        if result.passes(min_cosine):
            logger.info("embedding backend: %s (mean cosine to fp32 %.4f)", candidate, result.mean_cosine)
            return embedder
        logger.warning(
            "embedding backend %s rejected: mean cosine to fp32 %.4f < %.4f",
            candidate,
            result.mean_cosine,
            min_cosine,
        )
    return reference or SentenceTransformerEmbedder(batch_size=batch_size, max_seq_length=max_seq_length)
