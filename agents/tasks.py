"""Thin Celery tasks: take ids, call one service.

`run_next_agent` carries no job of its own. A spawn enqueues one; the task claims the waiting
agent that should start first (highest priority, then oldest, whose key has a free slot) by
compare-and-set, runs it, and goes on claiming while agents are claimable, for at most
`RUN_LOOP_SECONDS`; then it hands over to a new message if work is left. So priority holds on
every broker, a run that ends starts the next one at once in its own process, and a message is
spent without a claim only when nothing was claimable.
"""

import logging
import os
import socket
import time

import billiard
from celery import shared_task
from django.conf import settings

from agents.messages import run_message_send
from agents.reaper import agents_reap, reservations_reap
from agents.runner import agent_run_safely
from agents.services import agent_claim_next, agent_claimable_exists, agents_content_expire

logger = logging.getLogger(__name__)

# A task stops claiming new runs after this long (a run may still take its whole timeout, so
# the task's time limits leave room for both).
RUN_LOOP_SECONDS = 30


def _worker_name(task) -> str:
    """`hostname#pid` of the worker's main process, the identity its heartbeat row carries.

    A restarted worker keeps its hostname but not its pid, so its old runs count as lost.
    """
    hostname = getattr(task.request, "hostname", None) or f"celery@{socket.gethostname()}"
    in_child = billiard.current_process().name != "MainProcess"
    return f"{hostname}#{os.getppid() if in_child else os.getpid()}"


@shared_task(
    bind=True,
    name="agents.tasks.run_next_agent",
    acks_late=True,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def run_next_agent(self, hint: str | None = None) -> list[str]:
    """Run claimable agents one after another; the ids of those it ran, in order."""
    worker = _worker_name(self)
    stop_claiming = time.monotonic() + RUN_LOOP_SECONDS
    ran: list[str] = []
    while True:
        agent = agent_claim_next(worker=worker)
        if agent is None:
            return ran
        logger.info("running %s on %s (hint %s)", agent.agent_id, worker, hint)
        agent_run_safely(agent=agent)
        ran.append(agent.agent_id)
        if time.monotonic() >= stop_claiming:
            if agent_claimable_exists():
                run_message_send()
            return ran


@shared_task(name="agents.tasks.reap_lost_runs")
def reap_lost_runs() -> int:
    return agents_reap()


@shared_task(name="agents.tasks.reap_reservations", soft_time_limit=50, time_limit=55)
def reap_reservations() -> int:
    """Each minute: release reservations whose holder stopped renewing its lease and is gone."""
    released = reservations_reap()
    if released:
        logger.info("released %d reservation(s) with expired leases", released)
    return released


@shared_task(name="agents.tasks.erase_expired_content", soft_time_limit=300, time_limit=360)
def erase_expired_content() -> int:
    """Hourly: erase the task and result of ended agents past their retention (semantics §12.6)."""
    erased = agents_content_expire()
    if erased:
        logger.info("erased the content of %d agent(s) past their retention", erased)
    return erased
