"""driftloop's ClickHouse store: connection, versioned migrations, typed inserts and deduplicated reads.

>>> from infra.store import TABLES
>>> "inference" in TABLES
True
"""

from infra.store.ddl import DdlContext
from infra.store.migrate import AppliedMigration, Migration, load_migrations, render_all
from infra.store.reads_drift import Delivery
from infra.store.reads_events import InferenceWindow, JoinedFeedback, StreamSpan
from infra.store.reads_retrain import ReferencePin
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
    "ReferencePin",
    "Store",
    "StoreError",
    "StoreLockedError",
    "StoreOpenError",
    "StreamSpan",
    "connect",
    "load_migrations",
    "render_all",
]
