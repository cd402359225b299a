"""Request signatures (semantics §12.4).

A signed request carries `X-Timestamp` (unix seconds, or ISO 8601; without an offset it is UTC,
as `datetime.utcnow().isoformat()` writes it) and `X-Signature`: hex HMAC-SHA256 under the key's
signing secret of `"{timestamp}\\n{METHOD}\\n{path with query}\\n{raw body}"`, the timestamp
exactly as sent. It is accepted within ±300 s of the server's clock, once: a signature seen
before (a row in `SignatureSeen` until its window closes) is a replay.

The path is the one the client sent: the raw request target when the server reports it
(gunicorn's `RAW_URI`, uWSGI's `REQUEST_URI`), else the path and query Django decoded, encoded
again. The comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.encoding import escape_uri_path, iri_to_uri

from security.errors import (
    SignatureExpired,
    SignatureRefused,
    SignatureReplayed,
    SignatureRequired,
)
from security.models import ApiKey, SignatureSeen

WINDOW_SECONDS = 300
_HEX_SIGNATURE = re.compile(r"^[0-9a-fA-F]{64}$")
_UNIX = re.compile(r"^\d{1,12}(\.\d{1,9})?$")


def signature_message(timestamp: str, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body


def signature_compute(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def timestamp_parse(text: str) -> datetime:
    """`X-Timestamp` as an aware datetime; SignatureRefused when it is neither form."""
    text = text.strip()
    try:
        if _UNIX.match(text):
            return datetime.fromtimestamp(float(text), tz=UTC)
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        raise SignatureRefused("X-Timestamp must be unix seconds or ISO 8601") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def signed_paths(request) -> list[str]:
    """The request targets a client may have signed: the raw one when the server reports it,
    and the one rebuilt from Django's decoded path and query."""
    meta = request.META
    query = meta.get("QUERY_STRING", "")
    rebuilt = escape_uri_path(request.path) + (f"?{iri_to_uri(query)}" if query else "")
    paths = []
    raw = meta.get("RAW_URI") or meta.get("REQUEST_URI")
    if raw:
        raw = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*", "", raw)  # an absolute-form target
        paths.append(raw)
    if rebuilt not in paths:
        paths.append(rebuilt)
    return paths


def _body(request) -> bytes:
    try:
        return request.body
    except RawPostDataException:
        raise SignatureRefused(
            "The request body was read before its signature was checked"
        ) from None


def signature_required(key: ApiKey) -> bool:
    return key.require_signature or settings.J1MSKY_REQUIRE_SIGNED_REQUESTS


def signature_verify(request, key: ApiKey, *, now: datetime | None = None) -> bool:
    """Check the signature of `request` (a Django request) made with `key`.

    Returns False when the request is unsigned and need not be; True when it is signed and
    valid (its signature is then spent); raises a `SignatureRefused` otherwise."""
    timestamp = request.headers.get("X-Timestamp")
    signature = request.headers.get("X-Signature")
    if timestamp is None and signature is None:
        if signature_required(key):
            raise SignatureRequired()
        return False
    if not timestamp or not signature:
        raise SignatureRefused("A signed request needs both X-Timestamp and X-Signature")
    if key.signing_secret is None:
        raise SignatureRefused("This API key has no signing secret")
    if not _HEX_SIGNATURE.match(signature):
        raise SignatureRefused("X-Signature must be 64 hex characters")
    now = now or timezone.now()
    moment = timestamp_parse(timestamp)
    if abs((now - moment).total_seconds()) > WINDOW_SECONDS:
        raise SignatureExpired()
    body = _body(request)
    matches = [
        hmac.compare_digest(
            signature_compute(
                key.signing_secret, signature_message(timestamp, request.method, p, body)
            ),
            signature.lower(),
        )
        for p in signed_paths(request)
    ]
    if not any(matches):
        raise SignatureRefused()
    _spend(signature.lower(), expires_at=moment + timedelta(seconds=WINDOW_SECONDS + 1))
    return True


def _spend(signature: str, *, expires_at: datetime) -> None:
    """Remember an accepted signature until it could no longer be accepted; a second use is a
    replay. One INSERT against a unique index, so two processes cannot both accept it."""
    try:
        with transaction.atomic():
            SignatureSeen.objects.create(signature=signature, expires_at=expires_at)
    except IntegrityError:
        raise SignatureReplayed() from None


def signatures_forget(*, now: datetime | None = None) -> int:
    """Drop signatures whose window has closed; returns how many."""
    deleted, _ = SignatureSeen.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted
