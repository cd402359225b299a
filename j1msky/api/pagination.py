"""One paginator for every list (semantics §5): limit/offset with links, or signed keyset cursors.

Offset pages count the filtered set; cursor pages never count and seek straight to the next row
through the sort order (plus the primary key as tie-breaker), so the last page of a long list
costs what the first one costs. A list is in cursor mode when the request has a `cursor`
parameter (empty for the first page) or the view sets `cursor_only`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.db.models import Q
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from j1msky.errors import InvalidCursor, InvalidPagination

CURSOR_SALT = "j1msky.api.cursor"


def _int_param(request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    # Digits only: not `+5`, ` 5`, `5_000` or other scripts' digits, which int() would take.
    value = int(raw) if re.fullmatch(r"-?[0-9]{1,30}", raw) else None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        raise InvalidPagination(
            f"{name} must be an integer {bounds}",
            details={name: [f"Must be an integer {bounds}"]},
        )
    return value


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _resolve(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


class ListPagination(BasePagination):
    default_limit = 20
    max_limit = 100
    # Far past any list's end, and far inside what the databases take for OFFSET (2^63 - 1).
    max_offset = 10**9
    # The filtered set's size when the view already knows it (counted with its aggregates).
    known_total: int | None = None

    @staticmethod
    def cursor_requested(request, view=None) -> bool:
        """Whether this request pages by cursor (and so never counts the list)."""
        return "cursor" in request.query_params or getattr(view, "cursor_only", False)

    # --- paging -----------------------------------------------------------------------------

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.limit = _int_param(request, "limit", self.default_limit, 1, self.max_limit)
        if getattr(view, "cursor_only", False) and "offset" in request.query_params:
            raise InvalidPagination(
                "This list pages by cursor only: send cursor (empty for the first page)",
                details={"offset": ["Not used by this list; use cursor"]},
            )
        # Checked in both modes (a cursor page ignores it): what the schema refuses is refused.
        offset = _int_param(request, "offset", 0, 0, self.max_offset)
        if self.cursor_requested(request, view):
            self.mode = "cursor"
            return self._cursor_page(queryset, request)
        self.mode = "offset"
        self.offset = offset
        self.total = queryset.count() if self.known_total is None else self.known_total
        return list(queryset[self.offset : self.offset + self.limit])

    def _ordering(self, queryset) -> list[str]:
        ordering = getattr(self.request, "_list_ordering", None) or list(
            queryset.query.order_by or queryset.model._meta.ordering
        )
        if not ordering or ordering[-1].lstrip("-") not in ("pk", queryset.model._meta.pk.name):
            ordering = [*ordering, "-pk"]
        return ordering

    def _cursor_page(self, queryset, request) -> list:
        ordering = self._ordering(queryset)
        queryset = queryset.order_by(*ordering)
        raw = request.query_params.get("cursor") or ""
        if raw:
            try:
                payload = signing.loads(raw, salt=CURSOR_SALT)
            except signing.BadSignature:
                raise InvalidCursor(
                    "Invalid cursor",
                    details={"cursor": ["Tampered or malformed"]},
                ) from None
            if not isinstance(payload, dict) or payload.get("o") != ordering:
                raise InvalidCursor(
                    "Cursor does not match this list's sort order",
                    details={"cursor": ["Issued for another sort order"]},
                )
            queryset = queryset.filter(self._after(queryset.model, ordering, payload["v"]))
        rows = list(queryset[: self.limit + 1])
        self.has_more = len(rows) > self.limit
        rows = rows[: self.limit]
        self.next_cursor = None
        if self.has_more and rows:
            last = rows[-1]
            values = [_encode_value(_resolve(last, o.lstrip("-"))) for o in ordering]
            self.next_cursor = signing.dumps({"o": ordering, "v": values}, salt=CURSOR_SALT)
        return rows

    @staticmethod
    def _after(model, ordering: list[str], values: list[Any]) -> Q:
        """Rows strictly after `values` in `ordering`: (a > x) | (a = x & b > y) | …"""
        if len(values) != len(ordering):
            raise InvalidCursor("Invalid cursor")
        parsed = []
        for order, raw in zip(ordering, values, strict=True):
            name = order.lstrip("-")
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
            try:
                parsed.append(field.to_python(raw))
            except Exception:
                raise InvalidCursor("Invalid cursor") from None
        # The leading column bounds the scan as a plain range (index-friendly); the OR below
        # then resolves ties on it by the following columns.
        lead = ordering[0].lstrip("-")
        bound = Q(**{f"{lead}__{'lte' if ordering[0].startswith('-') else 'gte'}": parsed[0]})
        condition = Q()
        for i, order in enumerate(ordering):
            name = order.lstrip("-")
            op = "lt" if order.startswith("-") else "gt"
            step = Q(**{f"{name}__{op}": parsed[i]})
            for j in range(i):
                step &= Q(**{ordering[j].lstrip("-"): parsed[j]})
            condition |= step
        return bound & condition if len(ordering) > 1 else condition

    # --- responses --------------------------------------------------------------------------

    def _link(self, offset: int | None) -> str | None:
        if offset is None:
            return None
        params = self.request.query_params.copy()
        params["limit"] = str(self.limit)
        params["offset"] = str(offset)
        return f"{self.request.path}?{urlencode(list(params.lists()), doseq=True)}"

    def pagination_block(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        if self.mode == "cursor":
            return {
                "cursor": self.next_cursor,
                "has_more": self.has_more,
                "limit": self.limit,
            }, None
        has_more = self.offset + self.limit < self.total
        next_offset = self.offset + self.limit if has_more else None
        prev_offset = max(self.offset - self.limit, 0) if self.offset > 0 else None
        last_offset = max((self.total - 1) // self.limit * self.limit, 0)
        pagination = {
            "total": self.total,
            "limit": self.limit,
            "offset": self.offset,
            "has_more": has_more,
            "next_offset": next_offset,
            "previous_offset": prev_offset,
        }
        links = {
            "self": self._link(self.offset),
            "next": self._link(next_offset),
            "prev": self._link(prev_offset),
            "first": self._link(0),
            "last": self._link(last_offset),
        }
        return pagination, links

    def get_paginated_response(self, data, **extra) -> Response:
        pagination, links = self.pagination_block()
        body: dict[str, Any] = {"data": data, "pagination": pagination}
        if links is not None:
            body["links"] = links
        body.update(extra)
        return Response(body)

    def get_paginated_response_schema(self, schema):
        nullable_int = {"type": "integer", "nullable": True}
        nullable_str = {"type": "string", "nullable": True}
        return {
            "type": "object",
            "required": ["data", "pagination"],
            "properties": {
                "data": schema,
                "pagination": {
                    "type": "object",
                    "properties": {
                        "total": {"type": "integer"},
                        "limit": {"type": "integer"},
                        "offset": {"type": "integer"},
                        "has_more": {"type": "boolean"},
                        "next_offset": nullable_int,
                        "previous_offset": nullable_int,
                        "cursor": nullable_str,
                    },
                },
                "links": {
                    "type": "object",
                    "properties": {
                        k: nullable_str for k in ("self", "next", "prev", "first", "last")
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        params = [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "Page size, 1-100 (default 20).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Opaque cursor from a previous page; empty for the first page.",
                "schema": {"type": "string"},
            },
        ]
        if not getattr(view, "cursor_only", False):
            params.insert(
                1,
                {
                    "name": "offset",
                    "in": "query",
                    "required": False,
                    "description": f"Rows to skip (offset mode), 0-{self.max_offset}.",
                    "schema": {"type": "integer", "minimum": 0, "maximum": self.max_offset},
                },
            )
        return params
