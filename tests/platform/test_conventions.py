"""Conventions every response follows (semantics §1, §2)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
def test_both_base_paths_serve_the_same_route(admin_client, prefix):
    response = admin_client.get(f"{prefix}/keys")
    assert response.status_code == 200
    assert response.json()["pagination"]["total"] == 1


def test_every_response_carries_request_id_and_version(anon_client):
    response = anon_client.get("/api/health")
    assert response["X-Request-Id"].startswith("req_")
    assert response["X-API-Version"] == "4.0"


def test_safe_incoming_request_id_is_echoed_and_unsafe_replaced(anon_client):
    assert (
        anon_client.get("/api/health", HTTP_X_REQUEST_ID="abc-123_X")["X-Request-Id"] == "abc-123_X"
    )
    replaced = anon_client.get("/api/health", HTTP_X_REQUEST_ID="bad id<script>")["X-Request-Id"]
    assert replaced.startswith("req_")


def _assert_envelope(response, status, type_):
    assert response.status_code == status
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == status
    assert body["error"]["type"] == type_
    assert body["error"]["message"]
    assert body["error"]["request_id"] == response["X-Request-Id"]
    return body["error"]


def test_unknown_route_is_enveloped_404(anon_client):
    _assert_envelope(anon_client.get("/api/does-not-exist"), 404, "not_found")
    _assert_envelope(anon_client.get("/nothing-here"), 404, "not_found")


def test_wrong_method_is_enveloped_405(admin_client):
    _assert_envelope(admin_client.patch("/api/keys"), 405, "method_not_allowed")


def test_malformed_json_is_enveloped_400(admin_client):
    response = admin_client.generic(
        "POST", "/api/keys", "{not json", content_type="application/json"
    )
    _assert_envelope(response, 400, "parse_error")


def test_unsupported_media_type_is_415(admin_client):
    response = admin_client.generic("POST", "/api/keys", "<x/>", content_type="application/xml")
    _assert_envelope(response, 415, "unsupported_media_type")


def test_validation_error_names_the_field(admin_client):
    error = _assert_envelope(
        admin_client.post("/api/keys", {}, format="json"), 400, "validation_error"
    )
    assert set(error["details"]) >= {"name", "scopes"}


def test_oversized_body_is_413(admin_client, settings):
    settings.J1MSKY_MAX_BODY_BYTES = 100
    response = admin_client.post("/api/keys", {"name": "x" * 200, "scopes": "agents:read"})
    _assert_envelope(response, 413, "payload_too_large")


def test_form_and_json_bodies_are_both_accepted(admin_client):
    as_form = admin_client.post("/api/keys", {"name": "form", "scopes": "agents:read"})
    as_json = admin_client.post(
        "/api/keys", {"name": "json", "scopes": ["agents:read"]}, format="json"
    )
    assert as_form.status_code == as_json.status_code == 201
    assert as_form.json()["scopes"] == as_json.json()["scopes"] == ["agents:read"]


def test_unhandled_exception_is_enveloped_500_and_logged(admin_client, monkeypatch, caplog):
    from security.api.views import keys as views

    def boom(**kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(views, "api_key_list", boom)
    error = _assert_envelope(admin_client.get("/api/keys"), 500, "internal_error")
    assert "kaboom" not in error["message"]
    assert any("unhandled error" in r.message for r in caplog.records)
