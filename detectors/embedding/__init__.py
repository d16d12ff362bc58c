"""Sentence embeddings for prompts and responses (all-MiniLM-L6-v2, shipped offline).

``build_embedder(backend)`` is the entry point: ``"fp32"`` (sentence-transformers, the reference),
``"bf16"`` and ``"openvino-int8"`` (OpenVINO), ``"onnx-int8"`` (ONNX Runtime, optional) or ``"auto"``
(the fastest backend validated against fp32 on this CPU). Fast backends are exported from the shipped
weights on first use and cached under ``~/.cache/driftloop/models``; every embedder returns
L2-normalised float32 rows and sits behind an LRU cache keyed by a hash of the text.
"""

from detectors.embedding.base import Backend, Embedder
from detectors.embedding.cache import CachedEmbedder
from detectors.embedding.factory import AUTO_PREFERENCE, build_embedder
from detectors.embedding.torch_backend import SentenceTransformerEmbedder
from detectors.embedding.validation import Agreement, agreement
from schemas.errors import BackendUnavailableError

__all__ = [
    "AUTO_PREFERENCE",
    "Agreement",
    "Backend",
    "BackendUnavailableError",
    "CachedEmbedder",
    "Embedder",
    "SentenceTransformerEmbedder",
    "agreement",
    "build_embedder",
]
