"""Thin Celery tasks: take ids, call one service.

`run_next_agent` carries no job of its own: each spawn enqueues one, and each run claims the
waiting agent that should start first (highest priority, then oldest) by compare-and-set. So
priority holds on every broker, and a duplicate or redelivered message finds nothing to do.
"""

import logging
import os
import socket

import billiard
from celery import shared_task
from django.conf import settings

from agents.runner import agent_run_safely
from agents.services import agent_claim, agent_next_waiting_ids

logger = logging.getLogger(__name__)


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
def run_next_agent(self, hint: str | None = None) -> str | None:
    worker = _worker_name(self)
    for agent_id in agent_next_waiting_ids():
        agent = agent_claim(agent_id=agent_id, worker=worker)
        if agent is not None:
            logger.info("running %s on %s (hint %s)", agent_id, worker, hint)
            agent_run_safely(agent=agent)
            return agent_id
    return None


@shared_task(name="agents.tasks.reap_lost_runs")
def reap_lost_runs() -> int:
    from agents.reaper import agents_reap

    return agents_reap()
