"""Standard Webhooks 1.0 signatures (https://www.standardwebhooks.com/).

Headers: `webhook-id`, `webhook-timestamp` (unix seconds) and
`webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`. The key is the
base64 part of a `whsec_` secret, or the UTF-8 bytes of a secret the user chose. Standard library
only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
SIGNATURE_VERSION = "v1"

_MESSAGE_ID = re.compile(r"^[\x21-\x7e]{1,256}$")  # printable ASCII, no spaces: a header value


def secret_generate(nbytes: int = SECRET_BYTES) -> str:
    """A new secret: `whsec_` + base64 of `nbytes` (at least 24) random bytes."""
    if nbytes < 24:
        raise ValueError("a webhook secret needs at least 24 random bytes")
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode("ascii")


def secret_key_bytes(secret: str) -> bytes:
    """The HMAC key of a secret; ValueError if empty, or `whsec_` followed by no valid base64."""
    if not secret:
        raise ValueError("a webhook secret may not be empty")
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode("utf-8")
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a whsec_ secret must carry base64 after the prefix") from None
    if not key:
        raise ValueError("a webhook secret may not be empty")
    return key


def signature_compute(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 signature>` over `{id}.{timestamp}.{body}`."""
    if not _MESSAGE_ID.match(message_id):
        raise ValueError("a webhook message id must be 1-256 printable ASCII characters")
    signed = f"{message_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(secret_key_bytes(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signature_headers(
    *, secret: str, message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery attempt."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": signature_compute(
            secret=secret, message_id=message_id, timestamp=timestamp, body=body
        ),
    }
