"""The committed OpenAPI schema matches the app, and the app keeps its promises under generated requests."""

from __future__ import annotations

import json

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from driftloop.api.openapi import OPENAPI_PATH, current_schema, render
from retrain import RetrainService
from tests.api.conftest import TOKENS
from tests.api.test_auth_admin import RecordedJob as InstantJob

pytestmark = pytest.mark.integration


def test_committed_schema_matches_the_app() -> None:
    committed = OPENAPI_PATH.read_text()
    assert committed == render(current_schema()), "regenerate it: python -m driftloop.api.openapi"


def test_every_route_declares_a_response_model_and_auth() -> None:
    schema = current_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            ok = (
                operation["responses"].get("200")
                or operation["responses"].get("202")
                or operation["responses"].get("204")
            )
            assert ok is not None, (method, path)
            if path.startswith("/v1"):
                assert operation.get("security") == [{"HTTPBearer": []}], (method, path)
                assert "401" in operation["responses"] and "403" in operation["responses"], (method, path)
    body = schema["paths"]["/v1/inference"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["anyOf"][0] == {"$ref": "#/components/schemas/InferenceEvent"}
    assert "InferenceEvent" in schema["components"]["schemas"]
    json.dumps(schema)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.slow
def test_api_conforms_to_its_schema(make_client, seeded, settings, store) -> None:
    """schemathesis generates requests for every operation (admin token, seeded store, real broker)."""
    service = RetrainService(settings, store, job=InstantJob())
    client = make_client(tokens=True, retrain=service)
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    headers = {"Authorization": f"Bearer {TOKENS['admin']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        def conforms(case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        conforms()
    service.shutdown()
