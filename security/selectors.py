from django.db.models import QuerySet

from security.errors import KeyNotFound
from security.models import ApiKey


def api_key_list(*, owner) -> QuerySet[ApiKey]:
    return (
        ApiKey.objects.filter(owner=owner)
        .select_related("rotated_from", "created_by")
        .order_by("-created_at")
    )


def api_key_get(*, owner, key_id: str) -> ApiKey:
    key = api_key_list(owner=owner).filter(key_id=key_id).first()
    if key is None:
        raise KeyNotFound(key_id)
    return key
