"""The engine's one error: a value the domain refuses, named by its field."""

from __future__ import annotations

from typing import Any


class EngineError(ValueError):
    """``field`` names the value (``scenarios[2].model``), ``message`` is one sentence and
    ``index`` is the item's position when the value sits in an array."""

    def __init__(self, field: str, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.index = index


def shown(value: Any) -> str:
    """A value as an error message quotes it: its text, cut to 64 characters."""
    text = str(value)
    return text if len(text) <= 64 else text[:61] + "..."


def unsupported(field: str, value: Any, where: str = "") -> str:
    """``Unsupported model: gpt9``; ``where`` places it (``" in scenario 2"``)."""
    return f"Unsupported {field}{where}: {shown(value)}"
