"""Standard Webhooks signatures, checked by the reference `standardwebhooks` library."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks.signing import (
    SECRET_PREFIX,
    secret_generate,
    secret_key_bytes,
    signature_compute,
    signature_headers,
)

BODY = json.dumps(
    {"event": "agent.completed", "timestamp": "2026-02-21T02:30:00Z", "data": {"cost": 0.0123}},
    separators=(",", ":"),
).encode()


def test_the_library_verifies_our_signature_with_a_generated_secret():
    secret = secret_generate()
    headers = signature_headers(
        secret=secret, message_id="evt_2x9", timestamp=int(time.time()), body=BODY
    )
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_the_library_verifies_our_signature_with_a_user_given_secret():
    secret = "your_webhook_secret"
    headers = signature_headers(
        secret=secret, message_id="evt_1", timestamp=int(time.time()), body=BODY
    )
    # A user-given secret's key is its UTF-8 bytes; the library takes such a key as bytes.
    assert Webhook(secret.encode("utf-8")).verify(BODY, headers) == json.loads(BODY)


def test_a_tampered_body_fails_verification():
    secret = secret_generate()
    headers = signature_headers(
        secret=secret, message_id="evt_1", timestamp=int(time.time()), body=BODY
    )
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(secret).verify(BODY.replace(b"0.0123", b"0.0124"), headers)


@pytest.mark.parametrize("offset", [-360, 360])
def test_a_timestamp_six_minutes_off_fails_verification(offset):
    secret = secret_generate()
    headers = signature_headers(
        secret=secret, message_id="evt_1", timestamp=int(time.time()) + offset, body=BODY
    )
    with pytest.raises(WebhookVerificationError, match=r"too (old|new)"):
        Webhook(secret).verify(BODY, headers)


def test_another_secret_fails_verification():
    headers = signature_headers(
        secret=secret_generate(), message_id="evt_1", timestamp=int(time.time()), body=BODY
    )
    with pytest.raises(WebhookVerificationError):
        Webhook(secret_generate()).verify(BODY, headers)


def test_headers_and_signature_have_the_standard_shape():
    headers = signature_headers(secret="k", message_id="evt_1", timestamp=1700000000, body=b"{}")
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-id"] == "evt_1"
    assert headers["webhook-timestamp"] == "1700000000"
    version, signature = headers["webhook-signature"].split(",")
    assert version == "v1"
    assert len(base64.b64decode(signature, validate=True)) == 32


def test_known_answer_against_the_library_signer():
    """Same key, id, time and body: byte-identical signature to the reference signer."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    ours = signature_compute(
        secret=secret,
        message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body=b'{"test": 2432232314}',
    )
    theirs = Webhook(secret).sign(
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        datetime.fromtimestamp(1614265330, tz=UTC),
        '{"test": 2432232314}',
    )
    assert ours == theirs == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_generated_secrets_are_whsec_base64_of_at_least_24_random_bytes():
    secrets_seen = {secret_generate() for _ in range(50)}
    assert len(secrets_seen) == 50
    for secret in secrets_seen:
        assert secret.startswith(SECRET_PREFIX)
        assert len(secret_key_bytes(secret)) >= 24
    assert len(secret_key_bytes(secret_generate(24))) == 24
    with pytest.raises(ValueError, match="24"):
        secret_generate(16)


def test_secret_key_bytes():
    assert secret_key_bytes("whsec_AAECAw==") == b"\x00\x01\x02\x03"
    assert secret_key_bytes("whsec_AAECAw") == b"\x00\x01\x02\x03"  # unpadded base64
    assert secret_key_bytes("plain secret é") == "plain secret é".encode()
    for bad in ("", "whsec_", "whsec_not base64!"):
        with pytest.raises(ValueError):
            secret_key_bytes(bad)


@pytest.mark.parametrize("message_id", ["", "evt 1", "evt\r\n1", "é", "x" * 257])
def test_message_ids_must_be_header_safe(message_id):
    with pytest.raises(ValueError, match="message id"):
        signature_compute(secret="k", message_id=message_id, timestamp=1, body=b"")
