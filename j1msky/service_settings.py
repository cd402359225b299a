"""The service's own settings (`J1MSKY_*`), read from the environment like the rest of
`j1msky.settings`, which imports them all: request limits, money, providers, agents, metrics,
webhooks, security and privacy.
Django's own settings and the infrastructure (database, broker, cache) stay in `settings.py`."""

from decimal import Decimal

import environ

env = environ.Env()

# --- Request rate limits (semantics §6) --------------------------------------------------------

J1MSKY_RATE_LIMITS = {
    "spawn": env.int("J1MSKY_RATE_LIMIT_SPAWN", default=100),
    "agent_read": env.int("J1MSKY_RATE_LIMIT_AGENT_READ", default=1000),
    "agents_list": env.int("J1MSKY_RATE_LIMIT_AGENTS_LIST", default=100),
    "system": env.int("J1MSKY_RATE_LIMIT_SYSTEM", default=60),
    "default": env.int("J1MSKY_RATE_LIMIT_DEFAULT", default=1000),
}
J1MSKY_IP_RATE_LIMIT = env.int("J1MSKY_IP_RATE_LIMIT", default=5000)
J1MSKY_AUTH_FAILURE_LIMIT = env.int("J1MSKY_AUTH_FAILURE_LIMIT", default=20)
J1MSKY_AUTH_LOCKOUT_SECONDS = env.int("J1MSKY_AUTH_LOCKOUT_SECONDS", default=900)
J1MSKY_TRUSTED_PROXIES = env.list("J1MSKY_TRUSTED_PROXIES", default=[])
J1MSKY_IDEMPOTENCY_TTL_HOURS = 24

# --- Money --------------------------------------------------------------------------------------

J1MSKY_DAILY_BUDGET = Decimal(env("J1MSKY_DAILY_BUDGET", default="50.00"))

# --- Providers (DESIGN.md, Providers) -----------------------------------------------------------

J1MSKY_PROVIDERS = {
    name: {
        "api_key": env(f"J1MSKY_{name}_API_KEY", default=""),
        "base_url": env(f"J1MSKY_{name}_BASE_URL", default=""),
    }
    for name in ("ANTHROPIC", "KIMI", "MINIMAX", "OPENAI")
}

# Seconds per token of the labelled `simulated` backend (providers without a key).
J1MSKY_SIMULATED_TOKEN_DELAY = env.float("J1MSKY_SIMULATED_TOKEN_DELAY", default=0.01)
# Agents of one key waiting to run, beyond which a spawn is 429 concurrency_limited (§7.1).
J1MSKY_MAX_WAITING_AGENTS_PER_KEY = env.int("J1MSKY_MAX_WAITING_AGENTS_PER_KEY", default=500)
# Lease on a running agent's budget reservation; renewed while it runs, reaped when it lapses.
J1MSKY_RESERVATION_LEASE_SECONDS = env.int("J1MSKY_RESERVATION_LEASE_SECONDS", default=120)

# --- Metrics: a scrape token besides admin keys; seconds between request-count writes ----------
J1MSKY_METRICS_TOKEN = env("J1MSKY_METRICS_TOKEN", default="")
J1MSKY_METRICS_FLUSH_SECONDS = env.float("J1MSKY_METRICS_FLUSH_SECONDS", default=5.0)

# --- The operations dashboard (docs/operations.md, "The admin"): seconds between its refreshes --
J1MSKY_DASHBOARD_REFRESH_SECONDS = env.int("J1MSKY_DASHBOARD_REFRESH_SECONDS", default=10)

# --- Webhooks (semantics §11; each variable in .env.example and docs/operations.md) -------------
J1MSKY_WEBHOOK_ALLOW_HTTP = env.bool("J1MSKY_WEBHOOK_ALLOW_HTTP", default=False)
J1MSKY_WEBHOOK_ALLOWED_NETWORKS = env.list("J1MSKY_WEBHOOK_ALLOWED_NETWORKS", default=[])
J1MSKY_WEBHOOK_TIMEOUT_SECONDS = env.float("J1MSKY_WEBHOOK_TIMEOUT_SECONDS", default=15.0)
J1MSKY_WEBHOOK_SENDERS = env.int("J1MSKY_WEBHOOK_SENDERS", default=4)
J1MSKY_WEBHOOK_LOG_RETENTION_DAYS = env.int("J1MSKY_WEBHOOK_LOG_RETENTION_DAYS", default=30)

# --- Security and privacy (semantics §12, §13; docs/operations.md "Security") -------------------
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
