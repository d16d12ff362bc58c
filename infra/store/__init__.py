"""driftloop's ClickHouse store: connection, versioned migrations, typed inserts and deduplicated reads.

>>> from infra.store import TABLES
>>> "inference" in TABLES
True
"""

from infra.store.ddl import DdlContext
from infra.store.errors import (
    MigrationChecksumError,
    MigrationError,
    StoreError,
    StoreLockedError,
    StoreOpenError,
)
from infra.store.migrate import AppliedMigration, Migration, load_migrations, render_all
from infra.store.store import TABLES, InferenceWindow, JoinedFeedback, Store, connect

__all__ = [
    "TABLES",
    "AppliedMigration",
    "DdlContext",
    "InferenceWindow",
    "JoinedFeedback",
    "Migration",
    "MigrationChecksumError",
    "MigrationError",
    "Store",
    "StoreError",
    "StoreLockedError",
    "StoreOpenError",
    "connect",
    "load_migrations",
    "render_all",
]
