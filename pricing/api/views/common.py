"""What the pricing views share: scopes, path parameters and body helpers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter

from j1msky.errors import InvalidInput
from pricing import engine
from pricing.selectors import pricing_policy_current

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
    "date", str, OpenApiParameter.PATH, description="Budget day, YYYY-MM-DD (J1MSKY_TIMEZONE)."
)

QUOTE_FIELDS = (
    "model",
    "estimated_input",
    "estimated_output",
    "estimated_tokens",
    "complexity",
    "segment",
    "delivery_type",
)


def request_body(serializer_class, request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def given_fields(data: dict[str, Any], names) -> dict[str, Any]:
    """The named fields the body gave (blank and null are not given)."""
    return {name: data[name] for name in names if data.get(name) is not None}


def required_model(data: dict[str, Any]) -> Any:
    if data.get("model") is None:
        raise InvalidInput("model is required", details={"model": ["model is required"]})
    return data["model"]


def policy_in_force() -> engine.Policy:
    return pricing_policy_current().to_engine()
