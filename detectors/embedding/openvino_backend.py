"""OpenVINO inference of an exported all-MiniLM-L6-v2, with length-sorted batches on parallel streams."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from detectors.embedding.base import empty_embeddings, l2_normalise, length_sorted_batches
from detectors.embedding.tokenizer import BatchTokenizer
from schemas.errors import BackendUnavailableError

PrecisionHint = Literal["f32", "bf16"]


def cpu_capabilities() -> list[str]:
    """OpenVINO's CPU optimisation capabilities here, e.g. ``['BF16', 'FP32', 'INT8', ...]``."""
    import openvino as ov

    return list(ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))


def cpu_name() -> str:
    """The CPU model OpenVINO reports, for stamping validation results."""
    import openvino as ov

    return str(ov.Core().get_property("CPU", "FULL_DEVICE_NAME"))


class OpenVINOEmbedder:
    """Runs an OpenVINO IR whose output is the normalised sentence embedding.

    Parameters
    ----------
    model_xml
        The IR (``model.xml`` beside its ``.bin``), as built by :mod:`detectors.embedding.export`.
    tokenizer
        Tokenises and pads per batch.
    name
        Stamped into stored rows, e.g. ``"all-MiniLM-L6-v2/openvino-int8"``.
    precision_hint
        ``"f32"`` or ``"bf16"`` (the CPU must report BF16). For int8 models keep ``"f32"``: the
        non-quantised ops then stay accurate.
    num_streams
        Parallel inference streams; batches are queued on all of them so every core is busy.
    batch_size
        Texts per inference request at most; a call with fewer than ``num_streams * batch_size`` texts
        is split into ``num_streams`` smaller requests so every stream gets work.
    """

    def __init__(
        self,
        model_xml: Path,
        tokenizer: BatchTokenizer,
        *,
        name: str,
        precision_hint: PrecisionHint = "f32",
        num_streams: int = 2,
        batch_size: int = 32,
    ) -> None:
        import openvino as ov

        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if num_streams < 1:
            raise ValueError(f"num_streams must be >= 1, got {num_streams}")
        if precision_hint == "bf16" and "BF16" not in cpu_capabilities():
            raise BackendUnavailableError("this CPU has no bf16 support (OpenVINO reports no BF16 capability)")
        self.name = name
        self.batch_size = batch_size
        self._tokenizer = tokenizer
        self._compiled = ov.Core().compile_model(
            str(model_xml),
            "CPU",
            {"INFERENCE_PRECISION_HINT": precision_hint, "NUM_STREAMS": str(num_streams)},
        )
        self.dim = int(self._compiled.outputs[0].get_partial_shape()[1].get_length())
        n_requests = int(self._compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        self._queue = ov.AsyncInferQueue(self._compiled, max(n_requests, num_streams))
        self._queue.set_callback(self._collect)
        self._num_streams = num_streams
        self._lock = threading.Lock()
        self._out: np.ndarray = empty_embeddings(self.dim)

    def _collect(self, request: object, rows: np.ndarray) -> None:
        self._out[rows] = request.get_output_tensor(0).data  # type: ignore[attr-defined]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` in order; returns L2-normalised float32 of shape ``(len(texts), dim)``."""
        if len(texts) == 0:
            return empty_embeddings(self.dim)
        ids = self._tokenizer.tokenise(texts)
        with self._lock:
            self._out = np.empty((len(texts), self.dim), dtype=np.float32)
            per_request = min(self.batch_size, -(-len(texts) // self._num_streams))
            for rows in length_sorted_batches([len(row) for row in ids], per_request):
                self._queue.start_async(self._tokenizer.pad([ids[i] for i in rows]), rows)
            self._queue.wait_all()
            out = self._out
        return l2_normalise(out)
