"""The one error envelope (semantics §2) and the exception handler that renders it.

Views raise; they never return an error response. Domain errors subclass `DomainError`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

from j1msky.logging import current_request_id

logger = logging.getLogger(__name__)


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


class NotFound(DomainError):
    http_status = 404
    code = "not_found"
    message = "Not found"


class Conflict(DomainError):
    http_status = 409
    code = "conflict"
    message = "Conflict"


class Forbidden(DomainError):
    http_status = 403
    code = "forbidden"
    message = "Forbidden"


class ServiceUnavailable(DomainError):
    http_status = 503
    code = "service_unavailable"
    message = "A dependency is unavailable"


class TooManyRequests(DomainError):
    http_status = 429
    code = "rate_limited"
    message = "Rate limit exceeded"

    def __init__(self, message: str | None = None, *, retry_after: int, **kwargs: Any) -> None:
        retry_after = max(int(retry_after), 1)
        headers = {"Retry-After": str(retry_after), **kwargs.pop("headers", {})}
        super().__init__(message, retry_after=retry_after, headers=headers, **kwargs)


def envelope(
    status: int, code: str, message: str, details: Any = None, **extra: Any
) -> dict[str, Any]:
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


def _first_message(detail: Any) -> str | None:
    if isinstance(detail, dict):
        for value in detail.values():
            found = _first_message(value)
            if found:
                return found
        return None
    if isinstance(detail, list):
        for value in detail:
            found = _first_message(value)
            if found:
                return found
        return None
    return str(detail) if detail is not None else None


def _validation_details(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {str(k): v for k, v in detail.items()}
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


_API_EXCEPTION_TYPES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.ValidationError, "validation_error"),
    (exceptions.ParseError, "parse_error"),
    (exceptions.AuthenticationFailed, "authentication_failed"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "rate_limited"),
]


def _render_api_exception(exc: exceptions.APIException) -> Response:
    code = getattr(exc, "error_type", None) or next(
        (name for cls, name in _API_EXCEPTION_TYPES if isinstance(exc, cls)), "api_error"
    )
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        details = _validation_details(exc.detail)
        message = _first_message(exc.detail) or "Invalid input"
    else:
        details = None
        message = _first_message(exc.detail) or "Error"
    if isinstance(exc, exceptions.Throttled):
        retry_after = max(int(exc.wait or 1), 1)
        headers["Retry-After"] = str(retry_after)
        extra["retry_after"] = retry_after
        message = "Rate limit exceeded"
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return Response(
        envelope(exc.status_code, code, message, details, **extra),
        status=exc.status_code,
        headers=headers,
    )


def render_domain_error(exc: DomainError) -> Response:
    return Response(
        envelope(exc.http_status, exc.code, exc.message, exc.details, **exc.extra),
        status=exc.http_status,
        headers=exc.headers,
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception becomes the envelope, never a 500 page."""
    if isinstance(exc, DomainError):
        return render_domain_error(exc)
    if isinstance(exc, Http404):
        return render_domain_error(NotFound())
    if isinstance(exc, DjangoPermissionDenied):
        return render_domain_error(Forbidden())
    if isinstance(exc, RequestDataTooBig):
        return render_domain_error(
            DomainError("Request body too large", code="payload_too_large", http_status=413)
        )
    if isinstance(exc, SuspiciousOperation):
        return render_domain_error(InvalidInput("Bad request", code="bad_request"))
    if isinstance(exc, exceptions.APIException):
        return _render_api_exception(exc)
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
        return render_domain_error(
            DomainError("A dependency is unavailable", code="service_unavailable", http_status=503)
        )
    logger.exception("unhandled error")
    return render_domain_error(
        DomainError("Internal server error", code="internal_error", http_status=500)
    )


# --- Django's own error views (urls.handler400/403/404/500) -------------------------------------


def _json(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        envelope(status, code, message),
        status=status,
        json_dumps_params={"separators": (",", ":")},
    )


def bad_request(request, exception=None):
    return _json(400, "bad_request", "Bad request")


def permission_denied(request, exception=None):
    return _json(403, "forbidden", "Forbidden")


def page_not_found(request, exception=None):
    return _json(404, "not_found", "Not found")


def server_error(request):
    return _json(500, "internal_error", "Internal server error")


def csrf_failure(request, reason=""):
    return _json(403, "csrf_failed", "CSRF verification failed")
