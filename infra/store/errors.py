"""Errors raised by the ClickHouse store.

::

    StoreError
    ├── StoreOpenError          the store could not be opened (DSN shown without its password)
    │   └── StoreLockedError    the embedded data directory is owned by another process
    └── MigrationError          a migration could not be applied
        └── MigrationChecksumError   an applied migration's file has changed since
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every store error."""


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
