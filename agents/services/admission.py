"""Admission (semantics §7.1): spawn, spawn-team and spawn-batch.

One transaction per agent: the model (or, with `fallback`, the first along the chain whose
provider's breaker is closed and whose window has room) takes its window slots, the worst case
is reserved against the day's and the key's budget, the agent joins its key's queue, and the row
and its event are written. The run message is sent only after that commits.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from agents import counters
from agents.catalogue import breaker_is_open, breaker_wait_seconds, fallback_chain
from agents.errors import ConcurrencyLimited, ProviderUnavailable
from agents.messages import run_message_send_on_commit
from agents.models import Agent, KeyConcurrency, ModelAlias
from agents.selectors import model_alias_get, model_catalogue, team_get
from agents.services.planning import Plan, plan_costs
from agents.services.privacy import privacy_fields
from billing.errors import ProviderRateLimited
from billing.models import Reservation
from billing.services import WindowSlots, admission_reserve
from j1msky.errors import DomainError, ServiceUnavailable, TooManyRequests
from j1msky.events import event_emit
from security.models import ApiKey
from security.privacy import content_preview
from security.services import audit_record

logger = logging.getLogger(__name__)

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2}


@dataclass(frozen=True)
class PrivacyOptions:
    """A spawn's `privacy` (semantics §12.6); `retention_days` None means the server's default."""

    detect_pii: bool = False
    mask_pii_in_logs: bool = False
    encrypt_output: bool | None = None
    retention_days: int | None = None


@dataclass(frozen=True)
class SpawnRequest:
    """One agent to admit, as the API validated it: a model, or a team."""

    task: str
    model: str | None = None
    team: str | None = None
    priority: str = "normal"
    timeout: int = 300
    max_tokens: int | None = None
    fallback: bool = True
    metadata: dict[str, Any] = field(default_factory=dict)
    privacy: PrivacyOptions = field(default_factory=PrivacyOptions)


@dataclass(frozen=True)
class Caller:
    """Who asks: the owner, the key, and where the request came from (for the audit row)."""

    owner: Any
    api_key: ApiKey | None
    ip_address: str | None = None
    user_agent: str = ""


def _waiting_take(api_key: ApiKey | None) -> None:
    """Count one more agent waiting for this key, refused past the per-key cap (§7.1).

    The cap bounds a key's queue; how many of its agents run at once is the claim's business.
    """
    if api_key is None:
        return
    cap = settings.J1MSKY_MAX_WAITING_AGENTS_PER_KEY
    taken = counters.waiting_take(api_key_id=api_key.pk, cap=cap)
    if not taken and not KeyConcurrency.objects.filter(api_key=api_key).exists():
        KeyConcurrency.objects.bulk_create([KeyConcurrency(api_key=api_key)], ignore_conflicts=True)
        taken = counters.waiting_take(api_key_id=api_key.pk, cap=cap)
    if not taken:
        raise ConcurrencyLimited(max_waiting=cap, max_concurrent=api_key.max_concurrent_agents)


def _windows(plan: Plan) -> list[WindowSlots]:
    limits = {alias.provider_id: alias.provider.hourly_limit for alias in plan.models}
    return [WindowSlots(p, calls, limits[p]) for p, calls in plan.provider_calls.items()]


def _admit(
    *,
    caller: Caller,
    candidates: list[list[ModelAlias]],
    task: str,
    max_tokens: int | None,
    holder: str,
) -> tuple[Plan, Reservation]:
    """Try each candidate plan in order; the first whose providers are open and have room wins.

    A full window or an open breaker moves to the next candidate (the fallback chain); a budget
    refusal does not (a cheaper model is the caller's choice to make), it is 402 at once. When
    every candidate is behind an open breaker, `retry_after` is the time until the first of them
    lets a probe through (`breaker_retry_after`).
    """
    refusal: ProviderRateLimited | None = None
    now = timezone.now()
    waits: list[float] = []  # per candidate refused by a breaker: seconds until all let it through
    for models in candidates:
        if any(breaker_is_open(m.provider, now=now) for m in models):
            waits.append(max(breaker_wait_seconds(m.provider, now=now) for m in models))
            continue
        plan = plan_costs(models, task, max_tokens)
        try:
            with transaction.atomic():
                reservation = admission_reserve(
                    owner=caller.owner,
                    api_key=caller.api_key,
                    amount=plan.worst_case,
                    windows=_windows(plan),
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
    # The honest wait: until the first candidate's breakers let a probe through.
    raise ProviderUnavailable(retry_after=max(math.ceil(min(waits, default=1)), 1))


def _candidates(request: SpawnRequest) -> tuple[ModelAlias, list[list[ModelAlias]], Any]:
    """(the requested model, the plans to try in order, the team or None).

    The catalogue is read once, in one query, for the model, its whole fallback chain or every
    member of the team."""
    catalogue = model_catalogue()
    if request.team is not None:
        team = team_get(request.team)
        members = [model_alias_get(alias, catalogue=catalogue) for alias in team.members]
        return members[0], [members], team
    requested = model_alias_get(request.model or "k2p5", catalogue=catalogue)
    if not request.fallback:
        return requested, [[requested]], None
    chain = list(fallback_chain(requested, catalogue=catalogue))
    return requested, [[m] for m in chain if m.enabled], None


def _agent_record(
    agent: Agent,
    *,
    request: SpawnRequest,
    requested: ModelAlias,
    team,
    plan: Plan,
    reservation: Reservation,
) -> None:
    agent.model = plan.models[0]
    agent.requested_model = requested.alias
    agent.team = team
    agent.task = request.task
    agent.priority = request.priority
    agent.priority_rank = PRIORITY_RANK[request.priority]
    agent.timeout = request.timeout
    agent.max_tokens = plan.max_tokens
    agent.fallback = request.fallback
    agent.metadata = request.metadata or {}
    agent.estimated_cost = plan.estimated_cost
    agent.reserved_cost = reservation.amount
    agent.reservation = reservation
    agent.simulated = any(not m.provider.is_configured for m in plan.models)
    agent.steps = (
        [{"step": i + 1, "model": m.alias, "status": "pending"} for i, m in enumerate(plan.models)]
        if team
        else []
    )
    for name, value in privacy_fields(
        request.privacy, task=request.task, now=agent.created_at
    ).items():
        setattr(agent, name, value)
    agent.save(force_insert=True)


@transaction.atomic
def agent_spawn(*, caller: Caller, request: SpawnRequest) -> Agent:
    """Admit one agent (a model, or a team) or raise the refusal that says why."""
    agent = Agent(owner=caller.owner, api_key=caller.api_key)
    requested, candidates, team = _candidates(request)
    plan, reservation = _admit(
        caller=caller,
        candidates=candidates,
        task=request.task,
        max_tokens=request.max_tokens,
        holder=f"agent:{agent.agent_id}",
    )
    _waiting_take(caller.api_key)
    _agent_record(
        agent, request=request, requested=requested, team=team, plan=plan, reservation=reservation
    )
    event_emit(
        type="agent.spawned",
        owner=agent.owner,
        agent_id=agent.agent_id,
        data={
            "agent_id": agent.agent_id,
            "model": agent.model_id,
            "requested_model": requested.alias,
            "team": team.id if team else None,
            "priority": request.priority,
            "estimated_cost": agent.estimated_cost,
            "simulated": agent.simulated,
        },
    )
    audit_record(
        event="agent.spawn",
        owner=caller.owner,
        api_key=caller.api_key,
        ip_address=caller.ip_address,
        user_agent=caller.user_agent,
        resource_type="agent",
        resource_id=agent.agent_id,
        details={
            "model": agent.model_id,
            "task_preview": content_preview(request.task),
            "estimated_cost": float(agent.estimated_cost),
        },
    )
    run_message_send_on_commit(agent.agent_id)
    return agent


def agent_spawn_batch(
    *,
    caller: Caller,
    items: Sequence[SpawnRequest | DomainError],
    allowed: int,
    retry_after: int,
) -> list[Agent | DomainError]:
    """Admit each item of a batch on its own (semantics §7.5): one outcome per item, the agent
    or the error that refused it. Items that failed validation arrive as their error; items
    past `allowed` (the key's remaining spawn requests) are refused as rate limited. Each
    admission is its own savepoint: an item refused, even by the database, keeps the others."""
    outcomes: list[Agent | DomainError] = []
    for index, item in enumerate(items):
        if isinstance(item, DomainError):
            outcomes.append(item)
        elif index >= allowed:
            outcomes.append(TooManyRequests(retry_after=retry_after))
        else:
            outcomes.append(_spawn_one(caller=caller, request=item))
    return outcomes


def _spawn_one(*, caller: Caller, request: SpawnRequest) -> Agent | DomainError:
    try:
        with transaction.atomic():
            return agent_spawn(caller=caller, request=request)
    except DomainError as error:
        return error
    except DatabaseError:
        logger.exception("spawn-batch item failed on the database")
        return ServiceUnavailable("Service temporarily unavailable")
