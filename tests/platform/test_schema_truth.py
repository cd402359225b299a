"""The published schema states what each operation answers and takes (the fuzzing in
tests/fuzz checks it against the server; these pin the decisions behind it)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(anon_client):
    response = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _op(schema, path, method):
    return schema["paths"][f"/api/v1{path}"][method]


def test_each_operation_lists_its_own_refusals_with_the_envelope(schema):
    assert {"201", "402", "429"} <= set(_op(schema, "/spawn", "post")["responses"])
    assert "409" in _op(schema, "/agent/{agent_id}", "delete")["responses"]
    revoke = _op(schema, "/keys/{key_id}", "delete")["responses"]
    assert "200" in revoke and "204" not in revoke and "409" in revoke
    assert {"404", "409"} <= set(_op(schema, "/pricing/decision", "post")["responses"])
    error = _op(schema, "/spawn", "post")["responses"]["402"]["content"]["application/json"]
    assert error["schema"]["$ref"].endswith("/ErrorEnvelope")
    public = _op(schema, "/health", "get")["responses"]
    assert "401" not in public and "429" in public


def test_writes_document_the_idempotency_key_and_json_bodies(schema):
    spawn = _op(schema, "/spawn", "post")
    header = next(p for p in spawn["parameters"] if p["name"] == "Idempotency-Key")
    assert header["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}
    assert list(spawn["requestBody"]["content"]) == ["application/json"]
    headers = spawn["responses"]["201"]["headers"]
    assert {"X-Request-Id", "X-API-Version", "X-RateLimit-Remaining"} <= set(headers)


def test_list_parameters_are_typed_as_the_filters_check_them(schema):
    params = {p["name"]: p for p in _op(schema, "/agents", "get")["parameters"]}
    assert params["status"]["schema"]["enum"][0] == "spawning"
    assert "anyOf" in params["cost_gt"]["schema"]
    assert params["sort"]["schema"]["pattern"].startswith("^[-+ ]?(")
    assert "offset" in params and "offset" not in {
        p["name"] for p in _op(schema, "/events", "get")["parameters"]
    }
    filter_object = params["filter"]["content"]["application/json"]["schema"]
    assert filter_object["additionalProperties"] is False
    assert filter_object["properties"]["cost"]["anyOf"][1]["properties"]["gt"]
    assert filter_object["properties"]["model_in"]["type"] == "array"
    assert "414" in _op(schema, "/agents", "get")["responses"]


def test_catalogue_fields_are_enums_of_what_is_enabled(schema, admin_client):
    components = schema["components"]["schemas"]
    enabled = [
        m["alias"] for m in admin_client.get("/api/models?enabled=true&limit=100").json()["data"]
    ]
    model = components["SpawnRequest"]["properties"]["model"]["allOf"][0]["$ref"]
    assert components[model.rsplit("/", 1)[1]]["enum"] == enabled
    task = components["SpawnRequest"]["properties"]["task"]
    assert task["minLength"] == 1 and "\\s" in task["pattern"]
