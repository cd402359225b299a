"""Request ids, API version headers, the NUL guard and the body-size guard."""

import re
import secrets

from django.conf import settings

from j1msky.api.errors import error_response
from j1msky.errors import BadRequest, InvalidInput, NotFound, PayloadTooLarge
from j1msky.logging import current_request_id

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def new_request_id() -> str:
    return "req_" + secrets.token_hex(8)


class RequestIdMiddleware:
    """Echo a safe incoming X-Request-Id or make one; stamp it and X-API-Version on every reply."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else new_request_id()
        request.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-Id"] = request_id
        response["X-API-Version"] = settings.J1MSKY_API_VERSION
        for name, value in getattr(request, "_extra_response_headers", {}).items():
            response.setdefault(name, value)
        return response


def _header_name(meta_key: str) -> str:
    name = meta_key.removeprefix("HTTP_")
    return "-".join(part.capitalize() for part in name.split("_")).replace("\x00", "\\x00")


class NulGuardMiddleware:
    """Refuse a NUL character in the path (404: no resource is named with one), in a query
    parameter (400 naming it) or in a header (400). Nothing may hold a NUL, and PostgreSQL
    refuses it in text, so it never reaches a lookup, a filter or a stored field."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return error_response(NotFound())
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                name = key.replace("\x00", "\\x00")
                message = f"Query parameter '{name}' must not contain NUL characters"
                details = {name: ["Must not contain NUL characters"]}
                return error_response(InvalidInput(message, details=details))
        for key, value in request.META.items():
            if not (key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")):
                continue
            if "\x00" in key or (isinstance(value, str) and "\x00" in value):
                message = f"Header '{_header_name(key)}' must not contain NUL characters"
                return error_response(BadRequest(message))
        return self.get_response(request)


class BodySizeMiddleware:
    """Refuse a declared body over J1MSKY_MAX_BODY_BYTES with 413 before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(BadRequest("Invalid Content-Length header"))
        if length > settings.J1MSKY_MAX_BODY_BYTES:
            return error_response(PayloadTooLarge())
        return self.get_response(request)
