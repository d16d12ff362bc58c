"""What the API needs from the process that serves it, gathered in one holder.

``driftloop up`` builds it from its ``Running`` (:meth:`ApiContext.from_running`); tests build it
from a store and settings. Anything missing (no broker, no retraining in this process) turns the
routes that need it into clear 503/501 answers instead of failures at start-up.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from driftloop.publisher import Publisher
from infra.metrics import Metrics, default_metrics
from infra.settings import Settings, get_settings
from infra.store import Store
from schemas import ConsumerLag, ServiceStatus, StreamKey


class TriggerOutcome(Protocol):
    """What ``retrain.RetrainService.trigger`` returns: the run started, or the policy's refusal."""

    run_id: str | None
    decision: Any


class RetrainTriggerer(Protocol):
    def trigger(self, stream: StreamKey, *, reason: str = ..., manual: bool = ...) -> TriggerOutcome: ...


@dataclass
class ApiContext:
    """Dependencies of the HTTP API.

    Parameters
    ----------
    settings
        ``settings.api`` (tokens, limits), topics, data dir (reports, snapshots).
    store
        The process's open store; read routes answer 503 without one.
    status
        The service status (``/readyz``, ``/v1/status``).
    consumer_lag
        Consumer lag per group and topic (``/metrics``), read without the status's exact row counts.
    bootstrap_servers
        The broker that ingest routes publish to (a ``Publisher`` is opened on the first request).
    retrain
        A running ``retrain.RetrainService`` (or anything with its ``trigger``); ``POST /v1/retrain``
        answers 501 without one.
    owner
        The object the context was built from (``Running``); ``retrain`` and ``counters`` are looked up on it
        at request time when not given, so parts attached after the API started are still found.
    """

    settings: Settings
    store: Store | None = None
    status: Callable[[], ServiceStatus] | None = None
    consumer_lag: Callable[[], list[ConsumerLag]] | None = None
    bootstrap_servers: str | None = None
    retrain: RetrainTriggerer | None = None
    metrics: Metrics = field(default_factory=default_metrics)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    owner: Any = None
    _publisher: Publisher | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_running(cls, running: Any, **overrides: Any) -> ApiContext:
        """From ``driftloop.service.Running`` (anything with ``settings``, ``store``, ``bootstrap_servers``)."""
        values: dict[str, Any] = {
            "settings": running.settings,
            "store": getattr(running, "store", None),
            "status": getattr(running, "status", None),
            "consumer_lag": getattr(running, "consumer_lag", None),
            "bootstrap_servers": getattr(running, "bootstrap_servers", None),
            "owner": running,
        }
        values.update(overrides)
        return cls(**values)

    @classmethod
    def of(cls, source: Any) -> ApiContext:
        """An ``ApiContext`` as it is; a ``Running``; or the bound ``status`` method of one (resolves its owner)."""
        if isinstance(source, ApiContext):
            return source
        owner = source.__self__ if inspect.ismethod(source) else source
        if hasattr(owner, "settings"):
            return cls.from_running(owner)
        if callable(source):
            return cls(settings=get_settings(), status=source)
        raise TypeError(f"cannot build the API from {type(source).__name__}")

    def retrain_service(self) -> RetrainTriggerer | None:
        return self.retrain if self.retrain is not None else getattr(self.owner, "retrain", None)

    def publisher(self) -> Publisher | None:
        """The ingest publisher, opened on first use; None when there is no broker to publish to."""
        if self.bootstrap_servers is None:
            return None
        with self._lock:
            if self._publisher is None:
                self._publisher = Publisher(
                    self.bootstrap_servers,
                    self.settings,
                    linger_ms=1,
                    delivery_timeout_s=self.settings.api.publish_timeout_s,
                )
            return self._publisher

    def close(self) -> None:
        with self._lock:
            if self._publisher is not None:
                self._publisher.close(timeout_s=self.settings.api.publish_timeout_s)
                self._publisher = None
