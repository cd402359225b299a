"""HTTP for the J1MSKY client: authentication, retries, idempotency keys and request signing.

- Every write (POST, PUT, PATCH, DELETE) carries an `Idempotency-Key` (generated unless the
  caller gives one), the same on each retry, so a retried write has one effect on the server.
- 429, 502, 503, 504, a 409 `idempotency_key_in_use` and broken connections are retried with
  exponential backoff and jitter; a `Retry-After` (header or envelope) is waited in full. A wait
  longer than `max_retry_wait` is not taken: the error is raised at once with its `retry_after`.
- With a signing secret, `X-Timestamp` and `X-Signature` (hex HMAC-SHA256 over
  "{timestamp}\\n{METHOD}\\n{path with query}\\n{raw body}") are computed over the exact bytes
  sent, afresh for every attempt.
"""

from __future__ import annotations

import calendar
import datetime as dt
import decimal
import email.utils
import hashlib
import hmac
import json
import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from .errors import APIConnectionError, APITimeoutError, ConfigurationError, error_from_response
from .records import Record
from .version import __version__

logger = logging.getLogger("j1msky.sdk")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_API_SUFFIX = re.compile(r"/api(/v\d+)?$")


def api_root(base_url: str) -> str:
    """The API root for a server URL: `http://host:8080` → `http://host:8080/api/`.

    `/api` is appended unless the path already ends in `/api` or `/api/v<N>`.
    """
    try:
        url = httpx.URL(base_url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigurationError(f"Invalid base URL: {base_url!r}") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(f"Base URL must be http(s)://host[:port]: {base_url!r}")
    path = url.path.rstrip("/")
    if not _API_SUFFIX.search(path):
        path += "/api"
    return str(url.copy_with(path=path + "/", query=None, fragment=None))


def backoff_delay(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential backoff with up to 10 % jitter: 0.5, 1, 2, 4 … seconds, capped."""
    delay = min(base * (2**attempt), cap)
    return delay + random.uniform(0, 0.1 * delay)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    # An HTTP date is GMT; one without a zone is read as UTC too.
    stamp = when.timestamp() if when.tzinfo else calendar.timegm(when.timetuple())
    return max(stamp - (time.time() if now is None else now), 0.0)


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_body(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), default=_json_default).encode()


def encode_params(params: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Query parameters as the server reads them: lists comma-joined, objects as JSON."""
    pairs = []
    for name, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple, set)):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = json.dumps(value, separators=(",", ":"), default=_json_default)
        pairs.append((name, str(value)))
    return pairs


class RequestSigner:
    """Signs requests with a key's signing secret (semantics §12.4).

    The timestamp is unix seconds. Two identical requests (same method, path and body) within
    one second would carry the same signature, which the server refuses as a replay; the second
    one is stamped one second later instead, well inside the server's ±300 s window.
    """

    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret.encode()
        self._clock = clock
        self._last: dict[bytes, int] = {}
        self._lock = threading.Lock()

    def _timestamp(self, digest: bytes) -> int:
        with self._lock:
            stamp = int(self._clock())
            previous = self._last.get(digest)
            if previous is not None and stamp <= previous:
                stamp = previous + 1
            self._last[digest] = stamp
            if len(self._last) > 4096:
                horizon = stamp - 600
                self._last = {k: v for k, v in self._last.items() if v >= horizon}
            return stamp

    def sign(self, method: str, path: str, body: bytes) -> dict[str, str]:
        tail = f"{method}\n{path}\n".encode() + body
        stamp = self._timestamp(hashlib.sha256(tail).digest())
        message = f"{stamp}\n".encode() + tail
        signature = hmac.new(self._secret, message, hashlib.sha256).hexdigest()
        return {"X-Timestamp": str(stamp), "X-Signature": signature}


class Response:
    """One answer: status, headers and the decoded body (a `Record`, a list or text)."""

    def __init__(self, status: int, headers: httpx.Headers, body: Any) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")

    @property
    def replayed(self) -> bool:
        return self.headers.get("idempotency-replayed") == "true"


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    if "json" in response.headers.get("content-type", ""):
        try:
            return json.loads(response.content, object_hook=Record)
        except ValueError:
            pass
    return response.text


class Transport:
    """Sends requests to one J1MSKY server with one API key."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float = 30.0,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        signing_secret: str | None = None,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.root = api_root(base_url)
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.signer = RequestSigner(signing_secret) if signing_secret else None
        self.sleep = sleep
        self._owns_client = http_client is None
        self.client = http_client or httpx.Client(timeout=timeout, follow_redirects=False)
        self.headers = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json",
            "User-Agent": f"j1msky-sdk-python/{__version__}",
        }
        self.last_response: Response | None = None

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def _build(self, method, path, params, body, idempotency_key) -> httpx.Request:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        request = self.client.build_request(
            method,
            self.root + path.lstrip("/"),
            params=encode_params(params) or None,
            content=body,
            headers=headers,
        )
        if self.signer is not None:
            signed_path = request.url.raw_path.decode("ascii")
            request.headers.update(self.signer.sign(method, signed_path, body or b""))
        return request

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotency_key: str | None = None,
    ) -> Response:
        """Send one call, retrying what may be retried; raise the typed error otherwise."""
        method = method.upper()
        body = encode_body(json_body) if json_body is not None else None
        if method in WRITE_METHODS and not idempotency_key:
            idempotency_key = str(uuid.uuid4())
        attempt = 0
        while True:
            request = self._build(method, path, params, body, idempotency_key)
            try:
                raw = self.client.send(request)
            except httpx.TransportError as exc:
                if attempt >= self.max_retries:
                    cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else None
                    raise (cls or APIConnectionError)(
                        f"{method} {request.url}: {exc.__class__.__name__}: {exc}"
                    ) from exc
                wait = backoff_delay(attempt)
                logger.info("%s %s failed (%s); retrying in %.2f s", method, path, exc, wait)
            else:
                response = Response(raw.status_code, raw.headers, _decode(raw))
                self.last_response = response
                if raw.status_code < 400:
                    return response
                error = error_from_response(
                    raw.status_code,
                    response.body,
                    dict(raw.headers),
                    parse_retry_after(raw.headers.get("retry-after")),
                )
                retryable = raw.status_code in RETRY_STATUSES or (
                    raw.status_code == 409 and error.type == "idempotency_key_in_use"
                )
                if not retryable or attempt >= self.max_retries:
                    raise error
                wait = error.retry_after if error.retry_after is not None else None
                if wait is not None and wait > self.max_retry_wait:
                    raise error
                wait = backoff_delay(attempt) if wait is None else wait * random.uniform(1, 1.1)
                logger.info(
                    "%s %s answered %s %s; retrying in %.2f s (request_id %s)",
                    method,
                    path,
                    raw.status_code,
                    error.type,
                    wait,
                    error.request_id,
                )
            self.sleep(wait)
            attempt += 1
