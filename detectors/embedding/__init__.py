"""Sentence embeddings for prompts and responses (all-MiniLM-L6-v2, shipped offline)."""

from detectors.embedding.base import Backend, BackendUnavailableError, Embedder
from detectors.embedding.cache import CachedEmbedder
from detectors.embedding.factory import build_embedder
from detectors.embedding.torch_backend import SentenceTransformerEmbedder

__all__ = [
    "Backend",
    "BackendUnavailableError",
    "CachedEmbedder",
    "Embedder",
    "SentenceTransformerEmbedder",
    "build_embedder",
]
