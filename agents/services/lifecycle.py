"""An agent's life after admission (semantics §7.2, §7.3): claim, heartbeat, end, cancel.

Every transition is a compare-and-set on the status, so a terminal state never changes and a
run is started at most once; each writes its event in the same transaction.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from agents import counters
from agents.errors import AgentNotCancellable
from agents.models import Agent
from agents.selectors import agent_get
from agents.services.privacy import content_erase, event_content, pii_found_in_result
from billing.models import Reservation
from billing.selectors import ledger_agent_totals
from billing.services import budget_release, budget_settle, reservation_renew
from j1msky.events import event_emit
from j1msky.money import round_cost
from security.services import audit_record

# What a run reads of its agent's relations (the event's owner, the ledger's key, the models):
# joined into the one read of the row, not fetched one by one as the run touches them.
RUN_RELATED = ("owner", "api_key", "model__provider", "reservation")


def _concurrency_give_back(api_key_id: int | None, *, was: str) -> None:
    """The agent left `was` (spawning or running) for a terminal state: free its count."""
    if api_key_id is None:
        return
    counters.give_back(
        api_key_id=api_key_id, field="running" if was == Agent.Status.RUNNING else "waiting"
    )


def _claimable() -> QuerySet[Agent]:
    """Waiting agents a worker may start now, first the one that should start first: highest
    priority, then oldest; an agent whose key runs its `max_concurrent_agents` already waits,
    and one whose key is suspended never starts (the reaper ends it)."""
    return (
        Agent.objects.filter(status=Agent.Status.SPAWNING)
        .filter(
            Q(api_key__isnull=True)
            | Q(api_key__concurrency__running__lt=F("api_key__max_concurrent_agents"))
        )
        .filter(Q(api_key__isnull=True) | Q(api_key__suspended_at__isnull=True))
        .order_by("-priority_rank", "created_at", "agent_id")
    )


def agent_claimable_exists() -> bool:
    return _claimable().exists()


def agent_claimable_count(*, older_than=None, limit: int) -> int:
    """How many agents are claimable (counting at most `limit`), only those created before
    `older_than` when given."""
    waiting = _claimable()
    if older_than is not None:
        waiting = waiting.filter(created_at__lt=older_than)
    return waiting[:limit].count()


class _LostRace(Exception):
    pass


@transaction.atomic
def _claim(candidates: QuerySet[Agent], *, worker: str) -> Agent | None:
    """Claim the first of `candidates` in one transaction: the key's running slot by a
    conditional UPDATE, then spawning → running by compare-and-set. None when there is no
    candidate; raises `_LostRace` (rolling back) when another worker took it, or the key's
    last slot, first.

    On PostgreSQL the candidate row is locked with SKIP LOCKED, so concurrent claimers pick
    different agents; on SQLite the write transaction itself serialises them. The slot comes
    first although its row is shared with every spawn and run of the key: a run's `started_at`
    must not precede the slot it runs in (a claim may wait for that row's lock), or the runs'
    own timestamps would show more of a key's agents running at once than it allows.
    """
    row = (
        candidates.select_for_update(skip_locked=True, of=("self",))
        .values_list("agent_id", "api_key_id", "api_key__max_concurrent_agents")
        .first()
    )
    if row is None:
        return None
    agent_id, api_key_id, limit = row
    if api_key_id is not None and not counters.running_take(api_key_id=api_key_id, limit=limit):
        raise _LostRace()
    now = timezone.now()
    if not Agent.objects.filter(agent_id=agent_id, status=Agent.Status.SPAWNING).update(
        status=Agent.Status.RUNNING, started_at=now, heartbeat_at=now, worker=worker
    ):
        raise _LostRace()  # the slot taken above rolls back with it
    agent = Agent.objects.select_related(*RUN_RELATED).get(agent_id=agent_id)
    _lease_renew(agent, now=now)
    event_emit(
        type="agent.running",
        owner=agent.owner,
        agent_id=agent.agent_id,
        data={"agent_id": agent.agent_id, "model": agent.model_id, "worker": worker},
    )
    return agent


def agent_claim_next(*, worker: str) -> Agent | None:
    """Claim the waiting agent that should start first, or None when no agent is claimable.

    A lost race costs one statement and a fresh look, never the claim: the loop ends only with
    an agent or with nothing claimable left, so a run message is never spent while an agent it
    could have started waits (each lost race means another worker claimed one).
    """
    while True:
        try:
            return _claim(_claimable(), worker=worker)
        except _LostRace:
            continue


def agent_claim(*, agent_id: str, worker: str) -> Agent | None:
    """spawning → running for one given agent; None when another worker has it, it ended, or
    its key has no free slot."""
    try:
        return _claim(_claimable().filter(agent_id=agent_id), worker=worker)
    except _LostRace:
        return None


def _lease_renew(agent: Agent, *, now) -> None:
    if agent.reservation_id:
        reservation_renew(
            reservation=Reservation(pk=agent.reservation_id),
            lease_seconds=settings.J1MSKY_RESERVATION_LEASE_SECONDS,
            now=now,
        )


def agent_heartbeat(*, agent: Agent) -> bool:
    """The process running `agent` is alive: stamp the run and extend its reservation's lease.

    False once the run is no longer `running` (finished, or reaped as lost).
    """
    now = timezone.now()
    alive = Agent.objects.filter(agent_id=agent.agent_id, status=Agent.Status.RUNNING).update(
        heartbeat_at=now
    )
    if alive:
        _lease_renew(agent, now=now)
    return bool(alive)


def _reservation_close(agent: Agent, *, status: str, now) -> Any:
    """Settle the run's reservation to what the ledger charged (completed), or release it."""
    if not agent.reservation_id:
        return 0
    reservation = Reservation(pk=agent.reservation_id)  # settle and release read it themselves
    if status == Agent.Status.COMPLETED:
        return budget_settle(reservation=reservation, now=now).refund
    return budget_release(reservation=reservation, reason=status, now=now).refund


def _end_recorded(agent: Agent, *, status: str, error_type: str, error_message: str) -> None:
    """The ended run's event (its task and result masked when the spawn asked) and, for a
    completion or a failure, its audit row."""
    data: dict[str, Any] = {
        "agent_id": agent.agent_id,
        "model": agent.model_id,
        "task": event_content(agent, agent.task),
        "result": event_content(agent, agent.result),
        "cost": agent.actual_cost,
    }
    if error_type:
        data["error"] = {"type": error_type, "message": error_message[:500]}
    event_emit(type=f"agent.{status}", owner=agent.owner, agent_id=agent.agent_id, data=data)
    audit_event = {"completed": "agent.complete", "failed": "agent.fail"}.get(status)
    if audit_event:
        audit_record(
            event=audit_event,
            owner=agent.owner,
            api_key=agent.api_key,
            resource_type="agent",
            resource_id=agent.agent_id,
            details={"cost": float(agent.actual_cost), "error_type": error_type},
        )


@transaction.atomic
def agent_finish(
    *,
    agent: Agent,
    status: str,
    result: str = "",
    error_type: str = "",
    error_message: str = "",
    from_status: str = Agent.Status.RUNNING,
) -> bool:
    """Move a run to its one terminal state, settle its reservation from the ledger, emit.

    Compare-and-set on the current status: a terminal state never changes, and a second finish
    (a retried task, the reaper racing the worker) does nothing and returns False.
    """
    now = timezone.now()
    totals = ledger_agent_totals(agent_id=agent.agent_id)
    ended = {
        "status": status,
        "result": result,
        "error_type": error_type,
        "error_message": error_message[:500],
        "completed_at": now,
        "actual_cost": round_cost(totals.cost),
        "input_tokens": totals.input_tokens,
        "output_tokens": totals.output_tokens,
        "pii_detected": pii_found_in_result(agent, result),
        "content_expires_at": now + timedelta(days=agent.retention_days),
    }
    if not Agent.objects.filter(agent_id=agent.agent_id, status=from_status).update(**ended):
        return False
    # The row is what was just written, but for a purge that may have erased the content
    # meanwhile: that one column is read back, not the whole row.
    for name, value in ended.items():
        setattr(agent, name, value)
    agent.content_erased_at = (
        Agent.objects.filter(agent_id=agent.agent_id)
        .values_list("content_erased_at", flat=True)
        .get()
    )
    if agent.content_erased_at is not None:
        # Purged while it ran: what the run wrote since is erased before anything tells of it.
        agent = content_erase(agent, reason="purge, run stopped")
    _end_recorded(agent, status=status, error_type=error_type, error_message=error_message)
    # Last, the rows that every spawn and every run also move (the budget days, the key's
    # slots), so their row locks are held for the commit alone; in the order admission takes
    # them, so the two never wait on each other in a circle.
    agent.refund = round_cost(_reservation_close(agent, status=status, now=now))
    Agent.objects.filter(agent_id=agent.agent_id).update(refund=agent.refund)
    _concurrency_give_back(agent.api_key_id, was=from_status)
    return True


def agent_cancel(*, owner, agent_id: str) -> Agent:
    """Cancel (semantics §7.3): a waiting agent ends `cancelled` at once; a running one is
    flagged, and its worker stops the provider stream and ends it (the caller reads the end
    from the agent). Answers at once either way. 409 for an agent that already ended."""
    agent = agent_get(owner=owner, agent_id=agent_id)
    if agent.is_terminal:
        raise AgentNotCancellable(agent_id, agent.status)
    if agent_finish(agent=agent, status=Agent.Status.CANCELLED, from_status=Agent.Status.SPAWNING):
        return Agent.objects.get(agent_id=agent_id)
    Agent.objects.filter(agent_id=agent_id, status=Agent.Status.RUNNING).update(
        cancel_requested=True
    )
    # Read back once, with the relations the event and the audit row name (a purge may have
    # erased the content meanwhile).
    agent.refresh_from_db(from_queryset=Agent.objects.select_related("owner", "api_key"))
    if agent.status in (Agent.Status.COMPLETED, Agent.Status.FAILED):
        raise AgentNotCancellable(agent_id, agent.status)
    return agent


def agent_purge(*, owner, agent_id: str, api_key=None) -> Agent:
    """Erase an agent's content at once (`DELETE /agent/{id}?purge=true`, semantics §12.6). One
    still waiting is cancelled; one running is cancelled too, and is erased again when its run
    stops. Marked first, so a run ending meanwhile never reports its content."""
    agent = agent_get(owner=owner, agent_id=agent_id)
    Agent.objects.filter(pk=agent.pk, content_erased_at__isnull=True).update(
        content_erased_at=timezone.now()
    )
    if not agent.is_terminal:
        with contextlib.suppress(AgentNotCancellable):  # it ended meanwhile: erased all the same
            agent_cancel(owner=owner, agent_id=agent_id)
    with transaction.atomic():
        locked = Agent.objects.select_for_update().get(pk=agent.pk)
        return content_erase(locked, reason="purge", api_key=api_key)
