"""`GET /events`: the event feed, cursor-paginated, oldest first (semantics §7.6)."""

from __future__ import annotations

from rest_framework import serializers

from j1msky.api.filtering import ListFilterSet
from j1msky.api.views import ListViewSet
from j1msky.models import Event
from j1msky.selectors import event_list


class EventSerializer(serializers.ModelSerializer):
    agent_id = serializers.CharField(allow_null=True)
    data = serializers.DictField(read_only=True)

    class Meta:
        model = Event
        fields = ["id", "type", "created_at", "agent_id", "data"]


class EventFilterSet(ListFilterSet):
    default_sort = "id"

    class Meta:
        model = Event
        fields: list = []
        ops = {
            "type": ["eq", "in", "starts_with"],
            "agent_id": ["eq", "in"],
            "created_at": ["gt", "gte", "lt", "lte"],
            "id": ["gt", "gte"],
        }
        sort_fields = {"id": "id"}


class EventViewSet(ListViewSet):
    """The caller's owner's events; each page's `pagination.cursor` fetches the next."""

    required_scope = "agents:read"
    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    cursor_only = True
    default_sort = "id"

    def get_queryset(self):
        return event_list(owner=self.request.user)
