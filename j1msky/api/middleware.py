"""Request ids, API version headers, the NUL guard and the body-size guard."""

import io
import re
import secrets

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream

from j1msky.api.errors import error_response
from j1msky.api.parsers import utf8_form
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


def _raw(environ_text: str) -> bytes:
    """A WSGI environ string as the bytes that came in (PEP 3333: decoded as latin-1)."""
    try:
        return environ_text.encode("latin-1")
    except UnicodeEncodeError:  # not from a server (a test client): already text
        return environ_text.encode("utf-8")


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
        if not utf8_form(_raw(request.META.get("QUERY_STRING", ""))):
            return error_response(BadRequest("The query string is not UTF-8 once unescaped"))
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


# A refused body up to this size is read and dropped before the 413 goes out: most clients send
# the whole body before they read an answer, and would otherwise see a reset connection.
DRAIN_LIMIT = 16 * 1024 * 1024


class BodySizeMiddleware:
    """Refuse a body over J1MSKY_MAX_BODY_BYTES with 413; nothing parses it. A chunked body
    (no Content-Length) is read here, up to the limit, so that it is parsed like any other
    instead of being taken for an empty one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(BadRequest("Invalid Content-Length header"))
        limit = settings.J1MSKY_MAX_BODY_BYTES
        stream = request.META.get("wsgi.input")
        left = length  # what a refused body still holds
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and not length:
            body = stream.read(limit + 1) if stream is not None else b""
            length, left = len(body), DRAIN_LIMIT  # the rest of a chunked body: unknown
            if length <= limit:
                request.META["CONTENT_LENGTH"] = str(length)
                request._stream = LimitedStream(io.BytesIO(body), length)
        if length > limit:
            if left <= DRAIN_LIMIT:
                _drain(stream, left)
            return error_response(PayloadTooLarge())
        response = self.get_response(request)
        if not getattr(request, "_read_started", False):
            # A body no view read (a 404, a 401) is read and dropped: gunicorn closes a
            # connection whose body is left unread while its answer says keep-alive, and the
            # client's next request on it fails.
            while request.read(65536):
                pass
        return response


def _drain(stream, most: int) -> None:
    """Read and drop what is left of a refused body, at most `most` bytes."""
    while stream is not None and most > 0:
        chunk = stream.read(min(most, 65536))
        if not chunk:
            return
        most -= len(chunk)
