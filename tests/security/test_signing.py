"""Request signing (semantics §12.4): the reference's function, every tampering, replays, the
window, keys and a server that require signatures, and the secret at rest."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.db import connection
from rest_framework.test import APIClient

from security.models import ApiKey, AuditLog, SignatureSeen
from security.tasks import security_expire
from tests.processes import gunicorn_server

pytestmark = pytest.mark.django_db

SPAWN = '{"model":"k2p5","task":"test"}'


def sign_request(api_key, api_secret, method, path, body):
    """The reference's function, as printed (api-reference.md, Request Signing)."""
    timestamp = datetime.now(UTC).replace(tzinfo=None).isoformat()  # = datetime.utcnow()

    message = f"{timestamp}\n{method}\n{path}\n{body}"
    signature = hmac.new(api_secret.encode(), message.encode(), hashlib.sha256).hexdigest()

    return {
        "Authorization": f"Bearer {api_key}",
        "X-Timestamp": timestamp,
        "X-Signature": signature,
    }


def signature(secret: str, timestamp: str, method: str, path: str, body: str = "") -> str:
    message = f"{timestamp}\n{method}\n{path}\n{body}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@pytest.fixture
def signer(make_client):
    """A client whose key has a signing secret (and need not sign)."""
    client = make_client(signing_secret=True)
    client.signing_secret = client.key.signing_secret
    return client


def send(client, method, path, body="", *, timestamp=None, sign_as=None, secret=None, **extra):
    """Send `body` as it was signed; `sign_as` (method, path, body) signs something else."""
    timestamp = timestamp or str(int(time.time()))
    signed = sign_as or (method, path, body)
    headers = {
        "HTTP_X_TIMESTAMP": timestamp,
        "HTTP_X_SIGNATURE": signature(secret or client.signing_secret, timestamp, *signed),
    }
    route, _, query = path.partition("?")
    return client.generic(
        method,
        route + (f"?{query}" if query else ""),
        data=body,
        content_type="application/json",
        **headers,
        **extra,
    )


def error_type(response) -> str:
    return response.json()["error"]["type"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_reference_function_signing_the_bytes_it_sends_is_accepted(make_client):
    client = make_client(signing_secret=True, require_signature=True)
    key, secret = client.secret, client.key.signing_secret
    with gunicorn_server(workers=1, threads=2) as url:
        headers = sign_request(key, secret, "POST", "/api/spawn", SPAWN)
        # The fix: send the signed string itself (`data=body`), not `json=data`, whose bytes
        # (`{"model": "k2p5", ...}` with spaces) differ from what was signed.
        headers["Content-Type"] = "application/json"
        accepted = httpx.post(f"{url}/api/spawn", content=SPAWN, headers=headers)
        assert accepted.status_code == 201, accepted.text
        assert accepted.json()["model"] == "k2p5"

        headers = sign_request(key, secret, "POST", "/api/spawn", SPAWN)
        headers["Content-Type"] = "application/json"
        # What `requests.post(url, json=data)` sends: json.dumps with its default separators.
        as_printed = json.dumps(json.loads(SPAWN))
        assert as_printed != SPAWN
        unfixed = httpx.post(f"{url}/api/spawn", content=as_printed, headers=headers)
        assert unfixed.status_code == 401  # the reference's call as printed: other bytes
        assert unfixed.json()["error"]["type"] == "invalid_signature"

        # A query string is signed as sent, percent-encoding and all: httpx sends `{` as is,
        # which Django's decoded-and-encoded-again path would not reproduce (`%7B`).
        path = '/api/agents?filter={"status":"spawning"}&sort=-created_at'
        raw = httpx.Request("GET", f"{url}{path}").url.raw_path.decode()
        assert "{%22status%22" in raw
        headers = sign_request(key, secret, "GET", raw, "")
        listed = httpx.get(f"{url}{path}", headers=headers)
        assert listed.status_code == 200, listed.text
        assert listed.json()["pagination"]["total"] == 1


def test_a_signed_request_is_accepted_with_unix_or_iso_timestamps(signer):
    assert send(signer, "POST", "/api/spawn", SPAWN).status_code == 201
    iso = datetime.now(UTC).isoformat()
    assert send(signer, "GET", "/api/agents", timestamp=iso).status_code == 200
    naive = datetime.now(UTC).replace(tzinfo=None).isoformat()  # utcnow(): read as UTC
    assert send(signer, "GET", "/api/agents?limit=5", timestamp=naive).status_code == 200
    zulu = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert send(signer, "GET", "/api/keys", timestamp=zulu).status_code == 200


@pytest.mark.parametrize(
    "change",
    ["timestamp", "method", "path", "query", "body", "signature"],
)
def test_changing_any_signed_part_is_401(signer, change):
    stamp = str(int(time.time()))
    method, path, body = "POST", "/api/spawn?x=1", SPAWN
    sign_as = (method, path, body)
    kwargs: dict = {}
    if change == "timestamp":
        kwargs["timestamp"] = str(int(stamp) - 1)
        good = signature(signer.signing_secret, stamp, *sign_as)
        response = signer.generic(
            method,
            path,
            data=body,
            content_type="application/json",
            HTTP_X_TIMESTAMP=kwargs["timestamp"],
            HTTP_X_SIGNATURE=good,
        )
    elif change == "signature":
        good = signature(signer.signing_secret, stamp, *sign_as)
        flipped = ("0" if good[0] != "0" else "1") + good[1:]
        response = signer.generic(
            method,
            path,
            data=body,
            content_type="application/json",
            HTTP_X_TIMESTAMP=stamp,
            HTTP_X_SIGNATURE=flipped,
        )
    else:
        sent = {
            "method": ("PUT", path, body),
            "path": (method, "/api/spawn-team?x=1", body),
            "query": (method, "/api/spawn?x=2", body),
            "body": (method, path, body.replace("test", "tesT")),
        }[change]
        response = send(signer, *sent, sign_as=sign_as, timestamp=stamp)
    assert response.status_code == 401, response.content
    assert error_type(response) == "invalid_signature"
    assert not SignatureSeen.objects.exists()


def test_the_same_signed_request_twice_is_refused_the_second_time(signer):
    stamp = str(int(time.time()))
    first = send(signer, "GET", "/api/agents", timestamp=stamp)
    second = send(signer, "GET", "/api/agents", timestamp=stamp)
    assert first.status_code == 200
    assert second.status_code == 401 and error_type(second) == "signature_replayed"
    upper = signature(signer.signing_secret, stamp, "GET", "/api/agents").upper()
    again = signer.get("/api/agents", HTTP_X_TIMESTAMP=stamp, HTTP_X_SIGNATURE=upper)
    assert again.status_code == 401 and error_type(again) == "signature_replayed"


@pytest.mark.parametrize(("offset", "status"), [(-301, 401), (-299, 200), (299, 200), (301, 401)])
def test_the_window_is_300_seconds_either_way(signer, offset, status):
    stamp = str(int(time.time()) + offset)
    response = send(signer, "GET", "/api/agents", timestamp=stamp)
    assert response.status_code == status
    if status == 401:
        assert error_type(response) == "signature_expired"


def test_a_301_second_old_iso_timestamp_is_401(signer):
    old = (datetime.now(UTC) - timedelta(seconds=301)).isoformat()
    assert error_type(send(signer, "GET", "/api/agents", timestamp=old)) == "signature_expired"


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_TIMESTAMP": "yesterday", "HTTP_X_SIGNATURE": "0" * 64},
        {"HTTP_X_TIMESTAMP": str(int(time.time())), "HTTP_X_SIGNATURE": "not hex"},
        {"HTTP_X_TIMESTAMP": str(int(time.time()))},
        {"HTTP_X_SIGNATURE": "0" * 64},
        {"HTTP_X_TIMESTAMP": "9" * 12, "HTTP_X_SIGNATURE": "0" * 64},
    ],
)
def test_malformed_signature_headers_are_401(signer, headers):
    response = signer.get("/api/agents", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_key_that_requires_signatures_refuses_unsigned_requests(make_client):
    client = make_client(require_signature=True)
    unsigned = client.get("/api/agents")
    assert unsigned.status_code == 401 and error_type(unsigned) == "signature_required"
    client.signing_secret = client.key.signing_secret
    assert send(client, "GET", "/api/agents").status_code == 200


def test_the_server_setting_requires_every_key_to_sign(make_client, settings, anon_client):
    settings.J1MSKY_REQUIRE_SIGNED_REQUESTS = True
    plain = make_client()
    assert error_type(plain.get("/api/agents")) == "signature_required"
    signing = make_client(signing_secret=True)
    signing.signing_secret = signing.key.signing_secret
    assert send(signing, "GET", "/api/agents").status_code == 200
    assert anon_client.get("/api/health").status_code == 200  # public routes need no key


def test_a_signature_from_a_key_without_a_signing_secret_is_401(make_client):
    client = make_client()
    response = send(client, "GET", "/api/agents", secret="guess")
    assert response.status_code == 401
    assert "no signing secret" in response.json()["error"]["message"]


def test_bad_signatures_are_violations_on_the_owners_feed_and_count_to_the_lock_out(
    signer, settings
):
    settings.J1MSKY_AUTH_FAILURE_LIMIT = 3
    ip = f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    for _ in range(3):
        bad = send(signer, "GET", "/api/agents", secret="wrong", REMOTE_ADDR=ip)
        assert bad.status_code == 401
    locked = send(signer, "GET", "/api/agents", REMOTE_ADDR=ip)
    assert locked.status_code == 403 and error_type(locked) == "auth_locked_out"
    reasons = sorted(
        row.details["reason"]
        for row in AuditLog.objects.filter(event="security.violation", ip_address=ip)
    )
    assert reasons == ["auth_lockout", "invalid_signature"]  # once a minute per key and kind
    elsewhere = f"10.8.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    feed = send(signer, "GET", "/api/events?type=security.violation", REMOTE_ADDR=elsewhere)
    feed = feed.json()["data"]
    assert [e["data"]["reason"] for e in feed] == ["invalid_signature"]
    assert feed[0]["data"]["api_key_id"] == signer.key.key_id


def test_a_new_key_shows_its_signing_secret_once_and_keeps_it_sealed(admin_client):
    created = admin_client.post(
        "/api/keys",
        {"name": "signed", "scopes": ["agents:read"], "signing_secret": True},
        format="json",
        HTTP_IDEMPOTENCY_KEY="sig-1",
    )
    assert created.status_code == 201
    body = created.json()
    secret = body["signing_secret"]
    assert secret.startswith("sigsec_") and body["has_signing_secret"] is True
    assert body["require_signature"] is False
    replay = admin_client.post(
        "/api/keys",
        {"name": "signed", "scopes": ["agents:read"], "signing_secret": True},
        format="json",
        HTTP_IDEMPOTENCY_KEY="sig-1",
    )
    assert replay.json()["signing_secret"] is None and replay.json()["key"] is None
    detail = admin_client.get(f"/api/keys/{body['key_id']}").json()
    assert "signing_secret" not in detail and detail["has_signing_secret"] is True
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT signing_secret FROM {ApiKey._meta.db_table} WHERE key_id = %s",
            [body["key_id"]],
        )
        [raw] = cursor.fetchone()
    assert raw.startswith("j1e1:") and secret not in raw
    plain = admin_client.post("/api/keys", {"name": "plain", "scopes": ["agents:read"]})
    assert plain.json()["signing_secret"] is None


def test_rotation_issues_a_new_signing_secret_and_keeps_the_requirement(admin_client, make_client):
    signed = make_client(["agents:read"], user=admin_client.user, require_signature=True)
    rotated = admin_client.post(f"/api/keys/{signed.key.key_id}/rotate", {}, format="json")
    body = rotated.json()
    assert body["require_signature"] is True
    assert body["signing_secret"].startswith("sigsec_")
    assert body["signing_secret"] != signed.key.signing_secret


def test_a_key_that_must_sign_makes_keys_that_must_sign(make_client):
    parent = make_client(["admin:write", "agents:read"], require_signature=True)
    parent.signing_secret = parent.key.signing_secret
    body = json.dumps({"name": "child", "scopes": ["agents:read"]}, separators=(",", ":"))
    created = send(parent, "POST", "/api/keys", body)
    assert created.status_code == 201, created.content
    assert created.json()["require_signature"] is True
    assert created.json()["signing_secret"].startswith("sigsec_")


def test_spent_signatures_are_forgotten_once_their_window_closes(signer):
    assert send(signer, "GET", "/api/agents").status_code == 200
    assert SignatureSeen.objects.count() == 1
    SignatureSeen.objects.update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert security_expire()["signatures_forgotten"] == 1


def test_x_api_key_is_not_read_by_v4_routes(signer):
    v3_style = APIClient()
    response = v3_style.get("/api/agents", HTTP_X_API_KEY=signer.secret)
    assert response.status_code == 401
