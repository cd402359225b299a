"""Schemathesis hooks for rules of J1MSKY's API that an OpenAPI schema cannot state.

Each hook only removes from generated data what no schema could describe; it never turns a
request that breaks the schema into one that keeps it, so no check is weakened.
"""

from __future__ import annotations

import schemathesis
from schemathesis import GenerationMode


@schemathesis.hook
def map_query(ctx, query):
    """A cursor is an opaque token the server signed; a made-up one is refused (400
    invalid_cursor) by design. An empty cursor asks for the first page in cursor mode."""
    if query and "cursor" in query:
        query = {**query, "cursor": ""}
    return query


def _without_nul(value):
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, str):
        return value.replace("\x00", "")
    return value


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """No NUL anywhere in a body: the declared strings say so with their pattern, but OpenAPI
    3.0 cannot say it of an open object's property names or of properties it does not declare.
    Only schema-valid (positive) bodies are cleaned, and removing a NUL from them cannot make
    one invalid."""
    positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
    if positive and isinstance(case.body, dict | list):
        case.body = _without_nul(case.body)
