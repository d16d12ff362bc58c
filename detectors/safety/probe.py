"""Linear probes on sentence embeddings: versioned, saved as files, trained on first use and cached.

A :class:`Probe` is a scikit-learn logistic regression over an embedding (plus, optionally, a few cheap
lexical features), the embeddings of its positive training texts (the exemplars that similarity scores
compare against) and the metadata that says what it was trained on. The retraining loop trains a
challenger with :func:`train_probe`, saves it with :func:`save_probe` and later loads that exact version
with :func:`load_probe`.

Probe files are joblib pickles: load only files driftloop wrote itself.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from detectors.embedding.base import Embedder
from detectors.safety.corpus import ProbeTask, load_corpus, texts_hash

PROBE_FORMAT = "1"
"""Bumped when the feature layout or the training recipe changes; part of every default version."""

_SYMBOLS = re.compile(r"[^\w\s.,;:!?'\"()\-]")
_VERSION = re.compile(r"^[\w.+-]+$")


def lexical_features(texts: Sequence[str]) -> np.ndarray:
    """Cheap per-text features: symbol ratio, upper-case ratio, log length (scaled to about [0, 1]).

    Optimised adversarial suffixes are dense in brackets and symbols that ordinary prompts rarely use.

    Examples
    --------
    >>> f = lexical_features(["plain words", "}}]{[ sure"])
    >>> f[:, 0].round(1).tolist()
    [0.0, 0.5]
    """
    out = np.zeros((len(texts), 3), dtype=np.float32)
    for i, text in enumerate(texts):
        n = max(len(text), 1)
        out[i, 0] = len(_SYMBOLS.findall(text)) / n
        out[i, 1] = sum(c.isupper() for c in text) / n
        out[i, 2] = min(np.log1p(len(text)) / 10.0, 1.0)
    return out


@dataclass(frozen=True)
class ProbeMetadata:
    """What a probe was trained on and how well it did there."""

    task: str
    embedder: str
    texts_sha256: str
    n_train: int
    n_positive: int
    C: float
    lexical: bool
    cv_auroc: float | None
    trained_at: float
    train_seconds: float
    sklearn_version: str = sklearn.__version__
    extra: dict[str, float | str] = field(default_factory=dict)


@dataclass(frozen=True)
class Probe:
    """A trained, versioned probe. ``predict`` returns P(unsafe class) per row."""

    version: str
    model: LogisticRegression
    exemplars: np.ndarray
    metadata: ProbeMetadata

    @property
    def task(self) -> str:
        return self.metadata.task

    def features(self, embeddings: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        if not self.metadata.lexical:
            return np.asarray(embeddings, dtype=np.float32)
        if texts is None:
            raise ValueError("this probe uses lexical features: pass the texts too")
        return np.hstack([np.asarray(embeddings, dtype=np.float32), lexical_features(texts)])

    def predict(self, embeddings: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """Probability of the unsafe class for each row of ``embeddings``; shape ``(n,)``."""
        if len(embeddings) == 0:
            return np.zeros(0, dtype=np.float64)
        return self.model.predict_proba(self.features(embeddings, texts))[:, 1]

    def similarity(self, embeddings: np.ndarray) -> np.ndarray:
        """Highest cosine similarity of each row to the positive training exemplars; shape ``(n,)``."""
        if len(embeddings) == 0 or len(self.exemplars) == 0:
            return np.zeros(len(embeddings), dtype=np.float64)
        return (np.asarray(embeddings, dtype=np.float32) @ self.exemplars.T).max(axis=1).astype(np.float64)


def train_probe(
    texts: Sequence[str],
    labels: Sequence[int],
    embedder: Embedder,
    *,
    task: str,
    version: str,
    C: float = 4.0,
    lexical: bool = False,
    cv_folds: int = 5,
    embeddings: np.ndarray | None = None,
    seed: int = 0,
) -> Probe:
    """Fit a class-balanced logistic regression on embeddings of ``texts``.

    Parameters
    ----------
    texts, labels
        Training texts; label 1 is the unsafe class.
    embedder
        Embeds ``texts`` (its ``name`` is recorded: a probe only fits the space it was trained in).
    task, version
        Stamped into the probe; ``version`` becomes ``detector_version`` of the scores it produces.
    C
        Inverse L2 regularisation strength.
    lexical
        Append :func:`lexical_features` to the embedding.
    cv_folds
        Stratified folds for the recorded cross-validated AUROC; 0 skips it.
    embeddings
        Pre-computed embeddings of ``texts`` (skips the embedder call).
    """
    if not _VERSION.match(version):
        raise ValueError(f"version must match {_VERSION.pattern}, got {version!r}")
    y = np.asarray(labels, dtype=np.int64)
    if len(texts) != len(y) or set(np.unique(y)) != {0, 1}:
        raise ValueError("need one 0/1 label per text, with both classes present")
    start = time.perf_counter()
    emb = embedder.embed(list(texts)) if embeddings is None else np.asarray(embeddings, dtype=np.float32)
    x = np.hstack([emb, lexical_features(texts)]) if lexical else emb
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000, random_state=seed)
    cv_auroc = None
    if cv_folds >= 2 and np.bincount(y).min() >= cv_folds:
        folds = StratifiedKFold(cv_folds, shuffle=True, random_state=seed)
        oof = cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]
        cv_auroc = float(roc_auc_score(y, oof))
    model.fit(x, y)
    metadata = ProbeMetadata(
        task=str(task),
        embedder=embedder.name,
        texts_sha256=texts_hash(list(texts), [int(v) for v in y]),
        n_train=len(y),
        n_positive=int(y.sum()),
        C=C,
        lexical=lexical,
        cv_auroc=cv_auroc,
        trained_at=time.time(),
        train_seconds=time.perf_counter() - start,
    )
    return Probe(version=version, model=model, exemplars=emb[y == 1].copy(), metadata=metadata)


def probe_path(directory: Path | str, task: str, version: str) -> Path:
    """Where :func:`save_probe` puts ``task`` at ``version`` under ``directory``."""
    return Path(directory) / str(task) / f"{version}.joblib"


def save_probe(probe: Probe, directory: Path | str) -> Path:
    """Write ``probe`` atomically to ``directory/<task>/<version>.joblib``; returns the path."""
    path = probe_path(directory, probe.task, probe.version)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{time.monotonic_ns()}")
    joblib.dump(probe, tmp)
    tmp.replace(path)
    return path


def load_probe(directory: Path | str, task: str, version: str) -> Probe:
    """Load one specific saved version (a trusted file written by :func:`save_probe`)."""
    path = probe_path(directory, task, version)
    probe = joblib.load(path)
    if not isinstance(probe, Probe) or probe.version != version or probe.task != str(task):
        raise ValueError(f"{path} does not hold probe {task} {version}")
    return probe


def list_probe_versions(directory: Path | str, task: str) -> list[str]:
    """Saved versions of ``task`` under ``directory``, sorted by name."""
    folder = Path(directory) / str(task)
    return sorted(p.stem for p in folder.glob("*.joblib")) if folder.is_dir() else []


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/driftloop/probes`` (``~/.cache/driftloop/probes`` when unset)."""
    import os

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "driftloop" / "probes"


DEFAULT_TRAINING: dict[ProbeTask, dict[str, float | bool]] = {
    ProbeTask.JAILBREAK: {"C": 4.0, "lexical": True},
    ProbeTask.HARMFUL: {"C": 4.0, "lexical": False},
    ProbeTask.TOXICITY: {"C": 1.0, "lexical": False},
    ProbeTask.REFUSAL: {"C": 4.0, "lexical": False},
}
"""Training options of each shipped probe."""

_MEMO: dict[tuple[str, str, str], Probe] = {}


def default_probe(task: ProbeTask | str, embedder: Embedder, *, cache_dir: Path | str | None = None) -> Probe:
    """The shipped probe of ``task`` for ``embedder``: loaded from the cache, or trained there on first use.

    The version is ``<PROBE_FORMAT>.<hash of the shipped texts>``, and the cache is kept per embedder name,
    so changing the texts, the recipe or the embedding backend trains a new probe instead of reusing a
    stale one.
    """
    task = ProbeTask(task)
    corpus = load_corpus(task)
    options = DEFAULT_TRAINING[task]
    recipe = f"C{options['C']}-lex{int(bool(options['lexical']))}"
    version = f"{PROBE_FORMAT}.{texts_hash([recipe, *corpus.texts], [0, *corpus.labels])[:12]}"
    directory = Path(cache_dir or default_cache_dir()) / re.sub(r"[^\w.-]+", "_", embedder.name)
    key = (str(directory), task.value, version)
    if key in _MEMO:
        return _MEMO[key]
    try:
        probe = load_probe(directory, task, version)
    except (FileNotFoundError, ValueError, EOFError):
        probe = train_probe(
            corpus.texts,
            corpus.labels,
            embedder,
            task=task.value,
            version=version,
            C=float(options["C"]),
            lexical=bool(options["lexical"]),
        )
        with contextlib.suppress(OSError):  # a read-only cache still gets a working probe, in memory only
            save_probe(probe, directory)
    _MEMO[key] = probe
    return probe
