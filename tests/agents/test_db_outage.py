"""A run's writes that must not be lost (a call's ledger row, the run's end) outlast a database
outage; tests/platform/test_faults.py restarts a real PostgreSQL under running agents."""

import pytest
from django.db import IntegrityError, OperationalError

from agents import runner


@pytest.fixture
def waits(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(runner.time, "sleep", slept.append)
    return slept


def failing(times: int, error: Exception):
    attempts: list[int] = []

    def write():
        attempts.append(1)
        if len(attempts) <= times:
            raise error
        return "written"

    write.attempts = attempts
    return write


def test_a_write_is_retried_with_backoff_while_the_database_is_unreachable(waits):
    write = failing(3, OperationalError("server closed the connection unexpectedly"))
    assert runner.db_retrying(write, what="a ledger row") == "written"
    assert len(write.attempts) == 4
    assert waits == [0.2, 0.4, 0.8]


def test_it_gives_up_after_the_retry_window(waits, monkeypatch):
    monkeypatch.setattr(runner, "DB_RETRY_SECONDS", 0)
    write = failing(1, OperationalError("connection refused"))
    with pytest.raises(OperationalError):
        runner.db_retrying(write, what="a ledger row")
    assert len(write.attempts) == 1 and waits == []


def test_other_database_errors_are_not_retried(waits):
    write = failing(1, IntegrityError("duplicate key"))
    with pytest.raises(IntegrityError):
        runner.db_retrying(write, what="a ledger row")
    assert len(write.attempts) == 1 and waits == []
