"""Plain SQL for the few hot statements the ORM would spend longer building than running."""

from __future__ import annotations

from django.db import connection


def sql_execute(sql: str, params: list) -> int:
    """Run one statement on the default connection; how many rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
