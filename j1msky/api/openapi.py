"""The project's OpenAPI schema class (DEFAULT_SCHEMA_CLASS), in a module of its own: the
schema views import the setting, so it must not import them.

The schema tells the truth about every operation: besides its success, each error status it
can answer (with the one envelope), the `Idempotency-Key` header on writes, and the headers every
response carries. What an operation can answer follows from what it is (public or not, a body
or not, a path parameter, a write) plus what its view declares (`error_statuses`, for refusals
of its own: 402 budget, 409 state, …).
"""

from __future__ import annotations

from django.db import DatabaseError
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from j1msky.api.permissions import PUBLIC, required_scope_for, serves

WRITES = ("POST", "PUT", "PATCH", "DELETE")

ERRORS = {
    400: "Bad input: a field, a query parameter, a header or the body (`details` names each).",
    401: "No key, or an unknown, expired, revoked or other environment's key.",
    402: "The day's (or the key's) budget cannot hold the worst-case cost.",
    403: "A scope, a privilege or an address refused (`insufficient_scope`, …).",
    404: "No such resource, or it belongs to another owner.",
    409: "A conflict with the resource's state, or an Idempotency-Key in use or reused.",
    410: "A v3 endpoint past its sunset: `successor` names the v4 call (J1MSKY_LEGACY_V3).",
    413: "The body is larger than J1MSKY_MAX_BODY_BYTES.",
    415: "The body's media type is not JSON, form or multipart.",
    429: "A rate limit: the key's, the address's, a provider's window; see Retry-After.",
    503: "A dependency (the database, the counter store) could not serve the request.",
}


URI_TOO_LONG = (
    "The request line (path and query) is longer than the web server takes (gunicorn: 4094 "
    "bytes, `--limit-request-line`). The web server answers it, in plain HTML, not the envelope."
)


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text="The HTTP status.")
    type = serializers.CharField(help_text="A stable machine name: `validation_error`, …")
    message = serializers.CharField(help_text="One human sentence.")
    request_id = serializers.CharField(help_text="Also in the X-Request-Id header.")
    details = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Per field (by path) for bad input; the numbers behind a refusal otherwise.",
    )
    retry_after = serializers.IntegerField(required=False, help_text="Seconds (with 429).")


class ErrorEnvelopeSerializer(serializers.Serializer):
    """Every 4xx/5xx answer (semantics §2)."""

    success = serializers.BooleanField(help_text="Always false.")
    error = ErrorBodySerializer()


RESPONSE_HEADERS = [
    OpenApiParameter(
        "X-Request-Id",
        str,
        OpenApiParameter.HEADER,
        response=True,
        required=True,
        description="The request's id (`req_…`, or the caller's safe X-Request-Id).",
    ),
    OpenApiParameter(
        "X-API-Version",
        str,
        OpenApiParameter.HEADER,
        response=True,
        required=True,
        description="4.0",
    ),
]

RATE_LIMIT_HEADERS = [
    OpenApiParameter(name, str, OpenApiParameter.HEADER, response=True, description=description)
    for name, description in (
        ("X-RateLimit-Limit", "Requests the key may make in this clock hour (this class)."),
        ("X-RateLimit-Remaining", "Requests left in the window."),
        ("X-RateLimit-Reset", "Unix seconds when the window resets."),
        ("RateLimit-Policy", "IETF form of the limit: `<limit>;w=3600`."),
        ("RateLimit", "IETF form: `limit=…, remaining=…, reset=<seconds>`."),
    )
]

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255},
    OpenApiParameter.HEADER,
    description="Up to 255 characters. The same key and payload within 24 h answers the first "
    "request's response again (`Idempotency-Replayed: true`) and does nothing twice; another "
    "payload is 409 `idempotency_key_mismatch`, a request still running 409 "
    "`idempotency_key_in_use`.",
)


class AutoSchema(SpectacularAutoSchema):
    def get_description(self) -> str:
        """What the operation's own view or handler says, never a docstring inherited from a
        base class written for the code's readers."""
        name = getattr(self.view, "action", None) or self.method.lower()
        handler = getattr(self.view, name, None)
        own = self.view.__class__.__dict__.get("__doc__")
        return get_doc(handler) or (get_doc(self.view.__class__) if own else "")

    def map_parsers(self):
        """Bodies are documented as JSON. Form and multipart bodies are accepted too (semantics
        §1), with an array or object field carried as JSON text, which a schema cannot say."""
        return ["application/json"]

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # `allow_empty=False` is checked like `min_length=1`; say so.
        closed = isinstance(field, serializers.ListField) and not field.allow_empty
        if closed and schema.get("type") == "array" and "minItems" not in schema:
            schema["minItems"] = 1
        return schema

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        # A body that names what it does not know is refused (`refuses_unknown_fields`).
        if direction == "request" and getattr(serializer, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False
        return schema

    def _public(self) -> bool:
        return required_scope_for(self.view, self.method) == PUBLIC

    def get_override_parameters(self):
        parameters = [*super().get_override_parameters(), *RESPONSE_HEADERS]
        if not self._public():
            parameters += RATE_LIMIT_HEADERS
            if self.method in WRITES and serves(self.view, self.method):
                parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def error_statuses(self) -> set[int]:
        """Every error status this operation can answer."""
        statuses = {400, 403, 429, 503}  # NUL guard, address guards, the database
        if not self._public():
            statuses.add(401)
            if self.method in WRITES:
                statuses.add(409)  # Idempotency-Key
        if self.method in WRITES:
            statuses |= {413, 415}
        if "{" in self.path:
            statuses.add(404)
        declared = getattr(self.view, "error_statuses", ())
        if isinstance(declared, dict):
            action = getattr(self.view, "action", None)
            declared = declared.get(action, declared.get(self.method, ()))
        return statuses | set(declared)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in sorted(self.error_statuses()):
            if str(status) not in responses:
                error = OpenApiResponse(ErrorEnvelopeSerializer, description=ERRORS[status])
                responses[str(status)] = self._get_response_for_code(
                    error, str(status), direction=direction
                )
        return responses

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation and any(p.get("in") == "query" for p in operation.get("parameters", ())):
            operation["responses"]["414"] = {"description": URI_TOO_LONG}
        return operation


class CataloguedField(OpenApiSerializerFieldExtension):
    """A catalogue field is a string enum of the entries it takes when the schema is served."""

    target_class = "j1msky.api.fields.Catalogued"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = {"type": "string"}
        try:
            schema["enum"] = list(self.target.catalogue())
        except DatabaseError:  # no database (a schema built offline): any name
            schema["minLength"] = 1
        return schema
