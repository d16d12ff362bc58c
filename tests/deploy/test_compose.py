"""The production compose file: valid YAML, the expected services, and environment that driftloop understands.

No Docker engine runs on these machines, so the file is checked, not started.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from infra.settings import Settings

COMPOSE = Path(__file__).resolve().parents[2] / "infra" / "deploy" / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_services_cover_kafka_clickhouse_service_and_workers(compose):
    services = compose["services"]
    assert {"kafka", "clickhouse", "service", "worker"} <= set(services)
    assert services["service"]["command"] == ["driftloop", "up"]
    assert services["worker"]["command"] == ["driftloop", "worker"]
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller", "KRaft, no ZooKeeper"


def _environment(service: dict) -> dict[str, str]:
    substituted = {}
    for key, value in service["environment"].items():
        substituted[key] = re.sub(r"\$\{[A-Z_]+(:\?[^}]*)?\}", "secret", str(value))
    return substituted


def _setting_exists(path: list[str]) -> bool:
    model: type[BaseModel] = Settings
    for i, name in enumerate(path):
        field = model.model_fields.get(name)
        if field is None:
            return False
        annotation = field.annotation
        if i < len(path) - 1:
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return False
            model = annotation
    return True


@pytest.mark.parametrize("name", ["service", "worker"])
def test_every_driftloop_variable_names_a_real_setting(compose, name, monkeypatch):
    env = _environment(compose["services"][name])
    for key in env:
        if key.startswith("DRIFTLOOP_"):
            path = key.removeprefix("DRIFTLOOP_").lower().split("__")
            assert _setting_exists(path), f"{key} is not a driftloop setting"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.kafka.bootstrap_servers == "kafka:9092"
    assert settings.clickhouse_dsn().startswith("http://")
    assert not settings.embedded_store


def test_the_image_copies_every_package_the_project_installs():
    repo = COMPOSE.parents[2]
    patterns = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.removesuffix("*") for pattern in patterns}
    dockerfile = (COMPOSE.parent / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \1$", dockerfile, re.MULTILINE))
    assert packages == copied
