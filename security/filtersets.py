from j1msky.api.filtering import DateTimeFilter, ListFilterSet
from security.models import ApiKey


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
