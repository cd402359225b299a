"""Security writes: keys (`keys`), the audit log (`audit`), the network guards (`network`)."""

from security.services.audit import (
    AUDIT_CONFIG_FIELDS,
    actor_of,
    audit_content_erase,
    audit_record,
    audit_retention_purge,
    audit_setting_get,
    audit_setting_set,
)
from security.services.keys import (
    api_key_create,
    api_key_descendants,
    api_key_reinstate,
    api_key_revoke,
    api_key_rotate,
    api_key_suspend,
    api_key_touch,
    new_signing_secret,
)
from security.services.network import (
    Allowlist,
    allowlist_in_force,
    allowlist_set,
    ip_block_create,
    ip_block_lift,
    ip_block_matching,
    ip_blocks_expire,
    network_parse,
    protection_fired,
)

__all__ = [
    "AUDIT_CONFIG_FIELDS",
    "Allowlist",
    "actor_of",
    "allowlist_in_force",
    "allowlist_set",
    "api_key_create",
    "api_key_descendants",
    "api_key_reinstate",
    "api_key_revoke",
    "api_key_rotate",
    "api_key_suspend",
    "api_key_touch",
    "audit_content_erase",
    "audit_record",
    "audit_retention_purge",
    "audit_setting_get",
    "audit_setting_set",
    "ip_block_create",
    "ip_block_lift",
    "ip_block_matching",
    "ip_blocks_expire",
    "network_parse",
    "new_signing_secret",
    "protection_fired",
]
