"""Typed errors of the J1MSKY client: one class per kind of failure a caller may handle.

Every error the server answers becomes an `APIError` subclass chosen by HTTP status and, where
it matters, the envelope's `type` (semantics §2). Each carries what the envelope carried:
`status`, `type`, `message`, `request_id` (quote it to support), `details` and `retry_after`.
"""

from __future__ import annotations

from typing import Any


class J1mskyError(Exception):
    """The base of every error this client raises."""


class ConfigurationError(J1mskyError):
    """The client was built without something it needs (an API key, a usable base URL)."""


class APIConnectionError(J1mskyError):
    """The server could not be reached, or the connection broke before an answer arrived."""


class APITimeoutError(APIConnectionError):
    """The server did not answer within the client's request timeout."""


class APIError(J1mskyError):
    """The server answered with an error envelope (any 4xx or 5xx)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        type: str | None = None,
        request_id: str | None = None,
        details: Any = None,
        retry_after: float | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.request_id = request_id
        self.details = details
        self.retry_after = retry_after
        self.body = body
        self.headers = headers or {}

    @property
    def code(self) -> int:
        """The envelope's `code` (the HTTP status)."""
        return self.status

    def __str__(self) -> str:
        parts = [str(self.status)]
        if self.type:
            parts.append(self.type)
        if self.request_id:
            parts.append(f"request_id {self.request_id}")
        return f"{self.message} ({', '.join(parts)})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, type={self.type!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class ValidationError(APIError):
    """400: the request was malformed or a field is invalid; `details` names the fields."""


class AuthenticationError(APIError):
    """401: the API key is missing, unknown, expired or revoked, or the signature is wrong."""


class BudgetExceededError(APIError):
    """402: the day's budget (global or the key's own) cannot cover the request."""


class PermissionDeniedError(APIError):
    """403: the key lacks the scope, the IP is not allowed, or the key is suspended."""


class NotFoundError(APIError):
    """404: no such resource, or it belongs to another owner."""


class ConflictError(APIError):
    """409: the resource's state forbids the change, or an idempotency key was reused."""


class RateLimitError(APIError):
    """429: a request, provider or concurrency limit; `retry_after` says when to try again."""


class ServerError(APIError):
    """5xx: the server failed; the request may be retried."""


class ServiceUnavailableError(ServerError):
    """503: a dependency of the server is down; retry later."""


class AgentFailedError(J1mskyError):
    """An awaited agent ended `failed` or `cancelled`; `result` holds what it reported."""

    def __init__(self, result: Any) -> None:
        self.result = result
        error = result.error or {}
        reason = error.get("message") or error.get("type") or result.status
        super().__init__(f"agent {result.agent_id} ended {result.status}: {reason}")


class WaitTimeoutError(J1mskyError, TimeoutError):
    """An agent did not finish within the time a caller was willing to wait; it may still run."""

    def __init__(self, agent: Any, waited: float) -> None:
        self.agent = agent
        self.waited = waited
        super().__init__(
            f"agent {agent.agent_id} still {agent.status} after waiting {waited:.0f} s"
        )


_BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    402: BudgetExceededError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def error_class_for(status: int, error_type: str | None) -> type[APIError]:
    """The error class for an HTTP status and envelope `type`."""
    if error_type == "budget_exceeded":
        return BudgetExceededError
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return APIError


def error_from_response(
    status: int, body: Any, headers: dict[str, str], retry_after: float | None
) -> APIError:
    """Build the typed error for an error answer (the envelope, or any other body)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        error_type = error.get("type")
        message = error.get("message") or f"HTTP {status}"
        request_id = error.get("request_id")
        details = error.get("details")
        if retry_after is None and isinstance(error.get("retry_after"), (int, float)):
            retry_after = float(error["retry_after"])
    else:
        # The reference's flat form `{"success": false, "error": "…"}`, or no JSON at all.
        error_type, details = None, None
        message = error if isinstance(error, str) and error else f"HTTP {status}"
        request_id = None
    request_id = request_id or headers.get("x-request-id")
    cls = error_class_for(status, error_type)
    return cls(
        message,
        status=status,
        type=error_type,
        request_id=request_id,
        details=details,
        retry_after=retry_after,
        body=body,
        headers=headers,
    )
