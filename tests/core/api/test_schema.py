"""The OpenAPI document: valid, warning-free, every error documented, Swagger UI from local assets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS


@pytest.fixture
def schema(api, db) -> dict:
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_generates_without_warnings_and_validates(tmp_path: Path, db):
    GENERATOR_STATS.reset()
    target = tmp_path / "schema.yml"
    # --fail-on-warn raises SchemaGenerationError on any warning; --validate checks against the OpenAPI spec.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    document = yaml.safe_load(target.read_text())
    assert document["openapi"].startswith("3.")
    assert "/api/v1/me/" in document["paths"]


def test_the_bearer_scheme_is_declared_and_required(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "rilo_<prefix>_<secret>",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert {"bearerAuth": []} in schema["paths"]["/api/v1/me/"]["get"]["security"]
    assert {} not in schema["paths"]["/api/v1/me/"]["get"]["security"]


def test_every_operation_documents_its_errors_in_the_error_shape(schema):
    error = {"$ref": "#/components/schemas/Error"}
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"type", "message", "details"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for code in ("401", "403", "406", "429"):
                assert responses[code]["content"]["application/json"]["schema"] == error, (method, path, code)
            assert "Retry-After" in responses["429"]["headers"]
            if method == "post":
                for code in ("400", "413", "415"):
                    assert code in responses, (method, path, code)
            if "{" in path:
                assert "404" in responses, (method, path)


def test_idempotent_and_conditional_operations_say_so(schema):
    create = schema["paths"]["/api/v1/accounts/tokens/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
    assert {"409", "422"} <= set(create["responses"])
    detail = schema["paths"]["/api/v1/reference/units/{code}/"]["get"]
    assert any(p["name"] == "If-None-Match" for p in detail["parameters"])
    assert "304" in detail["responses"] and "ETag" in detail["responses"]["200"]["headers"]


def test_swagger_ui_is_served_from_local_assets(api, db):
    response = api.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
