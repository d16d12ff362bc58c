"""ONNX Runtime inference of the dynamically quantised int8 model (optional: needs ``onnxruntime``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from detectors.embedding.base import empty_embeddings, l2_normalise, length_sorted_batches
from detectors.embedding.tokenizer import INPUT_NAMES, BatchTokenizer


class OnnxEmbedder:
    """Runs an ONNX model whose output is the normalised sentence embedding.

    Parameters
    ----------
    model_file
        The ``.onnx`` file, as built by :func:`detectors.embedding.export.export_onnx_int8`.
    tokenizer
        Tokenises and pads per batch.
    name
        Stamped into stored rows.
    batch_size
        Texts per run; batches are length-sorted and run one after another, each on all cores.
    num_threads
        Intra-op threads; default: every core.
    """

    def __init__(
        self,
        model_file: Path,
        tokenizer: BatchTokenizer,
        *,
        name: str,
        batch_size: int = 64,
        num_threads: int | None = None,
    ) -> None:
        import onnxruntime

        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = num_threads or os.cpu_count() or 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer
        self.name = name
        self.batch_size = batch_size
        self.dim = int(self._session.get_outputs()[0].shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` in order; returns L2-normalised float32 of shape ``(len(texts), dim)``."""
        if len(texts) == 0:
            return empty_embeddings(self.dim)
        ids = self._tokenizer.tokenise(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for rows in length_sorted_batches([len(row) for row in ids], self.batch_size):
            batch = self._tokenizer.pad([ids[i] for i in rows])
            out[rows] = self._session.run(None, {name: batch[name] for name in INPUT_NAMES})[0]
        return l2_normalise(out)
