"""Hot reload: running workers pick up a promoted probe without restarting.

:class:`ProbeReloader` looks at the registry's ``CURRENT`` pointers at most every ``poll_s`` seconds (one
``stat`` per task; the file is read only when it changed) and swaps the new probe into every detector of
that task. :class:`ReloadingScorer` wraps a worker's batch scorer so each batch starts with that check.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from detectors.safety import Probe
from retrain.registry import ProbeRegistry
from schemas.errors import RegistryError

log = logging.getLogger(__name__)


class SwapsProbe(Protocol):
    """What a detector needs to be reloadable (``detectors.safety.ProbeDetector`` is one)."""

    @property
    def probe(self) -> Probe: ...

    def swap_probe(self, probe: Probe) -> None: ...


class ProbeReloader:
    """Swap promoted probes into ``detectors``.

    Parameters
    ----------
    registry
        The registry (or its directory) that the retrainer promotes into.
    detectors
        Probe detectors to keep current; each is matched by its probe's task.
    poll_s
        Minimum seconds between two looks at the pointers; ``check()`` is free in between.
    embedder_name
        When given, a promoted probe trained in another embedding space is refused (and logged).
    """

    def __init__(
        self,
        registry: ProbeRegistry | Path | str,
        detectors: Sequence[SwapsProbe],
        *,
        poll_s: float = 5.0,
        embedder_name: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if poll_s < 0:
            raise ValueError(f"poll_s must be >= 0, got {poll_s}")
        self.registry = registry if isinstance(registry, ProbeRegistry) else ProbeRegistry(registry)
        self.detectors = list(detectors)
        self.poll_s = poll_s
        self.embedder_name = embedder_name
        self._clock = clock
        self._last_check: float | None = None
        self._signatures: dict[str, tuple[int, int, int] | None] = {}
        self._lock = threading.Lock()
        self.reloads = 0

    @property
    def tasks(self) -> list[str]:
        return sorted({d.probe.task for d in self.detectors})

    def versions(self) -> dict[str, str]:
        """The probe version each task's detectors are using now."""
        return {d.probe.task: d.probe.version for d in self.detectors}

    def check(self, *, force: bool = False) -> list[str]:
        """Swap in newly promoted versions; returns the ``task:version`` strings swapped in (usually none)."""
        now = self._clock()
        with self._lock:
            if not force and self._last_check is not None and now - self._last_check < self.poll_s:
                return []
            self._last_check = now
            swapped = []
            for task in self.tasks:
                version = self._changed_pointer(task)
                if version is not None and self._swap(task, version):
                    swapped.append(f"{task}:{version}")
            return swapped

    def _changed_pointer(self, task: str) -> str | None:
        path = self.registry.pointer_path(task)
        try:
            st = path.stat()
            signature: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            signature = None
        if task in self._signatures and self._signatures[task] == signature:
            return None
        self._signatures[task] = signature
        return None if signature is None else self.registry.current(task)

    def _swap(self, task: str, version: str) -> bool:
        targets = [d for d in self.detectors if d.probe.task == task and d.probe.version != version]
        if not targets:
            return False
        try:
            probe = self.registry.load(task, version)
        except (RegistryError, OSError, ValueError, EOFError) as exc:
            log.error("cannot load promoted %s probe %s, keeping %s: %s", task, version, targets[0].probe.version, exc)
            self._signatures.pop(task, None)  # try again next time
            return False
        if self.embedder_name is not None and probe.metadata.embedder != self.embedder_name:
            log.error(
                "promoted %s probe %s was trained with embedder %s, this worker embeds with %s: not loaded",
                task,
                version,
                probe.metadata.embedder,
                self.embedder_name,
            )
            return False
        for detector in targets:
            detector.swap_probe(probe)
        self.reloads += 1
        log.warning("loaded promoted %s probe %s", task, version)
        return True


class ReloadingScorer:
    """A batch scorer that lets ``reloader`` swap in promoted probes before the detectors run (cheap between polls).

    ``inner`` is a worker's ``BatchScorer`` (``embed``, then ``detect``).
    """

    def __init__(self, inner: Any, reloader: ProbeReloader) -> None:
        self.inner = inner
        self.reloader = reloader

    def embed(self, events: Sequence[Any]) -> Any:
        return self.inner.embed(events)

    def detect(self, batch: Any) -> list[Any]:
        self._check()
        return self.inner.detect(batch)

    def _check(self) -> None:
        try:
            self.reloader.check()
        except Exception:  # noqa: BLE001 - a broken registry must not stop scoring
            log.exception("probe reload check failed; scoring with the probes in use")
