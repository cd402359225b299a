"""List filters for endpoints and the delivery log (the shared list machinery, semantics §5)."""

from j1msky.api.filtering import ListFilterSet
from webhooks.models import Delivery, WebhookEndpoint

CHOICE = ["eq", "ne", "in"]
RANGE = ["gt", "gte", "lt", "lte"]


class WebhookFilterSet(ListFilterSet):
    class Meta:
        model = WebhookEndpoint
        fields: list = []
        ops = {
            "status": CHOICE,
            "url": ["eq", "contains", "starts_with"],
            "created_at": RANGE,
        }
        sort_fields = {"created_at": "created_at"}


class DeliveryFilterSet(ListFilterSet):
    class Meta:
        model = Delivery
        fields: list = []
        ops = {
            "status": CHOICE,
            "event": ["eq", "in", "starts_with"],
            "created_at": RANGE,
        }
        field_map = {"event": "event_type"}
        sort_fields = {"created_at": "created_at"}
