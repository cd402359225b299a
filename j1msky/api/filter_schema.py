"""The OpenAPI description of a list's `sort`, `filter` and filter parameters, exactly as
`j1msky.api.filtering` validates them: a schema-driven client (or a fuzzer) that sends what the
schema allows gets an answer, and one that sends anything else gets a 400."""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django import forms

from j1msky.api.filter_fields import NUMBER_SIZE, DateTimeFilter
from j1msky.api.filtering import ListFilterSet, json_kind

# No NUL character anywhere (the NUL guard refuses one in any parameter).
NO_NUL = r"^[^\u0000]*$"
ITEM = r"[^,\u0000]+"


def _number() -> dict[str, Any]:
    low, high = float(NUMBER_SIZE[0]), float(NUMBER_SIZE[1])
    return {
        "anyOf": [
            {"type": "number", "enum": [0]},
            {"type": "number", "minimum": low, "maximum": high},
            {"type": "number", "minimum": -high, "maximum": -low},
        ],
        "description": "0, or a number whose size is between 1e-50 and 1e50.",
    }


def _choices(filter_: django_filters.Filter) -> list[str]:
    return [str(value) for value, _ in filter_.extra.get("choices", ())]


def _value(filter_: django_filters.Filter) -> dict[str, Any]:
    """The schema of one value of a filter (an item, for an `_in` filter)."""
    choices = _choices(filter_)
    if choices:
        return {"type": "string", "enum": choices}
    if isinstance(filter_, DateTimeFilter | django_filters.DateTimeFilter):
        return {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
            ],
            "description": "A date and time with its offset (RFC 3339), or a date (midnight UTC).",
        }
    if isinstance(filter_, django_filters.DateFilter):
        return {"type": "string", "format": "date"}
    if isinstance(filter_.field_class, type) and issubclass(
        filter_.field_class, forms.GenericIPAddressField
    ):
        return {"anyOf": [{"type": "string", "format": f} for f in ("ipv4", "ipv6")]}
    kind = json_kind(filter_)
    if kind == "number":
        return _number()
    if kind == "boolean":
        return {"type": "boolean"}
    return {"type": "string", "minLength": 1, "pattern": NO_NUL}


def _query_value(filter_: django_filters.Filter) -> dict[str, Any]:
    """The schema of a filter's query parameter."""
    if not isinstance(filter_, django_filters.BaseInFilter):
        return _value(filter_)
    choices = _choices(filter_)
    if choices:
        item = "|".join(re.escape(c) for c in choices)
        item = f"({item})"
    elif json_kind(filter_) == "number":
        item = r"-?(0|[1-9][0-9]{0,15})(\.[0-9]{1,15})?"
    else:
        item = ITEM
    return {
        "type": "string",
        "pattern": f"^{item}(,{item})*$",
        "description": "Comma-separated values (or the parameter repeated).",
    }


def _json_value(filter_: django_filters.Filter) -> dict[str, Any]:
    """The schema of a filter's value inside the `filter` object."""
    if not isinstance(filter_, django_filters.BaseInFilter):
        return _value(filter_)
    item = _value(filter_)
    if item.get("type") == "string" and "enum" not in item and "format" not in item:
        item = {**item, "pattern": ITEM.join(("^", "$"))}
    return {"type": "array", "items": item, "minItems": 1}


def filter_object(filterset_class: type[ListFilterSet]) -> dict[str, Any]:
    """`filter`: field → value, field → {operator: value}, or `field_op` → value."""
    filters = filterset_class.base_filters
    unavailable = filterset_class.unavailable_filters()
    properties: dict[str, Any] = {}
    for field, ops in filterset_class.operators().items():
        by_op = {}
        for op in ops:
            name = field if op == "eq" else f"{field}_{op}"
            if name in unavailable:
                continue
            by_op[op] = _json_value(filters[name])
            if op != "eq":
                properties[name] = by_op[op]
        if not by_op:
            continue
        operators = {
            "type": "object",
            "properties": by_op,
            "additionalProperties": False,
            "minProperties": 1,
        }
        properties[field] = {"anyOf": [by_op["eq"], operators]} if "eq" in by_op else operators
    return {"type": "object", "properties": properties, "additionalProperties": False}


def filter_parameters(filterset_class: type[ListFilterSet] | None) -> list[dict[str, Any]]:
    if filterset_class is None:
        return []
    names = "|".join(re.escape(name) for name in filterset_class.sort_fields())
    params = [
        {
            "name": "sort",
            "in": "query",
            "required": False,
            "description": "Comma-separated sort fields; prefix `-` for descending, `+` (or "
            "nothing) for ascending.",
            "schema": {"type": "string", "pattern": f"^[-+ ]?({names})(,[-+ ]?({names}))*$"},
        },
        {
            "name": "filter",
            "in": "query",
            "required": False,
            "description": 'A JSON object, e.g. `{"status":"running"}` or `{"cost":{"gt":0.5}}`: '
            "field → value, field → {operator: value}, or `field_operator` → value; a list "
            "for `in`. Values have the field's JSON type.",
            "content": {"application/json": {"schema": filter_object(filterset_class)}},
        },
    ]
    unavailable = filterset_class.unavailable_filters()
    for name, filter_ in filterset_class.base_filters.items():
        if name in unavailable:
            continue
        params.append(
            {"name": name, "in": "query", "required": False, "schema": _query_value(filter_)}
        )
    return params
