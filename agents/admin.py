"""Agents, models, teams and providers in the Django admin.

Agents are read here (filters by status, model, team and cost; the detail shows the steps, the
ledger rows and the events of the run) and cancelled through the service the API calls.
Providers show whether their API key is set, never the key.
"""

from decimal import Decimal

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from agents.models import Agent, ModelAlias, Provider, Team
from agents.services import agent_cancel
from billing.selectors import ledger_entry_list
from j1msky.admin import ModelAdmin
from j1msky.errors import Conflict
from j1msky.money import from_micros
from j1msky.selectors import event_list_for_agent
from security.services import actor_of, audit_record

# (parameter value, label, lowest cost included, highest cost excluded) in USD
COST_BANDS = [
    ("zero", "$0", Decimal("0"), Decimal("0.0001")),
    ("cents", "under $0.10", Decimal("0.0001"), Decimal("0.10")),
    ("dollar", "$0.10 to $1", Decimal("0.10"), Decimal("1")),
    ("more", "$1 and more", Decimal("1"), None),
]


class CostFilter(admin.SimpleListFilter):
    title = "cost"
    parameter_name = "cost"

    def lookups(self, request, model_admin):
        return [(value, label) for value, label, _, _ in COST_BANDS]

    def queryset(self, request, queryset):
        for value, _, low, high in COST_BANDS:
            if self.value() == value:
                queryset = queryset.filter(actual_cost__gte=low)
                return queryset.filter(actual_cost__lt=high) if high is not None else queryset
        return queryset


def _table(headers: list[str], rows: list[tuple]) -> str:
    if not rows:
        return "-"
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


@admin.register(Provider)
class ProviderAdmin(ModelAdmin):
    """Limits and breaker settings are editable; where a provider's calls go is not.

    The adapter, the environment variable names and the default base URL decide where the
    provider's API key and every task's text are sent, so they come from code (migrations) and
    the environment (`J1MSKY_<NAME>_BASE_URL`), never from a form.
    """

    list_display = ["id", "adapter", "configured", "hourly_limit", "breaker_state", "base_url"]
    readonly_fields = [
        "id",
        "adapter",
        "env_name",
        "base_url",
        "breaker_state",
        "breaker_failures",
        "breaker_opened_at",
        "breaker_successes",
        "breaker_probe_started_at",
    ]

    @admin.display(boolean=True, description="key set (else simulated)")
    def configured(self, obj):
        return obj.is_configured

    def has_add_permission(self, request):
        return False  # providers come with the code (a data migration) that speaks to them

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ModelAlias)
class ModelAliasAdmin(ModelAdmin):
    list_display = [
        "alias",
        "provider",
        "upstream_model",
        "input_rate",
        "output_rate",
        "blended_rate",
        "default_max_tokens",
        "fallback",
        "enabled",
    ]
    list_editable = ["enabled"]


@admin.register(Team)
class TeamAdmin(ModelAdmin):
    list_display = ["id", "name", "members", "enabled"]


@admin.register(Agent)
class AgentAdmin(ModelAdmin):
    list_display = [
        "agent_id",
        "owner",
        "model",
        "team",
        "status",
        "priority",
        "actual_cost",
        "simulated",
        "created_at",
    ]
    list_filter = ["status", "model", "team", CostFilter, "priority", "simulated"]
    search_fields = ["agent_id", "owner__username", "api_key__key_id", "model__alias", "team__id"]
    list_select_related = ["owner"]
    actions = ["cancel_agents"]
    RECORDS = ["step_list", "usage", "events"]

    def get_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "steps"] + self.RECORDS

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + self.RECORDS

    @admin.display(description="steps")
    def step_list(self, obj: Agent):
        rows = [
            (
                i,
                step.get("model", ""),
                step.get("status", ""),
                (step.get("usage") or {}).get("input_tokens", "-"),
                (step.get("usage") or {}).get("output_tokens", "-"),
                step.get("completed", "-"),
            )
            for i, step in enumerate(obj.steps or [], start=1)
        ]
        return _table(["step", "model", "status", "input", "output", "completed"], rows)

    @admin.display(description="usage (ledger)")
    def usage(self, obj: Agent):
        rows = [
            (
                entry.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                entry.step or "-",
                entry.model,
                entry.provider,
                entry.input_tokens,
                entry.output_tokens,
                f"${from_micros(entry.cost_micros)}",
                "yes" if entry.simulated else "no",
            )
            for entry in ledger_entry_list(agent_id=obj.agent_id)
        ]
        headers = ["at", "step", "model", "provider", "input", "output", "cost", "simulated"]
        return _table(headers, rows)

    @admin.display(description="events")
    def events(self, obj: Agent):
        rows = [
            (event.id, event.created_at.strftime("%Y-%m-%d %H:%M:%S"), event.type)
            for event in event_list_for_agent(agent_id=obj.agent_id)
        ]
        return _table(["id", "at", "type"], rows)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # runs carry the ledger's and the keys' counts; they end, they stay

    @admin.action(description="Cancel selected agents", permissions=["change"])
    def cancel_agents(self, request, queryset):
        done = skipped = 0
        for agent in queryset.exclude(status__in=Agent.TERMINAL):
            try:
                agent_cancel(owner=agent.owner, agent_id=agent.agent_id)
            except Conflict:  # it ended meanwhile
                skipped += 1
                continue
            audit_record(
                event="admin.action",
                owner=agent.owner,
                actor=actor_of(user=request.user),
                resource_type="agent",
                resource_id=agent.agent_id,
                details={"action": "cancel"},
            )
            done += 1
        message = f"Cancellation requested for {done} agent(s)."
        if skipped:
            message += f" {skipped} had already ended."
        self.message_user(request, message, messages.INFO)
