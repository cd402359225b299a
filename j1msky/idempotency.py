"""Idempotency keys (semantics §4): one database row per (owner, method, path, key).

The first request inserts the row (a unique constraint makes the claim atomic across processes)
and runs; its handler and the stored response commit in one transaction, so a crash leaves
either both or neither. A claim whose request died is taken over after `STALE_CLAIM` seconds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from j1msky.errors import (
    IdempotencyKeyInUse,
    IdempotencyKeyMismatch,
    InvalidIdempotencyKey,
)
from j1msky.models import IdempotencyRecord

STALE_CLAIM = timedelta(minutes=5)
MAX_KEY_LENGTH = 255
REPLAYED_HEADERS = ("Location", "Content-Type")


def _canonical(value: Any) -> Any:
    if hasattr(value, "lists"):  # QueryDict from a form body
        return {k: v if len(v) > 1 else v[0] for k, v in sorted(value.lists())}
    return value


def idempotency_path(path: str) -> str:
    """`/api/v1/…` and `/api/…` are one route, so one scope."""
    return "/api/" + path.removeprefix("/api/v1/") if path.startswith("/api/v1/") else path


def fingerprint(*, body: Any, query: str) -> str:
    canonical = json.dumps(
        {"body": _canonical(body), "query": query},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Claim:
    record: IdempotencyRecord


class Replay(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response
        super().__init__("replay")


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body or b""),
        status=record.response_status,
        content_type=record.response_headers.get("Content-Type", "application/json"),
    )
    for name, value in record.response_headers.items():
        if name != "Content-Type":
            response[name] = value
    response["Idempotency-Replayed"] = "true"
    return response


def idempotency_claim(*, owner, method: str, path: str, key: str, fp: str) -> Claim:
    """Claim the key or raise: `Replay` with the stored answer, 409 on mismatch or in use."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} characters",
            details={"Idempotency-Key": [f"1-{MAX_KEY_LENGTH} characters"]},
        )
    now = timezone.now()
    scope = {
        "owner": owner,
        "method": method,
        "path_hash": IdempotencyRecord.hash_path(path),
        "key": key,
    }
    for _ in range(3):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    **scope,
                    path=path,
                    fingerprint=fp,
                    claimed_at=now,
                    expires_at=now + timedelta(hours=settings.J1MSKY_IDEMPOTENCY_TTL_HOURS),
                )
            return Claim(record)
        except IntegrityError:
            pass
        record = IdempotencyRecord.objects.filter(**scope).first()
        if record is None:  # purged between our insert and read: try again
            continue
        if record.expires_at <= now:
            IdempotencyRecord.objects.filter(pk=record.pk, expires_at__lte=now).delete()
            continue
        if record.fingerprint != fp:
            raise IdempotencyKeyMismatch()
        if record.state == IdempotencyRecord.State.DONE:
            raise Replay(_replay(record))
        if record.claimed_at < now - STALE_CLAIM:
            taken = IdempotencyRecord.objects.filter(
                pk=record.pk,
                state=IdempotencyRecord.State.IN_PROGRESS,
                claimed_at=record.claimed_at,
            ).update(claimed_at=now)
            if taken:
                record.claimed_at = now
                return Claim(record)
            continue
        raise IdempotencyKeyInUse()
    raise IdempotencyKeyInUse()


def idempotency_complete(
    *, claim: Claim, status: int, body: bytes, headers: dict[str, str]
) -> None:
    """Store the answer (inside the handler's transaction) so later requests replay it."""
    IdempotencyRecord.objects.filter(pk=claim.record.pk).update(
        state=IdempotencyRecord.State.DONE,
        response_status=status,
        response_body=body,
        response_headers={k: v for k, v in headers.items() if k in REPLAYED_HEADERS},
    )


def idempotency_release(*, claim: Claim) -> None:
    """A 5xx is not stored: free the key so the client may retry."""
    IdempotencyRecord.objects.filter(
        pk=claim.record.pk, state=IdempotencyRecord.State.IN_PROGRESS
    ).delete()


def idempotency_purge(*, now=None) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
