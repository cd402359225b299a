import django_filters

from agents.models import Agent, ModelAlias, Team
from j1msky.api.filtering import DateTimeFilter, ListFilterSet
from j1msky.errors import InvalidFilter
from j1msky.sealing import content_sealing_enabled

TASK_LOOKUPS = {"task_contains": "icontains", "task_starts_with": "istartswith"}


class AgentFilterSet(ListFilterSet):
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")
    task_contains = django_filters.CharFilter(method="task_filter")
    task_starts_with = django_filters.CharFilter(method="task_filter")

    class Meta:
        model = Agent
        fields: list = []
        ops = {
            "status": ["eq", "ne", "in"],
            "model": ["eq", "ne", "in"],
            "requested_model": ["eq", "ne", "in"],
            "team": ["eq", "ne", "in"],
            "priority": ["eq", "ne", "in"],
            "created_at": ["gt", "gte", "lt", "lte"],
            "cost": ["eq", "gt", "gte", "lt", "lte"],
            "estimated_cost": ["gt", "gte", "lt", "lte"],
            "task": ["contains", "starts_with"],
        }
        field_map = {"model": "model_id", "team": "team_id", "cost": "actual_cost"}
        sort_fields = {
            "created_at": "created_at",
            "cost": "actual_cost",
            "estimated_cost": "estimated_cost",
            "status": "status",
            "priority": "priority_rank",
        }

    @classmethod
    def unavailable_filters(cls) -> frozenset[str]:
        return frozenset(TASK_LOOKUPS) if content_sealing_enabled() else frozenset()

    def task_filter(self, queryset, name, value):
        """Task text is sealed at rest while content encryption is on, and a sealed value cannot
        be searched: the filter then is 400 rather than a scan of every row in clear."""
        if content_sealing_enabled():
            raise InvalidFilter(
                f"'{name}' is unavailable while content is encrypted at rest "
                "(J1MSKY_ENCRYPT_CONTENT)",
                details={name: ["Unavailable while content is encrypted at rest"]},
            )
        return queryset.filter(**{f"task__{TASK_LOOKUPS[name]}": value})


class ModelAliasFilterSet(ListFilterSet):
    default_sort = "position"

    class Meta:
        model = ModelAlias
        fields: list = []
        ops = {"provider": ["eq", "in"], "enabled": ["eq"], "alias": ["eq", "in"]}
        field_map = {"provider": "provider_id"}
        sort_fields = {"position": "position", "alias": "alias"}


class TeamFilterSet(ListFilterSet):
    default_sort = "id"

    class Meta:
        model = Team
        fields: list = []
        ops = {"enabled": ["eq"], "id": ["eq", "in"]}
        sort_fields = {"id": "id"}
