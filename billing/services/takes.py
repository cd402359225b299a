"""The two steps every counter take shares (billing/counters.py holds the statements)."""

from __future__ import annotations

from collections.abc import Callable


def _take_or_create(take: Callable[[], bool], rows, create: Callable[[], None]):
    """Run the conditional UPDATE `take`; when it did not take, make sure its row exists (a
    row another transaction creates and commits meanwhile counts too) and run it once more.
    None when taken; otherwise the row that refused, as it is now."""
    if take():
        return None
    if not rows.exists():
        create()
    if take():
        return None
    return rows.get()


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer")
    return value
