"""Every exception as the one error envelope: DRF's exception handler and Django's error views.

Views raise; they never return an error response. `as_domain_error` maps what DRF and Django
raise onto `j1msky.errors`, so there is one way to render an error (`error_body`).
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

from j1msky.errors import (
    AuthenticationFailed,
    BadRequest,
    DomainError,
    Forbidden,
    InternalError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    error_body,
)

logger = logging.getLogger(__name__)


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


def _is_messages(value: Any) -> bool:
    return isinstance(value, list) and all(not isinstance(v, dict | list) for v in value)


def _flatten(detail: Any, path: str, into: dict[str, list]) -> None:
    """Nested field errors as one flat map keyed by path: `scopes[0]`, `scenarios[2].model`."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = str(key)
            step = f"[{key}]" if key.isdigit() else (f".{key}" if path else key)
            _flatten(value, path + step, into)
    elif _is_messages(detail):
        into[path or "non_field_errors"] = list(detail)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                _flatten(value, f"{path}[{index}]", into)
    else:
        into[path or "non_field_errors"] = [detail]


def _validation_details(detail: Any) -> dict[str, Any]:
    """One notation for every field path (semantics §2: `details` names each field)."""
    flat: dict[str, list] = {}
    _flatten(detail, "", flat)
    return flat


_API_EXCEPTION_TYPES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.ParseError, "parse_error"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
]


def _from_api_exception(exc: exceptions.APIException) -> DomainError:
    if isinstance(exc, exceptions.ValidationError):
        return InvalidInput(
            _first_message(exc.detail) or "Invalid input",
            details=_validation_details(exc.detail),
        )
    message = _first_message(exc.detail) or "Error"
    if isinstance(exc, exceptions.Throttled):
        return TooManyRequests(retry_after=int(exc.wait or 1))
    if isinstance(exc, exceptions.AuthenticationFailed):
        return AuthenticationFailed(message)
    if isinstance(exc, exceptions.NotAuthenticated):
        return NotAuthenticated(message)
    code = next((name for cls, name in _API_EXCEPTION_TYPES if isinstance(exc, cls)), "api_error")
    return DomainError(message, code=code, http_status=exc.status_code)


def as_domain_error(exc: Exception) -> DomainError:
    """What any exception means to a client. Unexpected ones are logged and become a 503
    (the database could not serve the request) or a 500 (a bug), never a traceback."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, exceptions.APIException):
        return _from_api_exception(exc)
    if isinstance(exc, Http404):
        return NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return Forbidden()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return BadRequest()
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
        return ServiceUnavailable()
    logger.exception("unhandled error")
    return InternalError()


def render_error(exc: Exception) -> Response:
    error = as_domain_error(exc)
    return Response(error_body(error), status=error.http_status, headers=error.headers)


def error_response(exc: DomainError) -> JsonResponse:
    """The envelope outside DRF (middlewares, Django's error views)."""
    response = JsonResponse(
        error_body(exc), status=exc.http_status, json_dumps_params={"separators": (",", ":")}
    )
    for name, value in exc.headers.items():
        response[name] = value
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception becomes the envelope, never a 500 page."""
    return render_error(exc)


# --- Django's own error views (urls.handler400/403/404/500) -------------------------------------


def bad_request(request, exception=None):
    return error_response(BadRequest())


def permission_denied(request, exception=None):
    return error_response(Forbidden())


def page_not_found(request, exception=None):
    return error_response(NotFound())


def server_error(request):
    return error_response(InternalError())


def csrf_failure(request, reason=""):
    return error_response(Forbidden("CSRF verification failed", code="csrf_failed"))
