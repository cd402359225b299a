"""Errors a client can cause, and the one envelope they render as (semantics §2).

No HTTP framework here: services, selectors and tasks raise these (or their app's subclasses in
`<app>/errors.py`), and `j1msky.api.errors` turns each into a response. `http_status` is the
status the envelope carries; `code` its stable `type`.
"""

from __future__ import annotations

from typing import Any

from j1msky.logging import current_request_id


class DomainError(Exception):
    """An error a client can cause, rendered as the envelope with `http_status` and `code`."""

    http_status: int = 400
    code: str = "bad_request"
    message: str = "Bad request"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        code: str | None = None,
        http_status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.message = message or self.message
        self.details = details
        if code:
            self.code = code
        if http_status:
            self.http_status = http_status
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.message)


class InvalidInput(DomainError):
    http_status = 400
    code = "validation_error"
    message = "Invalid input"


class BadRequest(DomainError):
    """Input that is not even a value (a header, a body that does not parse)."""

    http_status = 400
    code = "bad_request"
    message = "Bad request"


class NotAuthenticated(DomainError):
    http_status = 401
    code = "not_authenticated"
    message = "Authentication required"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        headers = {"WWW-Authenticate": 'Bearer realm="api"', **kwargs.pop("headers", {})}
        super().__init__(message, headers=headers, **kwargs)


class AuthenticationFailed(NotAuthenticated):
    code = "authentication_failed"
    message = "Invalid API key"


class Forbidden(DomainError):
    http_status = 403
    code = "forbidden"
    message = "Forbidden"


class InsufficientScope(Forbidden):
    code = "insufficient_scope"
    message = "Missing required scope"


class InsufficientPrivileges(Forbidden):
    code = "insufficient_privileges"
    message = "Changing a system-wide setting needs a key whose owner is staff"


class NotFound(DomainError):
    http_status = 404
    code = "not_found"
    message = "Not found"


class Conflict(DomainError):
    http_status = 409
    code = "conflict"
    message = "Conflict"


class PayloadTooLarge(DomainError):
    http_status = 413
    code = "payload_too_large"
    message = "Request body too large"


class TooManyRequests(DomainError):
    http_status = 429
    code = "rate_limited"
    message = "Rate limit exceeded"

    def __init__(self, message: str | None = None, *, retry_after: int, **kwargs: Any) -> None:
        retry_after = max(int(retry_after), 1)
        headers = {"Retry-After": str(retry_after), **kwargs.pop("headers", {})}
        super().__init__(message, retry_after=retry_after, headers=headers, **kwargs)


class ServiceUnavailable(DomainError):
    http_status = 503
    code = "service_unavailable"
    message = "A dependency is unavailable"


class InternalError(DomainError):
    http_status = 500
    code = "internal_error"
    message = "Internal server error"


def envelope(
    status: int, code: str, message: str, details: Any = None, **extra: Any
) -> dict[str, Any]:
    """`{"success": false, "error": {code, type, message, request_id, details?, …extra}}`."""
    error: dict[str, Any] = {
        "code": status,
        "type": code,
        "message": message,
        "request_id": current_request_id.get(),
    }
    if details:
        error["details"] = details
    error.update(extra)
    return {"success": False, "error": error}


def error_body(exc: DomainError) -> dict[str, Any]:
    """The envelope of one error: what the exception handler, the middlewares and the items of
    a batch all answer with."""
    return envelope(exc.http_status, exc.code, exc.message, exc.details, **exc.extra)


# --- the platform's own refusals (lists, idempotency) -------------------------------------------


class InvalidPagination(InvalidInput):
    code = "invalid_pagination"


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
    message = "Invalid cursor"


class InvalidFilter(InvalidInput):
    code = "invalid_filter"


class InvalidSort(InvalidInput):
    code = "invalid_sort"


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"


class IdempotencyKeyMismatch(Conflict):
    code = "idempotency_key_mismatch"
    message = "Idempotency key payload mismatch"


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    message = "A request with this idempotency key is still in progress"

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"}, retry_after=1)
