"""One filter backend for every list (semantics §5): plain parameters, `filter` JSON and `sort`.

A list view names a `filterset_class` built on `ListFilterSet`. Its `Meta.ops` maps each
declared field to the operators it allows, in our vocabulary (`eq ne gt gte lt lte in contains
starts_with ends_with`); `Meta.sort_fields` maps public sort names to model fields. Filters are
named `field` (eq) and `field_op` (others), so `?cost_gt=1` and `filter={"cost":{"gt":1}}` mean
the same. django-filter does the parsing and the query.
"""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.core.exceptions import ValidationError
from django.db import models
from rest_framework.filters import BaseFilterBackend

from j1msky.api.filter_fields import (
    BooleanFilter,
    DateFilter,
    DateTimeFilter,
    NumberFilter,
)
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
        return DateFilter(**kwargs)
    if numeric:
        return NumberFilter(**kwargs)
    if isinstance(model_field, models.BooleanField):
        return BooleanFilter(**kwargs)
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
    def unavailable_filters(cls) -> frozenset[str]:
        """Filters the list refuses as things stand (the schema leaves them out)."""
        return frozenset()

    @classmethod
    def sort_fields(cls) -> dict[str, str]:
        return getattr(getattr(cls, "Meta", None), "sort_fields", {"created_at": "created_at"})


def json_kind(filter_: django_filters.Filter) -> str:
    """The JSON type a filter's value takes inside `filter`."""
    if isinstance(filter_, django_filters.BooleanFilter):
        return "boolean"
    if isinstance(filter_, django_filters.NumberFilter):
        return "number"
    return "string"


KIND_TEXT = {"string": "a non-empty string", "number": "a number", "boolean": "true or false"}


def _as_param(value: Any, name: str, filter_: django_filters.Filter) -> str:
    """One JSON filter value as the query parameter text, if it has the filter's JSON type."""
    kind = json_kind(filter_)
    if kind == "boolean" and isinstance(value, bool):
        return "true" if value else "false"
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if kind == "string" and isinstance(value, str) and value:
        return value
    raise InvalidFilter(
        f"Filter value for '{name}' must be {KIND_TEXT[kind]}",
        details={"filter": [f"Bad value for {name}"]},
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
            if key.endswith("_in"):
                values = [",".join(values)]
            for value in values:
                if "" in (value.split(",") if key.endswith("_in") else [value]):
                    raise InvalidFilter(
                        f"Filter '{key}' must not be empty", details={key: ["Must not be empty"]}
                    )
                _put(data, key, value, filterset_class.base_filters[key])

        raw = request.query_params.get("filter")
        if raw is not None:
            for name, value in _filter_object_data(raw, filterset_class).items():
                _put(data, name, value, filterset_class.base_filters[name])
        return data

    @staticmethod
    def ordering(request, filterset_class, view) -> list[str]:
        sort_fields = filterset_class.sort_fields()
        raw = request.query_params.get("sort")
        if raw is None:
            raw = getattr(view, "default_sort", filterset_class.default_sort)
        ordering: list[str] = []
        for part in raw.split(","):
            # `+name` arrives as ` name` when the `+` was not escaped: both mean ascending.
            direction, name = (part[0], part[1:]) if part[:1] in ("-", "+", " ") else ("", part)
            if name not in sort_fields:
                message = f"Unknown sort field '{name}'" if name else "Empty sort field"
                raise InvalidSort(
                    f"{message}. Allowed: {', '.join(sort_fields)}",
                    details={"sort": [f"Unknown field: {name}" if name else "Empty field"]},
                )
            ordering.append(("-" if direction == "-" else "") + sort_fields[name])
        # A unique tie-breaker makes every order total, which keyset cursors need.
        pk_name = filterset_class._meta.model._meta.pk.name
        if ordering[-1].lstrip("-") not in ("pk", pk_name):
            ordering.append("-pk" if ordering[-1].startswith("-") else "pk")
        return ordering

    def get_schema_operation_parameters(self, view):
        from j1msky.api.filter_schema import filter_parameters

        return filter_parameters(getattr(view, "filterset_class", None))


def _encode(value: Any, name: str, filter_: django_filters.Filter) -> str:
    if not name.endswith("_in"):
        return _as_param(value, name, filter_)
    if not isinstance(value, list) or not value:
        raise InvalidFilter(
            f"Filter value for '{name}' must be a non-empty list",
            details={"filter": [f"Bad value for {name}"]},
        )
    items = [_as_param(item, name, filter_) for item in value]
    if any("," in item for item in items):
        raise InvalidFilter(
            f"Filter values for '{name}' must not contain commas",
            details={"filter": [f"Bad value for {name}"]},
        )
    return ",".join(items)


def _filter_object_data(raw: str, filterset_class) -> dict[str, str]:
    """The `filter` JSON object as filter parameters (`{"cost":{"gt":1}}` → `cost_gt=1`)."""
    operators = filterset_class.operators()
    filters = filterset_class.base_filters
    data: dict[str, str] = {}
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
            if not value:
                raise InvalidFilter(
                    f"Filter '{key}' names no operator",
                    details={"filter": [f"No operator for {key}"]},
                )
            for op, operand in value.items():
                if op not in operators[key]:
                    raise InvalidFilter(
                        f"Operator '{op}' is not allowed on '{key}'. "
                        f"Allowed: {', '.join(operators[key])}",
                        details={"filter": [f"Unknown operator for {key}: {op}"]},
                    )
                name = key if op == "eq" else f"{key}_{op}"
                _put(data, name, _encode(operand, name, filters[name]), filters[name])
        elif key in filters:
            _put(data, key, _encode(value, key, filters[key]), filters[key])
        else:
            raise InvalidFilter(
                f"Unknown filter field '{key}'. Allowed: {_allowed_text(operators)}",
                details={"filter": [f"Unknown field: {key}"]},
            )
    return data


def _put(data: dict[str, str], name: str, value: str, filter_: django_filters.Filter) -> None:
    """Set a filter's value. The same filter given twice (a repeated parameter, a parameter and
    `filter`, `cost_gt` and `cost: {gt}`) takes the last value, and the one it displaces must be
    valid all the same."""
    if name in data:
        displaced = data[name]
        if isinstance(filter_, django_filters.BaseCSVFilter):
            displaced = displaced.split(",")  # what the filter's widget hands its field
        try:
            filter_.field.clean(displaced)
        except ValidationError as exc:
            raise InvalidFilter(
                f"Invalid filter value for '{name}': {exc.messages[0]}",
                details={name: exc.messages},
            ) from None
    data[name] = value
