"""Billing writes: admission (budget reservations, provider windows), settlement, the ledger.

What spawning calls:

- `admission_reserve(...)`: take provider-window slots and reserve the worst-case cost against
  the global and per-key budget day, all or nothing, inside the caller's transaction.
- `reservation_renew(...)` while the run works; `ledger_record(...)` once per provider call;
  `budget_settle(...)` when it ends, `budget_release(...)` when it fails or is cancelled.
- `window_take(...)` for a retry or a run-time fallback (another provider call).

Lock order, to keep PostgreSQL free of deadlocks: reservation → provider windows (by provider
id) → budget day → key budget day → the ledger's (day, model) rollup.
"""

from billing.services.admission import admission_reserve, budget_reserve
from billing.services.budget import budget_set
from billing.services.ledger import ledger_record
from billing.services.reservations import (
    DEFAULT_LEASE_SECONDS,
    budget_release,
    budget_settle,
    reservation_reap,
    reservation_renew,
)
from billing.services.windows import WindowSlots, window_take

__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "WindowSlots",
    "admission_reserve",
    "budget_release",
    "budget_reserve",
    "budget_set",
    "budget_settle",
    "ledger_record",
    "reservation_reap",
    "reservation_renew",
    "window_take",
]
