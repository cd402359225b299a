"""Provider errors and how an HTTP error reply is classified (transient or permanent)."""

from __future__ import annotations

import contextlib
import email.utils
import math
import time
from collections.abc import Mapping
from typing import Any

from .values import Usage


class ProviderError(Exception):
    """A provider call failed. ``transient`` says whether retrying may help.

    ``usage`` is what the provider had already used when the call failed mid-stream (to be
    charged), ``None`` when nothing was received. ``attempts`` is set by ``call_with_retries``.
    """

    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str = "provider_error",
        status: int | None = None,
        retry_after: float | None = None,
        provider: str | None = None,
        usage: Usage | None = None,
        usage_estimated: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.retry_after = retry_after
        self.provider = provider
        self.usage = usage
        self.usage_estimated = usage_estimated
        self.attempts = 1

    def __str__(self) -> str:
        where = f"{self.provider}: " if self.provider else ""
        status = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{where}{self.message}{status}"


class ProviderTransientError(ProviderError):
    """429, 5xx, timeouts before any output, dropped connections: retry with backoff."""

    transient = True


class ProviderPermanentError(ProviderError):
    """400/401/403/404 and other client errors, malformed replies: retrying will not help."""

    transient = False


def timeout_error(provider: str | None) -> ProviderTransientError:
    return ProviderTransientError("the provider timed out", code="timeout", provider=provider)


def connection_error(reason: object, provider: str | None) -> ProviderTransientError:
    return ProviderTransientError(
        f"connection to the provider failed: {reason}", code="connection_error", provider=provider
    )


def malformed_reply_error(reason: object, provider: str | None) -> ProviderPermanentError:
    return ProviderPermanentError(
        f"malformed reply: {reason}", code="malformed_reply", provider=provider
    )


TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})
_TRANSIENT_ERROR_TYPES = frozenset(
    {"overloaded_error", "api_error", "rate_limit_error", "timeout_error", "server_error"}
)
_CODE_BY_STATUS = {
    400: "bad_request",
    401: "authentication_failed",
    402: "payment_required",
    403: "permission_denied",
    404: "not_found",
    408: "timeout",
    413: "request_too_large",
    422: "bad_request",
    429: "rate_limited",
}


def parse_retry_after(
    headers: Mapping[str, str] | Any, *, now: float | None = None
) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        with contextlib.suppress(ValueError):
            return max(0.0, float(millis) / 1000.0)
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def error_for_status(
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | Any = None,
    error_type: str | None = None,
    provider: str | None = None,
) -> ProviderError:
    """Classify an HTTP error reply (or an in-stream error event, ``status`` 200)."""
    should_retry = (headers.get("x-should-retry") if headers is not None else None) or ""
    if should_retry == "true":
        transient = True
    elif should_retry == "false":
        transient = False
    elif status == 200:  # an error event inside a stream that had started fine
        transient = error_type in _TRANSIENT_ERROR_TYPES
    else:
        transient = status in TRANSIENT_STATUSES or status >= 500
    if status == 200:
        code = "rate_limited" if error_type == "rate_limit_error" else "stream_error"
    else:
        code = _CODE_BY_STATUS.get(status, "server_error" if status >= 500 else "client_error")
    cls = ProviderTransientError if transient else ProviderPermanentError
    return cls(
        message,
        code=code,
        status=None if status == 200 else status,
        retry_after=parse_retry_after(headers),
        provider=provider,
    )
