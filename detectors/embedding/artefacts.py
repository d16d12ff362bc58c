"""A cache directory of built model artefacts (exported / quantised models), safe for concurrent builders.

Each artefact is a directory named by model, variant and a fingerprint of everything that shapes it
(model files, converter versions, build recipe version). A build writes into a temporary sibling
directory and renames it into place atomically, so a reader never sees a half-written artefact and two
processes building at once cannot corrupt it: an advisory lock makes the second one wait and reuse.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

MANIFEST = "manifest.json"


def default_artefact_dir() -> Path:
    """``~/.cache/driftloop/models``."""
    return Path.home() / ".cache" / "driftloop" / "models"


def fingerprint(parts: dict[str, str]) -> str:
    """A short stable hash of the inputs of a build.

    Examples
    --------
    >>> fingerprint({"a": "1"}) == fingerprint({"a": "1"}), fingerprint({"a": "1"}) == fingerprint({"a": "2"})
    (True, False)
    """
    blob = json.dumps(parts, sort_keys=True).encode()
    return hashlib.blake2b(blob, digest_size=8).hexdigest()


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """An advisory inter-process lock (a no-op where ``fcntl`` is missing: the atomic rename still holds)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield
        return
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_artefact(root: Path, name: str, build: Callable[[Path], dict[str, object]]) -> Path:
    """Return ``root / name``, building it first if it is missing.

    Parameters
    ----------
    root
        The artefact cache directory (created if needed).
    name
        Directory name of the artefact; it must change whenever the build's inputs change.
    build
        Writes the artefact's files into the empty directory it is given and returns metadata, stored
        as ``manifest.json``; the manifest is written last and marks the artefact complete.
    """
    final = root / name
    if (final / MANIFEST).is_file():
        return final
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(root / f".{name}.lock"):
        if (final / MANIFEST).is_file():
            return final
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=root))
        try:
            meta = build(tmp)
            write_json_atomic(tmp / MANIFEST, {"name": name, **meta})
            tmp.chmod(0o755)
            if final.exists():  # an incomplete leftover from a killed build
                shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def read_json(path: Path) -> dict[str, object] | None:
    """The JSON object at ``path``, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_json_atomic(path: Path, payload: dict[str, object]) -> None:
    """Write JSON beside ``path`` and rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle, indent=1, sort_keys=True)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
