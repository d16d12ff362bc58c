"""Every exception driftloop raises on purpose: one tree under :class:`DriftloopError`.

They are defined here, at the bottom of the import graph, so that every layer (infra, detectors,
consumers, monitor, retrain, the API) raises from the same tree; ``driftloop.errors`` is the public
surface that re-exports them. Catching ``DriftloopError`` catches anything driftloop raises
deliberately: the CLI prints its message and exits with status 2, the API answers it with an
``ApiError`` body and the status of the nearest class in ``driftloop.api.errors.STATUS``.

A class also derives from a builtin error where callers catch that builtin (shown in brackets)::

    DriftloopError
     ├── ConfigError                       a setting or CLI argument is invalid; the message names it
     │    └── InsecureBinding              the API would listen beyond loopback without any token
     ├── InvalidStreamKey [ValueError]     a stream is not written APP/MODEL@VERSION
     ├── InvalidEvent                      an event does not match the schema (raised before publishing)
     ├── CatalogueError [ValueError]       a demo catalogue data file is malformed; names the file and the key
     ├── ServiceNotRunning                 a command needs a running ``driftloop up`` and found none (or one too many)
     ├── BrokerUnavailable                 no Kafka broker answered at the configured address
     │    └── LocalBrokerError             the local broker could not be started
     ├── PublishError                      the broker did not acknowledge a published event
     ├── WatermarkUnknown                  a lagging partition's next record could not be read
     ├── StoreError                        the ClickHouse store refused or failed a request
     │    ├── StoreOpenError               the store could not be opened (DSN shown without its password)
     │    │    └── StoreLockedError        the embedded data directory is owned by another process
     │    └── MigrationError               a schema migration could not be applied
     │         └── MigrationChecksumError  an applied migration's file has changed since
     ├── DetectorNotFittedError            a drift detector was asked to test before it was fitted
     ├── BackendUnavailableError           an embedding backend cannot run here
     ├── DeliveryError                     an alert sink did not accept an alert (the outbox retries it)
     ├── RegistryError                     a probe version is missing, or a pointer names none
     ├── InsufficientEvaluationData [ValueError]  too few labelled examples to hold some out
     └── ApiProblem                        an HTTP answer other than success: status, code, message, fields
          └── BodyTooLarge                 a request body passed ``api.max_body_bytes``
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.api import FieldError

__all__ = [
    "ApiProblem",
    "BackendUnavailableError",
    "BodyTooLarge",
    "BrokerUnavailable",
    "CatalogueError",
    "ConfigError",
    "DeliveryError",
    "DetectorNotFittedError",
    "DriftloopError",
    "InsecureBinding",
    "InsufficientEvaluationData",
    "InvalidEvent",
    "InvalidStreamKey",
    "LocalBrokerError",
    "MigrationChecksumError",
    "MigrationError",
    "PublishError",
    "RegistryError",
    "ServiceNotRunning",
    "StoreError",
    "StoreLockedError",
    "StoreOpenError",
    "WatermarkUnknown",
]


class DriftloopError(Exception):
    """Base class of every error driftloop raises on purpose; its message says what was wrong."""


# ---- configuration and input ----------------------------------------------------------------------


class ConfigError(DriftloopError):
    """A setting or CLI argument is invalid; the message names it."""


class InsecureBinding(ConfigError):
    """The API would listen beyond loopback without any token configured."""


class CatalogueError(DriftloopError, ValueError):
    """A demo catalogue data file is malformed; the message names the file and the key."""


class InvalidStreamKey(DriftloopError, ValueError):
    """A stream's text is not ``APP/MODEL@VERSION``; the message quotes the text."""


class InvalidEvent(DriftloopError):
    """An event does not match the schema (raised before publishing)."""


class ServiceNotRunning(DriftloopError):
    """A command needs a running ``driftloop up`` and found none, or found one where it must be alone."""


# ---- Kafka ----------------------------------------------------------------------------------------


class BrokerUnavailable(DriftloopError):
    """No Kafka broker answered at the configured address."""


class LocalBrokerError(BrokerUnavailable):
    """The local broker could not be started, or was used before it was."""


class PublishError(DriftloopError):
    """The broker did not acknowledge a published event."""


class WatermarkUnknown(DriftloopError):
    """A lagging partition's next record could not be read, so what is stored is unknown."""


# ---- ClickHouse -----------------------------------------------------------------------------------


class StoreError(DriftloopError):
    """The ClickHouse store refused or failed a request."""


class StoreOpenError(StoreError):
    """The store could not be opened or its database could not be created."""


class StoreLockedError(StoreOpenError):
    """The embedded (chdb) data directory is already open in another process.

    One process owns a chdb data directory; every other process must go through it.
    """


class MigrationError(StoreError):
    """A schema migration failed, or the database holds migrations this code does not know."""


class MigrationChecksumError(MigrationError):
    """A migration recorded as applied no longer matches its file."""


# ---- detectors, alerting, retraining --------------------------------------------------------------


class DetectorNotFittedError(DriftloopError):
    """A drift detector's ``test`` was called before ``fit``."""


class BackendUnavailableError(DriftloopError):
    """The requested embedding backend cannot run here (missing runtime or unsupported CPU)."""


class DeliveryError(DriftloopError):
    """A sink did not accept an alert; the delivery stays pending and is retried."""


class RegistryError(DriftloopError):
    """A probe version is missing, or a pointer names a version the registry does not hold."""


class InsufficientEvaluationData(DriftloopError, ValueError):
    """Too few labelled examples of a class to hold some out for a fair comparison."""


# ---- HTTP API -------------------------------------------------------------------------------------


class ApiProblem(DriftloopError):
    """Raised by routes for an answer with a status, a code, a message and (optionally) field errors.

    ``error`` is the machine-readable code; ``None`` means the status's usual code
    (``driftloop.api.errors.ERROR_CODES``).
    """

    def __init__(self, status: int, message: str, fields: Sequence[FieldError] = (), error: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = list(fields)
        self.error = error


class BodyTooLarge(ApiProblem):
    """A request body passed the limit (declared or streamed); answered 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body larger than {max_bytes} bytes (api.max_body_bytes)")
        self.max_bytes = max_bytes
