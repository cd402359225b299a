"""Body parsers (JSON, form, multipart) and the checks on text a client sends.

Every string a client sends may end up in a text or JSON column, so a key or value holding a
NUL character or a lone surrogate (which PostgreSQL and UTF-8 refuse) is a 400 naming the
field, as is a number that is not finite (`1e400`, `NaN`) and JSON nested deeper than
`MAX_JSON_DEPTH` or too deep to parse at all.
`json_loads` applies the same checks to JSON text that arrives inside a form field or a query
parameter.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any
from urllib.parse import unquote_to_bytes

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from j1msky.errors import InvalidInput

MAX_JSON_DEPTH = 64


class BadText(ValueError):
    """A string, or a JSON document, that no field may hold. `problem` reads after a name:
    "'task' must not contain NUL characters"."""

    def __init__(self, problem: str, field: str | None = None) -> None:
        self.problem = problem
        self.field = field
        super().__init__(
            f"'{_printable(field)}' {problem}" if field is not None else f"Value {problem}"
        )


def _printable(name: str) -> str:
    return name.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (no lone surrogates)"
    return None


def check_tree(data: Any) -> None:
    """Raise `BadText`, naming the top-level field, for bad text or nesting anywhere in `data`
    (a JSON value or a QueryDict)."""
    stack: list[tuple[Any, str | None, int]] = [(data, None, 0)]
    while stack:
        value, field, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadText(f"must not be nested more than {MAX_JSON_DEPTH} levels deep", field)
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                raise BadText(problem, field)
        elif isinstance(value, float) and not math.isfinite(value):
            # 1e400 parses as infinity; no JSON column (nor JSON itself) can hold it.
            raise BadText("must hold only finite numbers", field)
        elif isinstance(value, dict) or hasattr(value, "lists"):
            items = value.lists() if hasattr(value, "lists") else value.items()
            for key, item in items:
                name = field if field is not None else str(key)
                problem = text_problem(key) if isinstance(key, str) else None
                if problem:
                    raise BadText(problem, name)
                stack.append((item, name, depth + 1))
        elif isinstance(value, list | tuple):
            stack.extend((item, field, depth + 1) for item in value)


def json_loads(text: str | bytes, **kwargs: Any) -> Any:
    """`json.loads` for text from a client: ValueError when malformed or nested too deeply to
    parse, `BadText` (a ValueError) when it holds what no field may store."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise ValueError("JSON is nested too deeply") from None
    check_tree(value)
    return value


def _refuse_bad_text(data: Any) -> None:
    try:
        check_tree(data)
    except BadText as exc:
        field = _printable(exc.field) if exc.field is not None else "non_field_errors"
        problem = exc.problem[0].upper() + exc.problem[1:]
        raise InvalidInput(str(exc), details={field: [problem]}) from None


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        _refuse_bad_text(data)
        return data


def utf8_form(raw: bytes) -> bool:
    """Whether every key and value of a form-encoded text (a body, a query string) is UTF-8
    once its %-escapes are undone; Django would otherwise decode the rest into U+FFFD."""
    try:
        for pair in raw.split(b"&"):
            for piece in pair.split(b"=", 1):
                unquote_to_bytes(piece.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if not utf8_form(raw):
            raise ParseError("Form parse error - the body is not UTF-8")
        data = super().parse(io.BytesIO(raw), media_type, parser_context)
        _refuse_bad_text(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """Multipart bodies carry text fields (no route takes a file), so the whole body must be
    UTF-8; Django would otherwise decode what is not into U+FFFD."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("Multipart form parse error - the body is not UTF-8") from None
        parsed = super().parse(io.BytesIO(raw), media_type, parser_context)
        _refuse_bad_text(parsed.data)
        return parsed
