"""One filter backend for every list (semantics §5): plain parameters, `filter` JSON and `sort`.

A list view names a `filterset_class` built on `ListFilterSet`. Its `Meta.ops` maps each
declared field to the operators it allows, in our vocabulary (`eq ne gt gte lt lte in contains
starts_with ends_with`); `Meta.sort_fields` maps public sort names to model fields. Filters are
named `field` (eq) and `field_op` (others), so `?cost_gt=1` and `filter={"cost":{"gt":1}}` mean
the same. django-filter does the parsing and the query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from rest_framework.filters import BaseFilterBackend

from j1msky.api.parsers import BadText, json_loads
from j1msky.errors import InvalidFilter, InvalidSort

OPERATORS: dict[str, tuple[str, bool]] = {
    # our operator -> (django lookup, exclude)
    "eq": ("exact", False),
    "ne": ("exact", True),
    "gt": ("gt", False),
    "gte": ("gte", False),
    "lt": ("lt", False),
    "lte": ("lte", False),
    "in": ("in", False),
    "contains": ("icontains", False),
    "starts_with": ("istartswith", False),
    "ends_with": ("iendswith", False),
}

# Query parameters that belong to pagination, sorting or the filter envelope itself.
RESERVED_PARAMS = frozenset({"limit", "offset", "cursor", "sort", "filter", "format"})


class UtcDateTimeField(forms.DateTimeField):
    """A date and time as UTC; one that UTC cannot hold (before year 1 or after 9999 once the
    offset is applied, e.g. `9999-12-31T23:59:59-05:00`) is invalid, not a database error."""

    default_error_messages = {
        "out_of_range": "Date and time out of range: must fall between years 1 and 9999 in UTC"
    }

    def to_python(self, value):
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from None


class DateTimeFilter(django_filters.DateTimeFilter):
    """The datetime filter for every list (`created_after`, `created_at_gt`, …)."""

    field_class = UtcDateTimeField


class BoundedDecimalField(forms.DecimalField):
    """A number every backend can compare a column with: PostgreSQL's numeric refuses one whose
    exponent is far out of range (`1e-99999`), so anything beyond ±50 orders of magnitude is a
    400 rather than a database error."""

    default_error_messages = {"out_of_range": "Enter a number between 1e-50 and 1e50 in size."}

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and value != 0 and not -50 <= value.adjusted() <= 50:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return value


class NumberFilter(django_filters.NumberFilter):
    field_class = BoundedDecimalField


class _CharInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    pass


class _ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    pass


class _NumberInFilter(django_filters.BaseInFilter, NumberFilter):
    pass


def _filter_for(model_field: models.Field, field_name: str, op: str) -> django_filters.Filter:
    lookup, exclude = OPERATORS[op]
    kwargs = {"field_name": field_name, "lookup_expr": lookup, "exclude": exclude}
    numeric = isinstance(model_field, models.DecimalField | models.IntegerField | models.FloatField)
    if model_field.choices and op in ("eq", "ne", "in"):
        # A value the field can never hold is a mistake, not an empty list.
        kwargs["choices"] = model_field.choices
        return (_ChoiceInFilter if op == "in" else django_filters.ChoiceFilter)(**kwargs)
    if op == "in":
        return (_NumberInFilter if numeric else _CharInFilter)(**kwargs)
    if op in ("contains", "starts_with", "ends_with"):
        return django_filters.CharFilter(**kwargs)
    if isinstance(model_field, models.DateTimeField):
        return DateTimeFilter(**kwargs)
    if isinstance(model_field, models.DateField):
        return django_filters.DateFilter(**kwargs)
    if numeric:
        return NumberFilter(**kwargs)
    if isinstance(model_field, models.BooleanField):
        return django_filters.BooleanFilter(**kwargs)
    return django_filters.CharFilter(**kwargs)


class ListFilterSet(django_filters.FilterSet):
    """Base for list filtersets. Subclasses set `Meta.model`, `Meta.fields = []`, `Meta.ops` and
    `Meta.sort_fields`.

    `Meta.ops` maps a public field name to its operators; a public name may differ from the
    model field through `Meta.field_map` (e.g. `{"cost": "actual_cost"}`). Filters declared on
    the class (such as `created_after`) are plain named filters.
    """

    default_sort: ClassVar[str] = "-created_at"

    @classmethod
    def get_filters(cls):
        filters = super().get_filters()
        meta = getattr(cls, "Meta", None)
        declared = getattr(meta, "ops", None) or {}
        field_map = getattr(meta, "field_map", {})
        model = getattr(meta, "model", None)
        for public, ops in declared.items():
            model_field_name = field_map.get(public, public)
            model_field = model._meta.get_field(model_field_name.split("__")[0])
            if model_field.is_relation:
                model_field = model_field.target_field
            for op in ops:
                name = public if op == "eq" else f"{public}_{op}"
                if name not in filters:
                    filters[name] = _filter_for(model_field, model_field_name, op)
        return filters

    @classmethod
    def operators(cls) -> dict[str, list[str]]:
        """Public field -> allowed operators, including extra filters declared on the class."""
        meta = getattr(cls, "Meta", None)
        ops = {k: list(v) for k, v in (getattr(meta, "ops", None) or {}).items()}
        for name in cls.declared_filters:
            ops.setdefault(name, ["eq"])
        return ops

    @classmethod
    def sort_fields(cls) -> dict[str, str]:
        return getattr(getattr(cls, "Meta", None), "sort_fields", {"created_at": "created_at"})


def _as_param(value: Any, field: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise InvalidFilter(
        f"Filter value for '{field}' must be a string, number or boolean",
        details={"filter": [f"Bad value for {field}"]},
    )


def _unknown_filter(key: str, operators: dict[str, list[str]]) -> InvalidFilter:
    """A parameter that is no filter; when it names a field that only takes operators
    (`task`), say which parameters it does take."""
    ops = operators.get(key)
    if ops:
        names = ", ".join(f"{key}_{op}" for op in ops if op != "eq")
        return InvalidFilter(
            f"'{key}' takes an operator: use {names}",
            details={key: [f"Use {names}"]},
        )
    return InvalidFilter(
        f"Unknown filter '{key}'. Allowed: {_allowed_text(operators)}",
        details={key: ["Unknown filter"]},
    )


def _allowed_text(operators: dict[str, list[str]]) -> str:
    return "; ".join(f"{f} ({', '.join(ops)})" for f, ops in operators.items()) or "none"


class ListFilterBackend(BaseFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is None:
            return queryset
        data = self.filter_data(request, view, filterset_class)
        filterset = filterset_class(data=data, queryset=queryset, request=request)
        if not filterset.is_valid():
            errors = {k: [str(e) for e in v] for k, v in filterset.errors.items()}
            field, messages = next(iter(errors.items()))
            raise InvalidFilter(
                f"Invalid filter value for '{field}': {messages[0]}",
                details=errors,
            )
        ordering = self.ordering(request, filterset_class, view)
        request._list_ordering = ordering
        return filterset.qs.order_by(*ordering)

    @staticmethod
    def filter_data(request, view, filterset_class) -> dict[str, str]:
        operators = filterset_class.operators()
        names = set(filterset_class.base_filters)
        extra = set(getattr(view, "extra_query_params", ()))
        data: dict[str, str] = {}
        for key in request.query_params:
            if key in RESERVED_PARAMS or key in extra:
                continue
            if key not in names:
                raise _unknown_filter(key, operators)
            values = request.query_params.getlist(key)
            data[key] = ",".join(values) if key.endswith("_in") else values[-1]

        raw = request.query_params.get("filter")
        if raw is None:
            return data
        try:
            parsed = json_loads(raw)
        except BadText as exc:
            raise InvalidFilter(
                f"Invalid filter: {exc}",
                details={"filter": [str(exc)]},
            ) from None
        except ValueError:
            raise InvalidFilter(
                "The filter parameter must be a JSON object",
                details={"filter": ["Not valid JSON"]},
            ) from None
        if not isinstance(parsed, dict):
            raise InvalidFilter(
                "The filter parameter must be a JSON object",
                details={"filter": ["Not a JSON object"]},
            )
        for key, value in parsed.items():
            if isinstance(value, dict):
                if key not in operators:
                    raise InvalidFilter(
                        f"Unknown filter field '{key}'. Allowed: {_allowed_text(operators)}",
                        details={"filter": [f"Unknown field: {key}"]},
                    )
                for op, operand in value.items():
                    if op not in operators[key]:
                        raise InvalidFilter(
                            f"Operator '{op}' is not allowed on '{key}'. "
                            f"Allowed: {', '.join(operators[key])}",
                            details={"filter": [f"Unknown operator for {key}: {op}"]},
                        )
                    name = key if op == "eq" else f"{key}_{op}"
                    data[name] = _encode(operand, name)
            elif key in names:
                data[key] = _encode(value, key)
            else:
                raise InvalidFilter(
                    f"Unknown filter field '{key}'. Allowed: {_allowed_text(operators)}",
                    details={"filter": [f"Unknown field: {key}"]},
                )
        return data

    @staticmethod
    def ordering(request, filterset_class, view) -> list[str]:
        sort_fields = filterset_class.sort_fields()
        raw = request.query_params.get("sort") or getattr(
            view, "default_sort", filterset_class.default_sort
        )
        ordering: list[str] = []
        for part in (p.strip() for p in raw.split(",")):
            if not part:
                continue
            desc = part.startswith("-")
            name = part.lstrip("-+")
            if name not in sort_fields:
                raise InvalidSort(
                    f"Unknown sort field '{name}'. Allowed: {', '.join(sort_fields)}",
                    details={"sort": [f"Unknown field: {name}"]},
                )
            ordering.append(("-" if desc else "") + sort_fields[name])
        if not ordering:
            raise InvalidSort("sort names no field")
        # A unique tie-breaker makes every order total, which keyset cursors need.
        pk_name = filterset_class._meta.model._meta.pk.name
        if ordering[-1].lstrip("-") not in ("pk", pk_name):
            ordering.append("-pk" if ordering[-1].startswith("-") else "pk")
        return ordering

    def get_schema_operation_parameters(self, view):
        filterset_class = getattr(view, "filterset_class", None)
        params = [
            {
                "name": "sort",
                "in": "query",
                "required": False,
                "description": "Comma-separated sort fields; prefix `-` for descending.",
                "schema": {"type": "string"},
            },
            {
                "name": "filter",
                "in": "query",
                "required": False,
                "description": 'JSON filter object, e.g. `{"status":"running"}` or '
                '`{"cost":{"gt":0.5}}`.',
                "schema": {"type": "string"},
            },
        ]
        if filterset_class is not None:
            for name in filterset_class.base_filters:
                params.append(
                    {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                )
        return params


def _encode(value: Any, name: str) -> str:
    if isinstance(value, list):
        if not name.endswith("_in"):
            raise InvalidFilter(
                f"Only the 'in' operator takes a list ({name})",
                details={"filter": [f"Bad value for {name}"]},
            )
        return ",".join(_as_param(v, name) for v in value)
    return _as_param(value, name)
