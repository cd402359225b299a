from django.contrib import admin, messages

from agents.models import Agent, ModelAlias, Provider, Team
from agents.services import agent_cancel
from j1msky.admin import ModelAdmin
from j1msky.errors import Conflict
from security.services import actor_of, audit_record


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
    list_filter = ["status", "model", "team", "priority", "simulated"]
    search_fields = ["agent_id", "owner__username"]
    actions = ["cancel_agents"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # runs carry the ledger's and the keys' counts; they end, they stay

    @admin.action(description="Cancel selected agents", permissions=["change"])
    def cancel_agents(self, request, queryset):
        done = skipped = 0
        for agent in queryset.exclude(status__in=Agent.TERMINAL):
            try:
                agent_cancel(owner=agent.owner, agent_id=agent.agent_id, wait_seconds=0)
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
