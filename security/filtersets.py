import django_filters
from django import forms
from django.utils import timezone

from j1msky.api.filtering import DateTimeFilter, ListFilterSet
from security.models import ApiKey, AuditLog, IpBlock


class ApiKeyFilterSet(ListFilterSet):
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = ApiKey
        fields: list = []
        ops = {
            "key_id": ["eq", "in"],
            "name": ["eq", "ne", "in", "contains", "starts_with", "ends_with"],
            "created_at": ["gt", "gte", "lt", "lte"],
            "last_used_at": ["gt", "gte", "lt", "lte"],
        }
        sort_fields = {"created_at": "created_at", "name": "name"}


class IpAddressFilter(django_filters.CharFilter):
    """An IP address, checked before it reaches a column PostgreSQL types as `inet`."""

    field_class = forms.GenericIPAddressField


class AuditLogFilterSet(ListFilterSet):
    default_sort = "-timestamp"
    after = DateTimeFilter(field_name="timestamp", lookup_expr="gte")
    before = DateTimeFilter(field_name="timestamp", lookup_expr="lt")
    ip_address = IpAddressFilter(field_name="ip_address")

    class Meta:
        model = AuditLog
        fields: list = []
        ops = {
            "event": ["eq", "ne", "in", "starts_with"],
            "severity": ["eq", "ne", "in"],
            "api_key_id": ["eq", "in"],
            "actor": ["eq", "starts_with"],
            "resource_type": ["eq", "in"],
            "resource_id": ["eq", "in"],
            "request_id": ["eq"],
            "timestamp": ["gt", "gte", "lt", "lte"],
        }
        sort_fields = {"timestamp": "timestamp"}


class IpBlockFilterSet(ListFilterSet):
    status = django_filters.ChoiceFilter(
        choices=[("active", "active"), ("expired", "expired"), ("lifted", "lifted")],
        method="status_filter",
    )

    class Meta:
        model = IpBlock
        fields: list = []
        ops = {
            "network": ["eq", "starts_with"],
            "created_at": ["gt", "gte", "lt", "lte"],
            "expires_at": ["gt", "gte", "lt", "lte"],
        }
        sort_fields = {"created_at": "created_at"}

    def status_filter(self, queryset, name, value):
        now = timezone.now()
        if value == "active":
            return queryset.active(now)
        if value == "lifted":
            return queryset.filter(lifted_at__isnull=False)
        return queryset.filter(lifted_at__isnull=True, expires_at__lte=now)
