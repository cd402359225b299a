"""A run outlasts a database outage: the writes it must not lose are retried, and its heartbeat
keeps beating (quietly) until the database is back.

tests/platform/test_faults.py restarts a real PostgreSQL under running agents.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from agents.models import Agent
from agents.services import agent_heartbeat

logger = logging.getLogger("agents.runner")

# How long a run keeps retrying a write it must not lose (a provider call's ledger row, its
# end) while the database is unreachable, e.g. restarting.
DB_RETRY_SECONDS = 120
DB_UNAVAILABLE = (OperationalError, InterfaceError)


def db_connection_drop() -> None:
    """Forget a connection the database server dropped, so the next query reconnects (never
    inside an atomic block: the caller's transaction is the caller's)."""
    if not connection.in_atomic_block:
        connection.close()


def db_retrying(write, *, what: str):
    """`write()`, retried with backoff while the database is unreachable, for up to
    `DB_RETRY_SECONDS`. Only for writes that are safe to repeat or that a lost connection
    rolled back: a ledger row, a compare-and-set end."""
    give_up = time.monotonic() + DB_RETRY_SECONDS
    delay = 0.2
    while True:
        try:
            return write()
        except DB_UNAVAILABLE as exc:
            if connection.in_atomic_block or time.monotonic() >= give_up:
                raise
            logger.warning("database unavailable for %s (%s); retrying in %.1fs", what, exc, delay)
            db_connection_drop()
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextlib.contextmanager
def run_heartbeat(agent: Agent) -> Iterator[None]:
    """While the block runs, a thread of this process stamps the run's heartbeat and renews its
    reservation's lease every `J1MSKY_WORKER_HEARTBEAT_SECONDS`.

    It dies with the process, so the reaper can tell a run whose pool process died from one that
    is only slow, even when the worker's main process lives on. A run inside the caller's open
    transaction (in-process tests) gets no thread: no other connection could see the run.
    While the database is unreachable it logs one line when the outage starts and one when it
    ends, not a traceback a beat.
    """
    if connection.in_atomic_block:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        unreachable_since: float | None = None
        try:
            while not stop.wait(settings.J1MSKY_WORKER_HEARTBEAT_SECONDS):
                try:
                    if not agent_heartbeat(agent=agent):
                        return  # ended, or reaped: the run sees that at its next check
                except DB_UNAVAILABLE as exc:
                    if unreachable_since is None:
                        unreachable_since = time.monotonic()
                        logger.warning(
                            "heartbeat of agent %s: database unavailable (%s); beating on",
                            agent.agent_id,
                            _first_line(exc),
                        )
                    connection.close()  # the next beat connects afresh
                    continue
                except Exception:
                    logger.exception("heartbeat of agent %s failed", agent.agent_id)
                    connection.close()
                    continue
                if unreachable_since is not None:
                    logger.info(
                        "heartbeat of agent %s: database back after %.1fs",
                        agent.agent_id,
                        time.monotonic() - unreachable_since,
                    )
                    unreachable_since = None
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{agent.agent_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
