"""One exception tree: defined in schemas/errors.py only, drawn in its docstring, re-exported by driftloop.errors,
printed cleanly by the CLI and answered with a status by the API."""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import pkgutil
import re
import tomllib
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import driftloop.cli
import driftloop.errors
import schemas.errors
from driftloop.api.errors import install_error_handlers
from driftloop.cli import main
from schemas import FieldError
from schemas.errors import (
    ApiProblem,
    BodyTooLarge,
    BrokerUnavailable,
    DriftloopError,
    InvalidStreamKey,
    LocalBrokerError,
    MigrationChecksumError,
    PublishError,
    RegistryError,
    StoreError,
    StoreLockedError,
    WatermarkUnknown,
)

REPO = Path(__file__).resolve().parents[2]
PACKAGES = [
    pattern.rstrip("*")
    for pattern in tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"][
        "include"
    ]
]
HOME = REPO / "schemas" / "errors.py"
TREE = {
    name: cls
    for name, cls in vars(schemas.errors).items()
    if inspect.isclass(cls) and issubclass(cls, BaseException) and cls.__module__ == "schemas.errors"
}
BUILTIN_ERRORS = {
    name for name, obj in vars(builtins).items() if inspect.isclass(obj) and issubclass(obj, BaseException)
}
TREE_LINE = re.compile(r"^(?P<indent>[\s│├└─]*?)(?P<name>[A-Z]\w+)(?: \[(?P<builtins>[\w, ]+)\])?(?:\s{2,}.*)?$")
""" ``   │    └── Name [Builtin]   what it means``: the drawing's indent, the class, builtin bases if any."""


def project_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        path = importlib.import_module(package).__path__
        names.extend(info.name for info in pkgutil.walk_packages(path, f"{package}."))
    return names


def test_every_exception_class_is_defined_in_schemas_errors() -> None:
    defined_elsewhere = []
    for name in project_modules():
        module = importlib.import_module(name)
        defined_elsewhere += [
            f"{name}.{attr}"
            for attr, obj in vars(module).items()
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == name != "schemas.errors"
        ]
    # classes inside functions too: any class statement whose base is a builtin error or one of the tree
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if path == HOME:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.ClassDef):
                    bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                    if bases & (BUILTIN_ERRORS | set(TREE)):
                        defined_elsewhere.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}")
    assert defined_elsewhere == [], "define exceptions in schemas/errors.py (and draw them in its tree)"


def drawn_tree() -> dict[str, tuple[str | None, set[str]]]:
    """Each class of the docstring's tree: its parent in the drawing, and the builtin bases shown in brackets."""
    drawn: dict[str, tuple[str | None, set[str]]] = {}
    path: list[tuple[int, str]] = []
    for line in schemas.errors.__doc__.splitlines():
        match = TREE_LINE.match(line)
        if not match or not (match["indent"].strip() or match["name"] == "DriftloopError"):
            continue
        depth = len(match["indent"])
        while path and path[-1][0] >= depth:
            path.pop()
        builtin_bases = {b.strip() for b in (match["builtins"] or "").split(",") if b.strip()}
        drawn[match["name"]] = (path[-1][1] if path else None, builtin_bases)
        path.append((depth, match["name"]))
    return drawn


def test_the_docstring_draws_every_class_under_its_own_base() -> None:
    drawn = drawn_tree()
    assert set(drawn) == set(TREE)
    for name, (parent, builtin_bases) in drawn.items():
        cls = TREE[name]
        ours = [base.__name__ for base in cls.__bases__ if base.__name__ in TREE]
        shown = {base.__name__ for base in cls.__bases__ if base.__name__ not in TREE} - {"Exception"}
        assert ours == ([parent] if parent else []), f"{name} is drawn under {parent}, derives from {ours}"
        assert shown == builtin_bases, f"{name} derives from {shown}, drawn with {builtin_bases}"
    assert all(issubclass(cls, DriftloopError) for cls in TREE.values())


def test_driftloop_errors_re_exports_the_whole_tree() -> None:
    assert set(driftloop.errors.__all__) == set(schemas.errors.__all__) == set(TREE)
    assert all(getattr(driftloop.errors, name) is cls for name, cls in TREE.items())


def test_the_cli_prints_a_driftloop_error_without_a_traceback(tmp_path: Path, capsys) -> None:
    assert main(["--data-dir", str(tmp_path), "reference", "show", "support-bot@2026-10"]) == 2
    err = capsys.readouterr().err
    assert "error: expected APP/MODEL@VERSION, got 'support-bot@2026-10'" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "error",
    [StoreLockedError("data dir held by pid 7"), LocalBrokerError("broker exited"), RegistryError("no v9")],
    ids=lambda e: type(e).__name__,
)
def test_the_cli_exits_2_with_the_message_of_any_driftloop_error(
    error: DriftloopError, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(args, settings) -> int:
        raise error

    monkeypatch.setattr(driftloop.cli, "cmd_status", failing)
    assert main(["--data-dir", str(tmp_path), "status"]) == 2
    err = capsys.readouterr().err
    assert f"error: {error}" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ApiProblem(409, "busy"), 409, "conflict"),
        (ApiProblem(422, "bad a", [FieldError(field="a", message="bad")]), 422, "invalid_request"),
        (BodyTooLarge(10), 413, "payload_too_large"),
        (InvalidStreamKey("expected APP/MODEL@VERSION, got 'x'"), 422, "invalid_request"),
        (LocalBrokerError("broker exited"), 503, "broker_unavailable"),
        (PublishError("no ack"), 503, "publish_failed"),
        (WatermarkUnknown("partition 0 unread"), 503, "unavailable"),
        (StoreLockedError("held by pid 7"), 503, "store_unavailable"),
        (MigrationChecksumError("0003 changed"), 500, "internal_error"),
        (BrokerUnavailable("down"), 503, "broker_unavailable"),
        (StoreError("odd embeddings"), 500, "internal_error"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_the_api_answers_each_driftloop_error_with_its_status(error: DriftloopError, status: int, code: str) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fail")
    def fail() -> None:
        raise error

    response = TestClient(app).get("/fail")
    assert response.status_code == status
    fields = error.fields if isinstance(error, ApiProblem) else []
    assert response.json() == {"error": code, "message": str(error), "fields": [f.model_dump() for f in fields]}
