"""Security and privacy settings (semantics §12, §13; docs/operations.md "Security"), read from
the environment like the rest; `j1msky/settings.py` imports them all. Every variable is listed in
`.env.example`.
"""

from decimal import Decimal

import environ

env = environ.Env()

__all__ = [
    "J1MSKY_ALLOWED_IPS",
    "J1MSKY_COST_SPIKE_LIMIT",
    "J1MSKY_ENCRYPT_CONTENT",
    "J1MSKY_LEGACY_V3",
    "J1MSKY_REQUIRE_SIGNED_REQUESTS",
    "J1MSKY_RETENTION_DAYS",
    "SECURITY_BEAT_SCHEDULE",
]

# The IP allowlist from the environment (CIDRs or single IPs, v4/v6, comma-separated): enforced
# on every route but /health whenever set; PUT /security/ip-whitelist can only add to it.
J1MSKY_ALLOWED_IPS = env.list("J1MSKY_ALLOWED_IPS", default=[])
# Every request must be signed (X-Timestamp, X-Signature), not only those of keys that require it.
J1MSKY_REQUIRE_SIGNED_REQUESTS = env.bool("J1MSKY_REQUIRE_SIGNED_REQUESTS", default=False)
# Task and result text, and the event data and audit details that may quote them, sealed at rest
# with AES-256-GCM under the data key (J1MSKY_DATA_KEY, or <data dir>/data_key).
J1MSKY_ENCRYPT_CONTENT = env.bool("J1MSKY_ENCRYPT_CONTENT", default=True)
# Days an agent's task and result are kept after it ends (per spawn: privacy.retention_days).
J1MSKY_RETENTION_DAYS = env.int("J1MSKY_RETENTION_DAYS", default=30)
# A key whose ledger spend over the trailing 60 minutes exceeds this (USD) is suspended.
J1MSKY_COST_SPIKE_LIMIT = Decimal(env("J1MSKY_COST_SPIKE_LIMIT", default="100.00"))
# The sunset v3 endpoints: `gone` answers 410; `serve` maps them onto v4 (same headers).
J1MSKY_LEGACY_V3 = env("J1MSKY_LEGACY_V3", default="gone")

SECURITY_BEAT_SCHEDULE = {
    # Each minute: blocks that ran out are audited; signatures past their window are forgotten.
    "security-expire": {"task": "security.tasks.security_expire", "schedule": 60.0},
    # Hourly: audit rows past the configured retention_days.
    "audit-retention": {"task": "security.tasks.audit_retention_purge", "schedule": 3600.0},
    # Hourly: task and result text of ended agents past their retention_days (cost rows stay).
    "content-retention": {"task": "agents.tasks.erase_expired_content", "schedule": 3600.0},
}
