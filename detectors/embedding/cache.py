"""A bounded LRU cache in front of any embedder: repeated prompts are embedded once."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from detectors.embedding.base import Embedder, empty_embeddings


def text_key(text: str) -> bytes:
    """Cache key of a text: a 16-byte blake2b digest of its UTF-8 bytes.

    Examples
    --------
    >>> len(text_key("hello")), text_key("hello") == text_key("hello"), text_key("a") == text_key("b")
    (16, True, False)
    """
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class CachedEmbedder:
    """Wraps an :class:`Embedder`; a hit returns the stored vector without calling the inner embedder.

    Parameters
    ----------
    inner
        The embedder that computes misses.
    max_entries
        Least recently used vectors are evicted beyond this many (384 float32 = 1.5 KiB each).

    Notes
    -----
    Thread-safe; duplicates inside one call are embedded once. Returned rows are copies, so callers may
    modify them without corrupting the cache.

    Examples
    --------
    >>> class Lengths:
    ...     name, dim, calls = "lengths", 2, 0
    ...     def embed(self, texts):
    ...         self.calls += 1
    ...         return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
    >>> cached = CachedEmbedder(Lengths(), max_entries=10)
    >>> cached.embed(["ab", "ab", "c"]).tolist(), cached.inner.calls
    ([[2.0, 1.0], [2.0, 1.0], [1.0, 1.0]], 1)
    >>> cached.embed(["c"]).tolist(), cached.inner.calls, cached.hits, cached.misses
    ([[1.0, 1.0]], 1, 2, 2)
    """

    def __init__(self, inner: Embedder, *, max_entries: int = 50_000) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self.inner = inner
        self.max_entries = max_entries
        self.name = inner.name
        self.dim = inner.dim
        self.hits = 0
        self.misses = 0
        self._store: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._store)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` in order, computing only the texts not seen recently."""
        if len(texts) == 0:
            return empty_embeddings(self.dim)
        keys = [text_key(t) for t in texts]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        todo: dict[bytes, list[int]] = {}
        with self._lock:
            for i, key in enumerate(keys):
                vector = self._store.get(key)
                if vector is None:
                    todo.setdefault(key, []).append(i)
                else:
                    self._store.move_to_end(key)
                    out[i] = vector
            self.hits += len(keys) - len(todo)
            self.misses += len(todo)
        if not todo:
            return out
        firsts = [rows[0] for rows in todo.values()]
        computed = np.asarray(self.inner.embed([texts[i] for i in firsts]), dtype=np.float32)
        with self._lock:
            for (key, rows), vector in zip(todo.items(), computed, strict=True):
                out[rows] = vector
                self._store[key] = vector.copy()
                self._store.move_to_end(key)
            while len(self._store) > self.max_entries:
                self._store.popitem(last=False)
        return out
