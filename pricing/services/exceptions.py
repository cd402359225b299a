"""Pricing exceptions: escalated decisions deal desk approves anyway (semantics §10.6), and the
daily exception-aging alert (§14)."""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from j1msky.errors import Conflict, InvalidInput
from j1msky.events import event_emit
from pricing import engine
from pricing.models import Decision, ExceptionAgingAlert, PricingException
from pricing.selectors import exception_open_counts

logger = logging.getLogger(__name__)

DEFAULT_EXCEPTION_APPROVER = "deal-desk"
MAX_LABEL_LENGTH = 100


def _label(value: str | None, field: str, default: str = "") -> str:
    text = (value or "").strip()
    if len(text) > MAX_LABEL_LENGTH:
        message = f"{field} must be at most {MAX_LABEL_LENGTH} characters"
        raise InvalidInput(message, details={field: [message]})
    return text or default


# --- exceptions -------------------------------------------------------------------------------


@transaction.atomic
def exception_create(
    *,
    decision: Decision,
    approver: str | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> PricingException:
    """Deal desk approves an escalated decision anyway (§10.6); emits
    `pricing.exception_created`. The exception belongs to the decision's owner."""
    approver = _label(approver, "approver", DEFAULT_EXCEPTION_APPROVER)
    decision = Decision.objects.select_for_update().select_related("quote").get(pk=decision.pk)
    if decision.decision_status != Decision.Status.ESCALATED:
        raise Conflict(
            f"Decision {decision.decision_id} was approved; only an escalated decision can "
            "become an exception",
            code="decision_not_escalated",
        )
    if PricingException.objects.filter(decision=decision).exists():
        raise Conflict(
            f"Decision {decision.decision_id} already has an exception", code="exception_exists"
        )
    try:
        with transaction.atomic():
            exception = PricingException.objects.create(
                owner=decision.owner,
                decision=decision,
                approver=approver,
                reason=(reason or "").strip(),
                created_at=now or timezone.now(),
            )
    except IntegrityError:
        raise Conflict(
            f"Decision {decision.decision_id} already has an exception", code="exception_exists"
        ) from None
    quote = decision.quote
    event_emit(
        type="pricing.exception_created",
        owner=decision.owner,
        data={
            "exception_id": exception.exception_id,
            "decision_id": decision.decision_id,
            "quote_id": quote.quote_id,
            "approver": exception.approver,
            "reason": exception.reason,
            "opened_at": engine.render_time(exception.created_at),
            "model": quote.model,
            "segment": quote.segment,
            "delivery_type": decision.delivery_type,
            "recommended_price": quote.recommended_price,
            "gross_margin_pct": quote.gross_margin_pct,
            "minimum_margin_pct": quote.minimum_margin_pct,
        },
    )
    return exception


@transaction.atomic
def exception_close(
    *,
    exception: PricingException,
    closed_by: str | None = None,
    resolution: str = "",
    now: datetime | None = None,
) -> PricingException:
    """Close an open exception (compare-and-set: closing twice is a 409)."""
    closed_by = _label(closed_by, "closed_by")
    updated = PricingException.objects.filter(
        pk=exception.pk, status=PricingException.Status.OPEN
    ).update(
        status=PricingException.Status.CLOSED,
        closed_at=now or timezone.now(),
        closed_by=closed_by,
        resolution=(resolution or "").strip(),
    )
    if not updated:
        raise Conflict(
            f"Exception {exception.exception_id} is already closed", code="exception_closed"
        )
    exception.refresh_from_db()
    return exception


@transaction.atomic
def exception_aging_alert_record(
    *, owner, day: date, now: datetime | None = None
) -> ExceptionAgingAlert | None:
    """Record one owner's exception-aging alert for `day` (once a day); None when the owner has
    no open exception. Warning and critical alerts are also logged for operators."""
    existing = ExceptionAgingAlert.objects.filter(owner=owner, day=day).first()
    if existing is not None:
        return existing
    counts = exception_open_counts(owner=owner, now=now)
    if counts.open_exceptions == 0:
        return None
    aging, alert = engine.exception_aging(counts), engine.exception_alert(counts)
    try:
        with transaction.atomic():
            row = ExceptionAgingAlert.objects.create(
                owner=owner,
                day=day,
                open_exceptions=aging["open_exceptions"],
                oldest_days=aging["oldest_days"],
                at_risk_count=aging["at_risk_count"],
                requires_exec_followup=aging["requires_exec_followup"],
                level=alert["level"],
                summary=alert["summary"],
                recommended_action=alert["recommended_action"],
            )
    except IntegrityError:
        return ExceptionAgingAlert.objects.get(owner=owner, day=day)
    if row.level in ("warning", "critical"):
        logger.warning(
            "pricing exception aging %s for owner %s: %s (%s)",
            row.level,
            owner.pk,
            row.summary,
            row.recommended_action,
        )
    return row
