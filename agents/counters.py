"""A key's concurrency counters (`KeyConcurrency`), moved by one conditional UPDATE each.

As in billing/counters.py, the WHERE clause is the check, so a move is refused or made
atomically however many processes race, and the statements are plain SQL: they run with every
spawn and every run, and the ORM spends more time building them than the database running them.
"""

from __future__ import annotations

from agents.models import KeyConcurrency
from j1msky.sql import sql_execute

_TABLE = KeyConcurrency._meta.db_table

_WAITING_TAKE = f"UPDATE {_TABLE} SET waiting = waiting + 1 WHERE api_key_id = %s AND waiting < %s"
_CLAIM = (
    f"UPDATE {_TABLE} SET running = running + 1, "
    "waiting = CASE WHEN waiting > 0 THEN waiting - 1 ELSE 0 END "
    "WHERE api_key_id = %s AND running < %s"
)
_GIVE_BACK = {
    "waiting": f"UPDATE {_TABLE} SET waiting = CASE WHEN waiting > 0 THEN waiting - 1 ELSE 0 END "
    "WHERE api_key_id = %s",
    "running": f"UPDATE {_TABLE} SET running = CASE WHEN running > 0 THEN running - 1 ELSE 0 END "
    "WHERE api_key_id = %s",
}


def waiting_take(*, api_key_id: int, cap: int) -> bool:
    """One more agent waiting for the key, while fewer than `cap` wait; False when refused or
    when the key has no counter row yet."""
    return sql_execute(_WAITING_TAKE, [api_key_id, cap]) == 1


def running_take(*, api_key_id: int, limit: int) -> bool:
    """A waiting agent of the key starts, while fewer than `limit` run; False when refused."""
    return sql_execute(_CLAIM, [api_key_id, limit]) == 1


def give_back(*, api_key_id: int, field: str) -> None:
    """An agent of the key stopped waiting (`waiting`) or running (`running`)."""
    sql_execute(_GIVE_BACK[field], [api_key_id])
