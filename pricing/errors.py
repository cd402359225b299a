"""Engine errors as the one error envelope: 400 `validation_error` naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from j1msky.errors import InvalidInput
from pricing.engine import EngineError


def invalid_input(error: EngineError) -> InvalidInput:
    """`scenarios[2].model` → `details {"scenarios[2].model": ["Unsupported model in …"]}`."""
    return InvalidInput(error.message, details={error.field: [error.message]})


@contextmanager
def engine_errors() -> Iterator[None]:
    """Run engine calls; bad input comes out as `InvalidInput`."""
    try:
        yield
    except EngineError as error:
        raise invalid_input(error) from None
