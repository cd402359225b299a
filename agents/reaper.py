"""The beat's reaper (semantics §7.2, §14): runs whose worker vanished end `failed/worker_lost`."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from agents.models import Agent
from agents.services import agent_finish
from j1msky.selectors import heartbeat_cutoff, worker_heartbeat_live_list

logger = logging.getLogger(__name__)

REQUEUE_AFTER = timedelta(minutes=5)


def agents_reap(*, now=None) -> int:
    """Fail running agents whose worker or run stopped heartbeating; re-enqueue old waiting ones."""
    now = now or timezone.now()
    live = {
        f"{h}#{pid}"
        for h, pid in worker_heartbeat_live_list(now=now).values_list("hostname", "pid")
    }
    grace = heartbeat_cutoff(now)
    # Lost: its worker stopped heartbeating, or the process running it did (a pool process that
    # died while the worker's main process lives on). A run claimed before runs had their own
    # heartbeat (heartbeat_at null) is judged by its worker alone.
    lost = Agent.objects.filter(status=Agent.Status.RUNNING, started_at__lt=grace).filter(
        ~Q(worker__in=live) | Q(heartbeat_at__lt=grace)
    )
    reaped = 0
    for agent in lost.select_related("reservation"):
        if agent_finish(
            agent=agent,
            status=Agent.Status.FAILED,
            error_type="worker_lost",
            error_message=f"Worker {agent.worker or 'unknown'} stopped during the run",
        ):
            reaped += 1
            logger.warning("agent %s failed: worker %s lost", agent.agent_id, agent.worker)
    # Billing's own beat job releases lapsed reservations, asking agent_live_ids which still count.
    waiting = Agent.objects.filter(
        status=Agent.Status.SPAWNING, created_at__lt=now - REQUEUE_AFTER
    ).values_list("agent_id", flat=True)[:100]
    if waiting:
        from agents.tasks import run_next_agent

        for agent_id in waiting:
            run_next_agent.delay(agent_id)
    return reaped
