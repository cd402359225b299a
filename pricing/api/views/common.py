"""What the pricing views share: scopes, path parameters and reading a request body."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from pricing.api.serializers.requests import RequestSerializer, error_paths
from pricing.errors import engine_errors

READ = "billing:read"
WRITE = "billing:write"
TAGS = ["pricing"]

QUOTE_ID = OpenApiParameter("quote_id", str, OpenApiParameter.PATH, description="`quote_…`")
DECISION_ID = OpenApiParameter(
    "decision_id", str, OpenApiParameter.PATH, description="`decision_…`"
)
EXCEPTION_ID = OpenApiParameter(
    "exception_id", str, OpenApiParameter.PATH, description="`exception_…`"
)
REPORT_DATE = OpenApiParameter(
    "date",
    {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    OpenApiParameter.PATH,
    description="Budget day, YYYY-MM-DD (J1MSKY_TIMEZONE).",
)


def request_input(serializer_class: type[RequestSerializer], request) -> Any:
    """The body checked by `serializer_class`, as its `input()`. Bad values are a 400
    `validation_error` whose `details` name each by path (`scenarios[2].model`)."""
    serializer = serializer_class(data=request.data)
    if not serializer.is_valid():
        raise ValidationError(error_paths(serializer.errors))
    with engine_errors():
        return serializer.input()
