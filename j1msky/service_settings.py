"""The service's own settings (`J1MSKY_*`), read from the environment like the rest of
`j1msky.settings`, which imports them all: request limits, money, providers, agents, metrics.
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

# --- Webhooks (semantics §11; each variable in .env.example and docs/operations.md) -------------
J1MSKY_WEBHOOK_ALLOW_HTTP = env.bool("J1MSKY_WEBHOOK_ALLOW_HTTP", default=False)
J1MSKY_WEBHOOK_ALLOWED_NETWORKS = env.list("J1MSKY_WEBHOOK_ALLOWED_NETWORKS", default=[])
J1MSKY_WEBHOOK_TIMEOUT_SECONDS = env.float("J1MSKY_WEBHOOK_TIMEOUT_SECONDS", default=15.0)
J1MSKY_WEBHOOK_SENDERS = env.int("J1MSKY_WEBHOOK_SENDERS", default=4)
J1MSKY_WEBHOOK_LOG_RETENTION_DAYS = env.int("J1MSKY_WEBHOOK_LOG_RETENTION_DAYS", default=30)
