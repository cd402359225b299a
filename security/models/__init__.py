"""The security app's tables: keys, the audit log, the network guards."""

from security.models.audit import AuditLog, AuditSetting
from security.models.keys import ApiKey, ApiKeyQuerySet, hash_secret, new_key_id, new_key_secret
from security.models.network import (
    IpAllowlist,
    IpBlock,
    IpBlockQuerySet,
    SignatureSeen,
    new_block_id,
)

__all__ = [
    "ApiKey",
    "ApiKeyQuerySet",
    "AuditLog",
    "AuditSetting",
    "IpAllowlist",
    "IpBlock",
    "IpBlockQuerySet",
    "SignatureSeen",
    "hash_secret",
    "new_block_id",
    "new_key_id",
    "new_key_secret",
]
