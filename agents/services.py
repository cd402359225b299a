"""Agent writes: admission (spawn, team, batch), lifecycle transitions, cancel.

Admission is one transaction (semantics §7.1): model choice over the fallback chain (breaker
closed, provider window has room), the worst-case budget reservation, the per-key concurrency
slot, the agent row and its event. The run is enqueued only after that commits.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone

from agents.catalogue import breaker_is_open, fallback_chain
from agents.events import event_emit
from agents.models import Agent, KeyConcurrency, ModelAlias, Team
from billing.errors import ProviderRateLimited
from billing.models import Reservation
from billing.services import (
    admission_reserve,
    budget_release,
    budget_settle,
    reservation_renew,
)
from j1msky.api.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from security.models import ApiKey
from security.services import audit_record

logger = logging.getLogger(__name__)

EXPECTED_OUTPUT_TOKENS = 500
PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2}
COST_PLACES = Decimal("0.0001")
REVIEW_PROMPT = (
    "You are step {step} of {steps} in a team. Review the previous answer to the task below, "
    "fix its mistakes and improve it. Reply with the improved answer only.\n\n"
    "Task:\n{task}\n\nPrevious answer:\n{previous}"
)
REVIEW_PROMPT_TOKENS = math.ceil(
    len(REVIEW_PROMPT.format(step=9, steps=9, task="", previous="")) / 4
)


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _cost(tokens_in: int, tokens_out: int, alias: ModelAlias) -> Decimal:
    raw = (
        Decimal(tokens_in) * alias.input_rate / 1000
        + Decimal(tokens_out) * alias.output_rate / 1000
    )
    return raw.quantize(COST_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Plan:
    """The models an admitted run will call, with its cost estimate and worst case."""

    models: list[ModelAlias]
    estimated_cost: Decimal
    worst_case: Decimal
    max_tokens: int

    @property
    def provider_slots(self) -> dict[str, int]:
        slots: dict[str, int] = {}
        for alias in self.models:
            slots[alias.provider_id] = slots.get(alias.provider_id, 0) + 1
        return slots


def plan_costs(models: list[ModelAlias], task: str, max_tokens: int | None) -> Plan:
    """semantics §7.1: input ⌈chars/4⌉; estimate with 500 output tokens; worst case max_tokens.

    A later team step also reads the previous step's output (at most its max_tokens) and the
    review prompt, so its worst-case input grows by those.
    """
    task_tokens = estimate_tokens(task)
    estimated = Decimal(0)
    worst = Decimal(0)
    previous_max = 0
    for position, alias in enumerate(models):
        limit = max_tokens or alias.default_max_tokens
        extra_in = 0 if position == 0 else REVIEW_PROMPT_TOKENS + previous_max
        estimated += _cost(
            task_tokens + (0 if position == 0 else REVIEW_PROMPT_TOKENS + EXPECTED_OUTPUT_TOKENS),
            EXPECTED_OUTPUT_TOKENS,
            alias,
        )
        worst += _cost(task_tokens + extra_in, limit, alias)
        previous_max = limit
    return Plan(
        models=models,
        estimated_cost=estimated,
        worst_case=worst,
        max_tokens=max_tokens or models[0].default_max_tokens,
    )


def model_alias_get(alias: str) -> ModelAlias:
    model = ModelAlias.objects.select_related("provider").filter(pk=alias, enabled=True).first()
    if model is None:
        allowed = ", ".join(ModelAlias.objects.filter(enabled=True).values_list("alias", flat=True))
        raise InvalidInput(
            f"Invalid model: {alias}. Allowed: {allowed}",
            code="validation_error",
            details={"model": [f"Must be one of: {allowed}"]},
        )
    return model


def _waiting_take(api_key: ApiKey | None) -> None:
    """Count one more agent waiting for this key, refused past the per-key cap (§7.1).

    The cap bounds a key's queue; how many of its agents run at once is the claim's business.
    """
    if api_key is None:
        return
    cap = settings.J1MSKY_MAX_WAITING_AGENTS_PER_KEY
    counter = KeyConcurrency.objects.filter(api_key=api_key, waiting__lt=cap)
    taken = counter.update(waiting=F("waiting") + 1)
    if not taken and not KeyConcurrency.objects.filter(api_key=api_key).exists():
        KeyConcurrency.objects.bulk_create([KeyConcurrency(api_key=api_key)], ignore_conflicts=True)
        taken = counter.update(waiting=F("waiting") + 1)
    if not taken:
        raise TooManyRequests(
            f"This key already has {cap} agents waiting to run",
            code="concurrency_limited",
            retry_after=5,
            details={
                "max_waiting_agents": cap,
                "max_concurrent_agents": api_key.max_concurrent_agents,
            },
        )


def _concurrency_give_back(api_key_id: int | None, *, was: str) -> None:
    """The agent left `was` (spawning or running) for a terminal state: free its count."""
    if api_key_id is None:
        return
    field = "running" if was == Agent.Status.RUNNING else "waiting"
    KeyConcurrency.objects.filter(api_key_id=api_key_id).update(
        **{field: Greatest(F(field) - 1, 0)}
    )


def _admit(
    *,
    owner,
    api_key: ApiKey | None,
    candidates: list[list[ModelAlias]],
    task: str,
    max_tokens: int | None,
    holder: str,
) -> tuple[Plan, Reservation]:
    """Try each candidate plan in order; the first whose providers are open and have room wins.

    A full window or an open breaker moves to the next candidate (the fallback chain); a budget
    refusal does not (a cheaper model is the caller's choice to make), it is 402 at once.
    """
    refusal: ProviderRateLimited | None = None
    now = timezone.now()
    for models in candidates:
        if any(breaker_is_open(m.provider, now=now) for m in models):
            continue
        plan = plan_costs(models, task, max_tokens)
        try:
            with transaction.atomic():
                reservation = admission_reserve(
                    owner=owner,
                    api_key=api_key,
                    amount=plan.worst_case,
                    provider_slots=plan.provider_slots,
                    holder=holder,
                    lease_seconds=settings.J1MSKY_RESERVATION_LEASE_SECONDS,
                    now=now,
                )
        except ProviderRateLimited as exc:
            refusal = refusal or exc
            continue
        return plan, reservation
    if refusal is not None:
        raise refusal
    raise TooManyRequests(
        "Every provider for this request has its circuit breaker open",
        code="provider_unavailable",
        retry_after=30,
    )


def _enqueue(agent_id: str) -> None:
    from agents.tasks import run_next_agent

    transaction.on_commit(lambda: run_next_agent.delay(agent_id))


@transaction.atomic
def agent_spawn(
    *,
    owner,
    api_key: ApiKey | None,
    task: str,
    model: str | None = None,
    team: str | None = None,
    priority: str = "normal",
    timeout: int = 300,
    max_tokens: int | None = None,
    fallback: bool = True,
    metadata: dict[str, Any] | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Agent:
    """Admit one agent (a model, or a team) or raise the refusal that says why."""
    agent = Agent(owner=owner, api_key=api_key)
    if team is not None:
        team_row = Team.objects.filter(pk=team, enabled=True).first()
        if team_row is None:
            allowed = ", ".join(Team.objects.filter(enabled=True).values_list("id", flat=True))
            raise InvalidInput(
                f"Unknown team: {team}. Allowed: {allowed}",
                details={"team": [f"One of: {allowed}"]},
            )
        members = [model_alias_get(alias) for alias in team_row.members]
        candidates = [members]
        requested = members[0]
    else:
        requested = model_alias_get(model or "k2p5")
        chain = list(fallback_chain(requested)) if fallback else [requested]
        candidates = [[m] for m in chain if m.enabled]
        team_row = None
    plan, reservation = _admit(
        owner=owner,
        api_key=api_key,
        candidates=candidates,
        task=task,
        max_tokens=max_tokens,
        holder=f"agent:{agent.agent_id}",
    )
    _waiting_take(api_key)
    chosen = plan.models[0]
    agent.model = chosen
    agent.requested_model = requested.alias
    agent.team = team_row
    agent.task = task
    agent.priority = priority
    agent.priority_rank = PRIORITY_RANK[priority]
    agent.timeout = timeout
    agent.max_tokens = plan.max_tokens
    agent.fallback = fallback
    agent.metadata = metadata or {}
    agent.estimated_cost = plan.estimated_cost
    agent.reserved_cost = reservation.amount
    agent.reservation = reservation
    agent.simulated = any(not m.provider.is_configured for m in plan.models)
    agent.steps = (
        [{"step": i + 1, "model": m.alias, "status": "pending"} for i, m in enumerate(plan.models)]
        if team_row
        else []
    )
    agent.save(force_insert=True)
    event_emit(
        type="agent.spawned",
        agent=agent,
        data={
            "agent_id": agent.agent_id,
            "model": chosen.alias,
            "requested_model": requested.alias,
            "team": team_row.id if team_row else None,
            "priority": priority,
            "estimated_cost": agent.estimated_cost,
            "simulated": agent.simulated,
        },
    )
    audit_record(
        event="agent.spawn",
        owner=owner,
        api_key=api_key,
        ip_address=ip_address,
        user_agent=user_agent,
        resource_type="agent",
        resource_id=agent.agent_id,
        details={
            "model": chosen.alias,
            "task_preview": task[:50],
            "estimated_cost": float(agent.estimated_cost),
        },
    )
    _enqueue(agent.agent_id)
    return agent


# --- lifecycle ------------------------------------------------------------------------------------


def _claimable() -> QuerySet[Agent]:
    """Waiting agents a worker may start now, first the one that should start first: highest
    priority, then oldest; an agent whose key runs its `max_concurrent_agents` already waits."""
    return (
        Agent.objects.filter(status=Agent.Status.SPAWNING)
        .filter(
            Q(api_key__isnull=True)
            | Q(api_key__concurrency__running__lt=F("api_key__max_concurrent_agents"))
        )
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
    different agents; on SQLite the write transaction itself serialises them.
    """
    now = timezone.now()
    row = (
        candidates.select_for_update(skip_locked=True, of=("self",))
        .values_list("agent_id", "api_key_id", "api_key__max_concurrent_agents")
        .first()
    )
    if row is None:
        return None
    agent_id, api_key_id, limit = row
    if api_key_id is not None and not KeyConcurrency.objects.filter(
        api_key_id=api_key_id, running__lt=limit
    ).update(running=F("running") + 1, waiting=Greatest(F("waiting") - 1, 0)):
        raise _LostRace()
    if not Agent.objects.filter(agent_id=agent_id, status=Agent.Status.SPAWNING).update(
        status=Agent.Status.RUNNING, started_at=now, heartbeat_at=now, worker=worker
    ):
        raise _LostRace()  # the slot taken above rolls back with it
    agent = Agent.objects.select_related("model__provider", "team", "reservation").get(
        agent_id=agent_id
    )
    _lease_renew(agent, now=now)
    event_emit(
        type="agent.running",
        agent=agent,
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
    from billing.models import LedgerEntry

    now = timezone.now()
    moved = Agent.objects.filter(agent_id=agent.agent_id, status=from_status).update(
        status=status,
        result=result,
        error_type=error_type,
        error_message=error_message[:500],
        completed_at=now,
    )
    if not moved:
        return False
    charged = LedgerEntry.objects.filter(agent_id=agent.agent_id)
    totals = {"input": 0, "output": 0, "cost": 0}
    for row in charged.values("input_tokens", "output_tokens", "cost_micros"):
        totals["input"] += row["input_tokens"]
        totals["output"] += row["output_tokens"]
        totals["cost"] += row["cost_micros"]
    actual = Decimal(totals["cost"]) / Decimal(1_000_000)
    refund = Decimal(0)
    if agent.reservation_id:
        reservation = Reservation.objects.get(pk=agent.reservation_id)
        if status == Agent.Status.COMPLETED:
            closed = budget_settle(reservation=reservation, now=now)
        else:
            closed = budget_release(reservation=reservation, reason=status, now=now)
        refund = closed.refund
    Agent.objects.filter(agent_id=agent.agent_id).update(
        actual_cost=actual,
        input_tokens=totals["input"],
        output_tokens=totals["output"],
        refund=refund,
    )
    _concurrency_give_back(agent.api_key_id, was=from_status)
    agent.refresh_from_db()
    data: dict[str, Any] = {
        "agent_id": agent.agent_id,
        "model": agent.model_id,
        "task": agent.task,
        "result": agent.result,
        "cost": agent.actual_cost,
    }
    if error_type:
        data["error"] = {"type": error_type, "message": error_message[:500]}
    event_emit(type=f"agent.{status}", agent=agent, data=data)
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
    return True


def agent_get(*, owner, agent_id: str) -> Agent:
    agent = (
        Agent.objects.select_related("model__provider", "team")
        .filter(owner=owner, agent_id=agent_id)
        .first()
    )
    if agent is None:
        raise NotFound(f"Agent {agent_id} not found", code="agent_not_found")
    return agent


def agent_cancel(*, owner, agent_id: str, wait_seconds: float = 10.0) -> Agent:
    """Cancel: a waiting agent ends at once; a running one is stopped by its worker.

    Returns the agent once it is terminal (or after `wait_seconds`, still cancelling).
    """
    import time

    agent = agent_get(owner=owner, agent_id=agent_id)
    if agent.is_terminal:
        raise Conflict(f"Agent {agent_id} is already {agent.status}", code="agent_not_cancellable")
    if agent_finish(
        agent=agent,
        status=Agent.Status.CANCELLED,
        error_type="",
        from_status=Agent.Status.SPAWNING,
    ):
        return Agent.objects.get(agent_id=agent_id)
    Agent.objects.filter(agent_id=agent_id, status=Agent.Status.RUNNING).update(
        cancel_requested=True
    )
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        agent = Agent.objects.get(agent_id=agent_id)
        if agent.is_terminal:
            break
        time.sleep(0.1)
    if agent.status in (Agent.Status.COMPLETED, Agent.Status.FAILED):
        raise Conflict(f"Agent {agent_id} is already {agent.status}", code="agent_not_cancellable")
    return agent
