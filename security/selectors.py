"""Security reads: keys, the allowlist, blocks, the audit log."""

from django.db.models import QuerySet

from security.errors import BlockNotFound, KeyNotFound
from security.models import ApiKey, AuditLog, IpAllowlist, IpBlock


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


def allowlist_get() -> IpAllowlist:
    """The saved allowlist (an unsaved default when none was ever saved)."""
    return IpAllowlist.objects.filter(pk=1).first() or IpAllowlist()


def ip_block_list() -> QuerySet[IpBlock]:
    return IpBlock.objects.order_by("-created_at", "-id")


def ip_block_get(block_id: str) -> IpBlock:
    block = IpBlock.objects.filter(block_id=block_id).first()
    if block is None:
        raise BlockNotFound(block_id)
    return block


def audit_log_list(*, owner) -> QuerySet[AuditLog]:
    """A staff owner sees every row; any other owner the rows about itself."""
    rows = AuditLog.objects.all() if owner.is_staff else AuditLog.objects.filter(owner=owner)
    return rows.order_by("-timestamp", "-id")
