"""Hostile input to the key routes: 400 (or 404 for an id) naming the problem, nothing created or
changed, never a 5xx, on either database."""

import json
from urllib.parse import quote

import pytest

from j1msky.models import IdempotencyRecord
from security.models import ApiKey

pytestmark = pytest.mark.django_db


def error_of(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        '{"name":"a\\u0000b","scopes":["agents:read"]}',
        '{"name":"ok","scopes":["agents:read\\u0000"]}',
        '{"name":"a\\udc80","scopes":["agents:read"]}',
        '{"name":"ok","scopes":["agents:read"],"allowed_ips":["10.0.0.1\\u0000"]}',
        "[" * 100_000,
    ],
)
def test_a_key_body_with_text_no_field_may_hold_creates_nothing(admin_client, body):
    before = ApiKey.objects.count()
    error = error_of(admin_client.post("/api/keys", body, content_type="application/json"))
    assert error["type"] in ("validation_error", "parse_error")
    assert ApiKey.objects.count() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/keys/x%00y"),
        ("delete", "/api/keys/x%00y"),
        ("post", "/api/keys/x%00y/rotate"),
    ],
)
def test_a_nul_in_the_key_id_is_404_and_changes_nothing(admin_client, method, path):
    assert error_of(getattr(admin_client, method)(path), 404)["type"] == "not_found"
    assert ApiKey.objects.get(pk=admin_client.key.pk).revoked_at is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("created_after=" + quote("9999-12-31T23:59:59-05:00"), "created_after"),
        ("last_used_at_gt=" + quote("0001-01-01T00:00:00+05:00"), "last_used_at_gt"),
        ("filter=" + quote(json.dumps({"created_before": "9999-12-31T23:59:59-05:00"})),
         "created_before"),
    ],
)  # fmt: skip
def test_a_datetime_utc_cannot_hold_is_400_naming_the_filter(admin_client, query, field):
    error = error_of(admin_client.get(f"/api/keys?{query}"))
    assert error["type"] == "invalid_filter" and field in error["details"]


def test_a_very_long_key_path_with_an_idempotency_key_is_404_and_replayed(admin_client):
    path = "/api/keys/" + "k" * 5000
    first = admin_client.delete(path, HTTP_IDEMPOTENCY_KEY="long-path")
    error_of(first, 404)
    again = admin_client.delete(path, HTTP_IDEMPOTENCY_KEY="long-path")
    assert again.status_code == 404 and again["Idempotency-Replayed"] == "true"
    other = admin_client.delete(path + "x", HTTP_IDEMPOTENCY_KEY="long-path")
    assert other.status_code == 404 and not other.has_header("Idempotency-Replayed")
    assert IdempotencyRecord.objects.filter(key="long-path").count() == 2
