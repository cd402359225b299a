"""`GET /models` and `GET /teams`: the catalogue a caller chooses from, as it stands now."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers

from agents.catalogue import breaker_reported_state
from agents.filtersets import ModelAliasFilterSet, TeamFilterSet
from agents.models import ModelAlias, Team
from agents.selectors import model_alias_list, provider_limits, team_list, team_step_models
from billing.selectors import provider_window_list
from j1msky.api.views import ReadOnlyViewSet

ALIAS = OpenApiParameter("alias", str, OpenApiParameter.PATH, description="e.g. `k2p5`")
TEAM_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="e.g. `team_coding`")


class RatesSerializer(serializers.Serializer):
    input = serializers.DecimalField(max_digits=None, decimal_places=6, source="input_rate")
    output = serializers.DecimalField(max_digits=None, decimal_places=6, source="output_rate")
    blended = serializers.DecimalField(max_digits=None, decimal_places=6, source="blended_rate")


class WindowSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    reset_at = serializers.DateTimeField()


class ModelAliasSerializer(serializers.ModelSerializer):
    """A model alias with its provider's state now (the window and breaker are shared by every
    alias of the provider). `backend` is `simulated` while the provider has no API key."""

    alias = serializers.CharField(help_text="What a spawn names: `k2p5`, `minimax-m2.5`, …")
    provider = serializers.CharField(source="provider_id")
    rates = serializers.SerializerMethodField(help_text="USD per 1K tokens.")
    fallback = serializers.CharField(source="fallback_id", allow_null=True)
    hourly_window = serializers.SerializerMethodField()
    breaker_state = serializers.SerializerMethodField()
    backend = serializers.SerializerMethodField()

    class Meta:
        model = ModelAlias
        fields = [
            "alias",
            "provider",
            "upstream_model",
            "rates",
            "default_max_tokens",
            "fallback",
            "hourly_window",
            "breaker_state",
            "enabled",
            "backend",
        ]

    def _windows(self) -> dict:
        if "windows" not in self.context:
            windows = provider_window_list(providers=provider_limits())
            self.context["windows"] = {window.provider: window for window in windows}
        return self.context["windows"]

    @extend_schema_field(RatesSerializer)
    def get_rates(self, alias) -> dict:
        return RatesSerializer(alias).data

    @extend_schema_field(WindowSerializer)
    def get_hourly_window(self, alias) -> dict:
        return WindowSerializer(self._windows()[alias.provider_id]).data

    @extend_schema_field(serializers.ChoiceField(["closed", "open", "half_open"]))
    def get_breaker_state(self, alias) -> str:
        return breaker_reported_state(alias.provider)

    @extend_schema_field(serializers.ChoiceField(["live", "simulated"]))
    def get_backend(self, alias) -> str:
        return "live" if alias.provider.is_configured else "simulated"


class TeamSerializer(serializers.ModelSerializer):
    """A team: its members (model aliases) in step order, and those models as
    `provider/upstream-model`."""

    models = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["id", "name", "members", "models", "enabled"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_models(self, team) -> list[str]:
        return team_step_models(team.members)


@extend_schema_view(
    list=extend_schema(summary="Model aliases and their providers' state"),
    retrieve=extend_schema(summary="One model alias", parameters=[ALIAS]),
)
class ModelAliasViewSet(ReadOnlyViewSet):
    required_scope = "agents:read"
    lookup_field = "alias"
    serializer_class = ModelAliasSerializer
    filterset_class = ModelAliasFilterSet
    default_sort = "position"

    def get_queryset(self):
        return model_alias_list()


@extend_schema_view(
    list=extend_schema(summary="Teams"),
    retrieve=extend_schema(summary="One team", parameters=[TEAM_ID]),
)
class TeamViewSet(ReadOnlyViewSet):
    required_scope = "agents:read"
    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    default_sort = "id"

    def get_queryset(self):
        return team_list()
