"""The beat's reaper (semantics §7.2, §14): runs whose worker vanished end `failed/worker_lost`,
and waiting agents that no run message will reach get one."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from agents.messages import run_message_send
from agents.models import Agent
from agents.selectors import reservation_holders_alive
from agents.services import agent_claimable_count, agent_finish
from billing.services import reservation_reap
from j1msky.selectors import heartbeat_cutoff, worker_heartbeat_live_list

logger = logging.getLogger(__name__)

# A claimable agent waiting this long has lost its run message (a worker killed while holding
# it, a flushed broker) or waits behind busy workers; either way one more message is harmless.
REQUEUE_AFTER = timedelta(seconds=settings.J1MSKY_REQUEUE_AFTER_SECONDS)
REQUEUE_MAX = 20


def agents_reap(*, now=None) -> int:
    """Fail running agents whose worker or run stopped heartbeating, then send run messages for
    the agents those runs leave claimable and for claimable agents waiting since
    `REQUEUE_AFTER`; returns how many runs were failed."""
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
    reaped += agents_of_suspended_keys_end()
    stranded = agent_claimable_count(older_than=now - REQUEUE_AFTER, limit=REQUEUE_MAX)
    messages = min(reaped + stranded, REQUEUE_MAX)
    for _ in range(messages):
        run_message_send()
    if messages:
        logger.info("sent %d run message(s) for waiting agents", messages)
    return reaped


def reservations_reap(*, now=None, lease_seconds: int | None = None) -> int:
    """Billing's reaper of lapsed reservations, told which holders still live: an agent still
    waiting in the queue, or running with a fresh heartbeat, keeps its money reserved."""
    now = now or timezone.now()
    return reservation_reap(
        now=now,
        lease_seconds=lease_seconds or settings.J1MSKY_RESERVATION_LEASE_SECONDS,
        holders_alive=lambda holders: reservation_holders_alive(holders, now=now),
    )


def agents_of_suspended_keys_end() -> int:
    """Waiting agents whose key a protection suspended never start: they end
    `failed/key_suspended`, and their reservations go back to the budget."""
    ended = 0
    waiting = Agent.objects.filter(
        status=Agent.Status.SPAWNING, api_key__suspended_at__isnull=False
    ).select_related("reservation")
    for agent in waiting:
        if agent_finish(
            agent=agent,
            status=Agent.Status.FAILED,
            error_type="key_suspended",
            error_message="The API key was suspended before this agent started",
            from_status=Agent.Status.SPAWNING,
        ):
            ended += 1
    if ended:
        logger.warning("ended %d waiting agent(s) of suspended keys", ended)
    return ended
