"""One temporary chdb data directory per test module, held open, with a fresh database per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.store import Store


@pytest.fixture(scope="module")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("chdb")
    with Store.open(f"chdb://{path}", database="keeper"):
        yield path


@pytest.fixture
def store(chdb_dir: Path) -> Iterator[Store]:
    with Store.open(f"chdb://{chdb_dir}", database=f"t_{uuid.uuid4().hex[:12]}") as opened:
        yield opened
