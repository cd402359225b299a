"""Agent and catalogue reads."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from agents.errors import AgentNotFound, InvalidModel, UnknownTeam
from agents.models import Agent, ModelAlias, Provider, Team
from billing.clock import budget_day
from billing.models import LedgerEntry
from j1msky.money import from_micros
from j1msky.selectors import heartbeat_cutoff


def model_alias_enabled_count() -> int:
    return ModelAlias.objects.filter(enabled=True).count()


def model_alias_names() -> list[str]:
    """The aliases a spawn may name now (the enabled ones), in catalogue order."""
    rows = ModelAlias.objects.filter(enabled=True).order_by("position", "alias")
    return list(rows.values_list("alias", flat=True))


def team_names() -> list[str]:
    """The teams a spawn may name now (the enabled ones)."""
    return list(Team.objects.filter(enabled=True).order_by("id").values_list("id", flat=True))


def model_catalogue() -> dict[str, ModelAlias]:
    """Every model alias with its provider, by alias, in the catalogue's order: a handful of
    rows, read in one query."""
    return {model.alias: model for model in ModelAlias.objects.select_related("provider")}


def model_alias_get(alias: str, *, catalogue: dict[str, ModelAlias]) -> ModelAlias:
    """An enabled model alias of `catalogue` (`model_catalogue()`); 400 naming the allowed ones
    otherwise."""
    model = catalogue.get(alias)
    if model is None or not model.enabled:
        raise InvalidModel(alias, [name for name, m in catalogue.items() if m.enabled])
    return model


def team_get(team_id: str) -> Team:
    team = Team.objects.filter(pk=team_id, enabled=True).first()
    if team is None:
        raise UnknownTeam(
            team_id, list(Team.objects.filter(enabled=True).values_list("id", flat=True))
        )
    return team


def model_alias_list() -> QuerySet[ModelAlias]:
    return ModelAlias.objects.select_related("provider").order_by("position", "alias")


def team_list() -> QuerySet[Team]:
    return Team.objects.order_by("id")


def team_step_models(aliases: list[str]) -> list[str]:
    """Model aliases as `provider/upstream-model`, in the order given (one query)."""
    names = dict(
        (alias.alias, alias.qualified_name)
        for alias in ModelAlias.objects.select_related("provider").filter(alias__in=aliases)
    )
    return [names[alias] for alias in aliases]


def agent_list_meta(agents: QuerySet[Agent]) -> tuple[dict, int]:
    """`meta` of an agent list (the whole filtered set's cost and its count per model) and the
    set's size, from one grouped query: the count per model adds up to the size, the cost per
    model to the total cost."""
    groups = list(
        agents.order_by()
        .values_list("model_id")
        .annotate(n=Count("pk"), cost=Sum("actual_cost"))
        .values_list("model_id", "n", "cost")
    )
    total = sum((cost or Decimal("0") for _, _, cost in groups), Decimal("0"))
    by_model = {model: n for model, n, _ in groups}
    size = sum(n for _, n, _ in groups)
    return {"total_cost": total, "by_model": dict(sorted(by_model.items()))}, size


def provider_limits() -> list[tuple[str, int]]:
    """Every provider's id and hourly limit, in catalogue order (what billing's windows need)."""
    return list(Provider.objects.order_by("position", "id").values_list("id", "hourly_limit"))


def agent_health_stats() -> dict[str, float | int]:
    """What `/health` reports of the agents (semantics §9)."""
    return {"error_rate": agent_error_rate(), "models_configured": model_alias_enabled_count()}


def agent_error_rate(*, now=None, window: timedelta = timedelta(hours=1)) -> float:
    """Failed / finished agent runs whose run ended within the window (0.0 when none ended)."""
    now = now or timezone.now()
    counts = Agent.objects.filter(
        completed_at__gte=now - window,
        status__in=[Agent.Status.COMPLETED, Agent.Status.FAILED],
    ).aggregate(finished=Count("pk"), failed=Count("pk", filter=Q(status=Agent.Status.FAILED)))
    if not counts["finished"]:
        return 0.0
    return round(counts["failed"] / counts["finished"], 4)


def agent_get(*, owner, agent_id: str) -> Agent:
    """The owner's agent (404 for another owner's: it does not exist for this caller)."""
    agent = (
        Agent.objects.select_related("model__provider", "team")
        .filter(owner=owner, agent_id=agent_id)
        .first()
    )
    if agent is None:
        raise AgentNotFound(agent_id)
    return agent


def agent_list(*, owner) -> QuerySet[Agent]:
    return Agent.objects.filter(owner=owner).order_by("-created_at", "-agent_id")


def agent_active_list(*, owner) -> QuerySet[Agent]:
    return agent_list(owner=owner).filter(status__in=[Agent.Status.SPAWNING, Agent.Status.RUNNING])


def reservation_holders_alive(holders: list[str], *, now=None) -> set[str]:
    """The reservation holders (`agent:<id>`) whose agent still needs its money: billing's
    reaper asks this before it releases a reservation whose lease lapsed."""
    ids = [h.removeprefix("agent:") for h in holders if h.startswith("agent:")]
    return {f"agent:{agent_id}" for agent_id in agent_live_ids(ids, now=now)}


def agent_live_ids(agent_ids: list[str], *, now=None) -> set[str]:
    """The agents that still need their budget reservation: waiting in the queue, or running
    with a fresh heartbeat from the process that runs them."""
    fresh = heartbeat_cutoff(now or timezone.now())
    return set(
        Agent.objects.filter(agent_id__in=agent_ids)
        .filter(
            Q(status=Agent.Status.SPAWNING)
            | Q(status=Agent.Status.RUNNING, heartbeat_at__gte=fresh)
        )
        .values_list("agent_id", flat=True)
    )


def owner_cost_today(*, owner, now=None) -> Decimal:
    """The owner's ledger spend on today's budget day (4 dp)."""
    micros = LedgerEntry.objects.filter(
        owner=owner, day=budget_day(now or timezone.now())
    ).aggregate(total=Sum("cost_micros"))["total"]
    return from_micros(micros or 0)


AGENT_EXPORT_FIELDS = (
    "agent_id",
    "model_id",
    "requested_model",
    "team_id",
    "status",
    "priority",
    "task",
    "result",
    "steps",
    "metadata",
    "error_type",
    "error_message",
    "estimated_cost",
    "actual_cost",
    "input_tokens",
    "output_tokens",
    "simulated",
    "created_at",
    "started_at",
    "completed_at",
    "detect_pii",
    "mask_pii",
    "pii_detected",
    "retention_days",
    "content_expires_at",
    "content_erased_at",
)


def agent_export_list(owner) -> list[dict]:
    """Every agent of the owner with its content in clear (`GET /privacy/export`)."""
    return list(
        Agent.objects.filter(owner=owner).order_by("created_at").values(*AGENT_EXPORT_FIELDS)
    )


def agent_recent(*, limit: int = 10) -> list[Agent]:
    """Every owner's latest agents (the operations dashboard), newest first."""
    return list(Agent.objects.select_related("owner").order_by("-created_at", "-agent_id")[:limit])
