"""Pricing writes: quotes, decisions, exceptions, scenario evaluations, policy versions, daily
reports and exception-aging alerts.

Each service prices with `pricing.engine` over the rate card and policy in force, writes its rows,
and writes its events (`j1msky.events.event_emit`) and audit rows in the same transaction, so a
committed record always has its event and a refused one never does. Engine errors come out as
`InvalidInput` (400, `details` naming the field).
"""

from pricing.services.exceptions import (
    DEFAULT_EXCEPTION_APPROVER,
    exception_aging_alert_record,
    exception_close,
    exception_create,
)
from pricing.services.policy import pricing_policy_update, pricing_policy_validate
from pricing.services.quotes import decision_create, quote_create, scenario_evaluate
from pricing.services.reports import pricing_report_store

__all__ = [
    "DEFAULT_EXCEPTION_APPROVER",
    "decision_create",
    "exception_aging_alert_record",
    "exception_close",
    "exception_create",
    "pricing_policy_update",
    "pricing_policy_validate",
    "pricing_report_store",
    "quote_create",
    "scenario_evaluate",
]
