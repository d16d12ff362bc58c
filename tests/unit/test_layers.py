"""The packages' import arrows point one way (README, "Layout"): a module importing upward fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

MAY_IMPORT = {
    "schemas": set(),
    "detectors": {"schemas"},
    "infra": {"schemas"},
    "consumers": {"schemas", "detectors", "infra"},
    "monitor": {"schemas", "detectors", "infra"},
    "analytics": {"schemas", "detectors", "infra", "monitor"},
    "retrain": {"schemas", "detectors", "infra"},
}
OURS = {*MAY_IMPORT, "driftloop"}


def imported_packages(path: Path) -> set[str]:
    """Our top-level packages that ``path`` imports (anywhere in the module, functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(top for top in (name.split(".")[0] for name in names) if top in OURS)
    return found


def test_imported_packages_sees_imports_inside_functions(tmp_path: Path):
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from driftloop.errors import ConfigError\n    import infra.store\n")
    assert imported_packages(module) == {"driftloop", "infra"}


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_a_package_imports_only_the_layers_below_it(package: str):
    allowed = MAY_IMPORT[package] | {package}
    upward = {
        str(path.relative_to(REPO)): sorted(imported_packages(path) - allowed)
        for path in sorted((REPO / package).rglob("*.py"))
        if imported_packages(path) - allowed
    }
    assert upward == {}


def test_no_scheduler_in_the_stream_consumers():
    users = [p for p in (REPO / "consumers").rglob("*.py") if "apscheduler" in p.read_text()]
    assert users == []
