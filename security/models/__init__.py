"""The security app's tables: keys, the audit log, the network guards."""

from security.models.audit import AUDIT_EVENTS, AuditLog, AuditSetting, default_audit_events
from security.models.keys import ApiKey, ApiKeyQuerySet, hash_secret, new_key_id, new_key_secret
from security.models.network import (
    IpAllowlist,
    IpBlock,
    IpBlockQuerySet,
    SignatureSeen,
    new_block_id,
)

__all__ = [
    "AUDIT_EVENTS",
    "ApiKey",
    "ApiKeyQuerySet",
    "AuditLog",
    "AuditSetting",
    "IpAllowlist",
    "IpBlock",
    "IpBlockQuerySet",
    "SignatureSeen",
    "default_audit_events",
    "hash_secret",
    "new_block_id",
    "new_key_id",
    "new_key_secret",
]
