from django.contrib import admin, messages

from agents.models import Agent, Event, ModelAlias, Provider, Team
from agents.services import agent_cancel
from j1msky.api.errors import Conflict


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["id", "adapter", "configured", "hourly_limit", "breaker_state", "base_url"]
    readonly_fields = [
        "breaker_state",
        "breaker_failures",
        "breaker_opened_at",
        "breaker_successes",
        "breaker_probe_started_at",
    ]

    @admin.display(boolean=True, description="key set (else simulated)")
    def configured(self, obj):
        return obj.is_configured


@admin.register(ModelAlias)
class ModelAliasAdmin(admin.ModelAdmin):
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
class TeamAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "members", "enabled"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
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

    @admin.action(description="Cancel selected agents")
    def cancel_agents(self, request, queryset):
        done = skipped = 0
        for agent in queryset.exclude(status__in=Agent.TERMINAL):
            try:
                agent_cancel(owner=agent.owner, agent_id=agent.agent_id, wait_seconds=0)
            except Conflict:  # it ended meanwhile
                skipped += 1
                continue
            done += 1
        message = f"Cancellation requested for {done} agent(s)."
        if skipped:
            message += f" {skipped} had already ended."
        self.message_user(request, message, messages.INFO)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "owner", "agent", "created_at"]
    list_filter = ["type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
