"""A run's writes that must not be lost (a call's ledger row, the run's end) outlast a database
outage; tests/platform/test_faults.py restarts a real PostgreSQL under running agents."""

import pytest
from django.db import IntegrityError, OperationalError

from agents import outage


@pytest.fixture
def waits(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(outage.time, "sleep", slept.append)
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
    assert outage.db_retrying(write, what="a ledger row") == "written"
    assert len(write.attempts) == 4
    assert waits == [0.2, 0.4, 0.8]


def test_it_gives_up_after_the_retry_window(waits, monkeypatch):
    monkeypatch.setattr(outage, "DB_RETRY_SECONDS", 0)
    write = failing(1, OperationalError("connection refused"))
    with pytest.raises(OperationalError):
        outage.db_retrying(write, what="a ledger row")
    assert len(write.attempts) == 1 and waits == []


def test_other_database_errors_are_not_retried(waits):
    write = failing(1, IntegrityError("duplicate key"))
    with pytest.raises(IntegrityError):
        outage.db_retrying(write, what="a ledger row")
    assert len(write.attempts) == 1 and waits == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_heartbeat_logs_an_outage_once_and_its_end(monkeypatch, settings, caplog):
    import threading
    from types import SimpleNamespace

    settings.J1MSKY_WORKER_HEARTBEAT_SECONDS = 0.01
    beats: list[int] = []
    recovered = threading.Event()

    def heartbeat(*, agent):
        beats.append(1)
        if len(beats) <= 5:
            raise OperationalError("server closed the connection unexpectedly\n\tdetail")
        recovered.set()
        return True

    monkeypatch.setattr(outage, "agent_heartbeat", heartbeat)
    with (
        caplog.at_level("INFO", logger="agents.runner"),
        outage.run_heartbeat(SimpleNamespace(agent_id="a_1")),
    ):
        assert recovered.wait(10)
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == (
        "heartbeat of agent a_1: database unavailable "
        "(server closed the connection unexpectedly); beating on"
    )
    assert len(messages) == 2 and messages[1].startswith("heartbeat of agent a_1: database back")
    assert all(r.exc_info is None for r in caplog.records)
