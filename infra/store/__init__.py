"""driftloop's ClickHouse store: connection, versioned migrations, and one repository per group of tables.

``store.events``, ``store.drift``, ``store.alerts``, ``store.retrain``, ``store.audit``, ``store.segments``
and ``store.aggregates`` (see :mod:`infra.store.store`).

>>> from infra.store import TABLES
>>> "inference" in TABLES
True
"""

from infra.store.aggregates import OutcomeCounts, SignalCounts
from infra.store.ddl import DdlContext
from infra.store.drift import SIGNAL_PREFIX, ReferencePin
from infra.store.events import InferenceWindow, JoinedFeedback, StreamSpan
from infra.store.migrate import AppliedMigration, Migration, load_migrations, render_all
from infra.store.rows import Delivery
from infra.store.store import TABLES, Store, connect
from schemas.errors import (
    MigrationChecksumError,
    MigrationError,
    StoreError,
    StoreLockedError,
    StoreOpenError,
)

__all__ = [
    "TABLES",
    "AppliedMigration",
    "DdlContext",
    "Delivery",
    "InferenceWindow",
    "JoinedFeedback",
    "Migration",
    "MigrationChecksumError",
    "MigrationError",
    "OutcomeCounts",
    "SignalCounts",
    "ReferencePin",
    "SIGNAL_PREFIX",
    "Store",
    "StoreError",
    "StoreLockedError",
    "StoreOpenError",
    "StreamSpan",
    "connect",
    "load_migrations",
    "render_all",
]
