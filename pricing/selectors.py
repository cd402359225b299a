"""Pricing reads: the rate card and policy in force, stored quotes, decisions, exceptions and
evaluations, the day's ledger numbers for health and reports, the orchestrator's previews, and
the calculators that price with what is in force or fall back to stored data when the request
gives none (portfolio, weekly metrics and comparison, exception alert).

`owner=None` means every owner (the system-wide view the orchestrator status shows); the API
always passes the key's owner. Weeks are ISO weeks (Monday to Sunday) and days are budget days,
both in J1MSKY_TIMEZONE.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from agents.models import Agent, ModelAlias
from billing.clock import budget_day, budget_day_start, budget_timezone
from billing.selectors import (
    budget_daily_limit,
    budget_day_list,
    budget_status,
    ledger_model_summary,
)
from j1msky.errors import NotFound
from pricing import engine
from pricing.errors import engine_errors
from pricing.models import (
    Decision,
    PricingException,
    PricingPolicy,
    PricingReport,
    Quote,
    ScenarioEvaluation,
)


def _found(row, message: str, code: str):
    """The row; a 404 `code` with `message` when there is none."""
    if row is None:
        raise NotFound(message, code=code)
    return row


# --- rate card and policy ---------------------------------------------------------------------


def rate_card_current() -> engine.RateCard:
    """The engine rate card of the enabled model aliases, in catalogue order (codex only while
    it is enabled)."""
    rows = ModelAlias.objects.filter(enabled=True).order_by("position", "alias")
    return engine.RateCard(
        {
            row.alias: engine.ModelRate(row.input_rate, row.output_rate, row.blended_rate)
            for row in rows
        }
    )


def rate_card_examples() -> engine.RateCard:
    """The card the fixed status and report examples are priced with: every alias in the
    catalogue, enabled or not, over the reference card (so disabling k2p5 never breaks them)."""
    rates = dict(engine.DEFAULT_RATE_CARD.rates)
    for row in ModelAlias.objects.order_by("position", "alias"):
        rates[row.alias] = engine.ModelRate(row.input_rate, row.output_rate, row.blended_rate)
    return engine.RateCard(rates)


def pricing_policy_current() -> PricingPolicy:
    """The policy version in force (the highest). Version 1 is seeded by a migration."""
    policy = PricingPolicy.objects.order_by("-version").first()
    return _found(policy, "No pricing policy is configured", "pricing_policy_not_found")


def policy_in_force() -> engine.Policy:
    """The engine policy of the version in force."""
    return pricing_policy_current().to_engine()


# --- quotes, decisions, exceptions, evaluations, reports --------------------------------------


def _owned(queryset: QuerySet, owner) -> QuerySet:
    return queryset if owner is None else queryset.filter(owner=owner)


def quote_list(*, owner) -> QuerySet[Quote]:
    return (
        Quote.objects.filter(owner=owner).select_related("decision").order_by("-created_at", "-id")
    )


def quote_get(*, owner, quote_id: str) -> Quote:
    quote = quote_list(owner=owner).filter(quote_id=quote_id).first()
    return _found(quote, f"Quote {quote_id} not found", "quote_not_found")


def decision_list(*, owner) -> QuerySet[Decision]:
    return (
        Decision.objects.filter(owner=owner)
        .select_related("quote", "exception")
        .order_by("-created_at", "-id")
    )


def decision_get(*, owner, decision_id: str) -> Decision:
    decision = decision_list(owner=owner).filter(decision_id=decision_id).first()
    return _found(decision, f"Decision {decision_id} not found", "decision_not_found")


def exception_list(*, owner) -> QuerySet[PricingException]:
    return (
        PricingException.objects.filter(owner=owner)
        .select_related("decision", "decision__quote")
        .order_by("-created_at", "-id")
    )


def exception_get(*, owner, exception_id: str) -> PricingException:
    found = exception_list(owner=owner).filter(exception_id=exception_id).first()
    return _found(found, f"Exception {exception_id} not found", "exception_not_found")


def report_list() -> QuerySet[PricingReport]:
    return PricingReport.objects.order_by("-day")


def report_get(*, day: date) -> PricingReport:
    report = PricingReport.objects.filter(day=day).first()
    message = f"No pricing report stored for {day.isoformat()}"
    return _found(report, message, "report_not_found")


# --- the orchestrator's previews (semantics §8.1) ----------------------------------------------


def decision_latest(*, owner=None) -> Decision | None:
    """The most recent stored decision (`quote_decision_preview` is its `.packet()`)."""
    return _owned(Decision.objects.all(), owner).order_by("-created_at", "-id").first()


def scenario_evaluation_latest(*, owner=None) -> ScenarioEvaluation | None:
    """The most recent stored scenario evaluation (`quote_portfolio_preview` is its
    `.summary()`, `portfolio_alert_preview` its `.alert()`)."""
    return _owned(ScenarioEvaluation.objects.all(), owner).order_by("-created_at", "-id").first()


def iso_week_bounds(
    *, now: datetime | None = None, weeks_ago: int = 0
) -> tuple[datetime, datetime]:
    """[start, end) of an ISO week (Monday 00:00 local time), `weeks_ago` weeks before now's."""
    today = budget_day(now or timezone.now())
    monday = today - timedelta(days=today.weekday() + 7 * weeks_ago)
    return budget_day_start(monday), budget_day_start(monday + timedelta(days=7))


def decision_week_outcomes(
    *, owner=None, now: datetime | None = None, weeks_ago: int = 0
) -> list[engine.DecisionOutcome]:
    """A week's stored decisions as the weekly metrics count them, oldest first."""
    start, end = iso_week_bounds(now=now, weeks_ago=weeks_ago)
    rows = (
        _owned(Decision.objects.filter(created_at__gte=start, created_at__lt=end), owner)
        .order_by("created_at", "id")
        .values_list("decision_status", "quote__gross_margin_pct", "exception__status")
    )
    return [
        engine.DecisionOutcome(
            decision_status=status,
            gross_margin_pct=margin,
            exception_created=exception_status is not None,
            exception_closed=exception_status == PricingException.Status.CLOSED,
        )
        for status, margin, exception_status in rows
    ]


def decision_week_metrics(
    *, owner=None, now: datetime | None = None, weeks_ago: int = 0
) -> dict[str, Any]:
    """`weekly_metrics` over a week's stored decisions (this week's is `weekly_metrics_preview`)."""
    return engine.weekly_metrics(decision_week_outcomes(owner=owner, now=now, weeks_ago=weeks_ago))


def decision_week_comparison(*, owner=None, now: datetime | None = None) -> dict[str, Any]:
    """This ISO week's stored decisions against last week's (`weekly_comparison_preview`)."""
    current, previous = (
        engine.WeekTotals.of(decision_week_metrics(owner=owner, now=now, weeks_ago=weeks_ago))
        for weeks_ago in (0, 1)
    )
    return engine.weekly_comparison(current, previous)


def exception_open_counts(*, owner=None, now: datetime | None = None) -> engine.ExceptionCounts:
    """The counts over the open exceptions."""
    now = now or timezone.now()
    opened = _owned(
        PricingException.objects.filter(status=PricingException.Status.OPEN), owner
    ).values_list("created_at", flat=True)
    return engine.exception_counts(engine.exception_age_days(moment, now) for moment in opened)


def exception_open_aging(*, owner=None, now: datetime | None = None) -> dict[str, Any]:
    """`exception_aging` over the open exceptions (`exception_aging_preview`)."""
    return engine.exception_aging(exception_open_counts(owner=owner, now=now))


def exception_open_alert(*, owner=None, now: datetime | None = None) -> dict[str, Any]:
    """`exception_alert` over the open exceptions (`exception_alert_preview`)."""
    return engine.exception_alert(exception_open_counts(owner=owner, now=now))


def exception_open_owner_ids() -> list[int]:
    """Owners that have at least one open exception, by id."""
    return list(
        PricingException.objects.filter(status=PricingException.Status.OPEN)
        .order_by("owner_id")
        .values_list("owner_id", flat=True)
        .distinct()
    )


# --- the day's ledger (health and reports, semantics §10.9) -----------------------------------


def pricing_day_usage(*, day: date | None = None, now: datetime | None = None) -> engine.DayUsage:
    """One budget day (default today) as `engine.pricing_health` reads it: cost and per-model
    usage from the ledger, the agents that completed that day, the day's budget and its open
    reservations."""
    now = now or timezone.now()
    today = budget_day(now)
    day = day or today
    usage = ledger_model_summary(day=day)
    by_model = {row.model: engine.ModelUsage(row.cost, row.calls) for row in usage}
    start, end = budget_day_start(day), budget_day_start(day + timedelta(days=1))
    tasks = Agent.objects.filter(
        status=Agent.Status.COMPLETED, completed_at__gte=start, completed_at__lt=end
    ).count()
    if day == today:
        status = budget_status(now=now)
        budget, reserved = status.daily_budget, status.reserved
    else:
        row = budget_day_list(start=day, end=day).first()
        budget = row.limit if row is not None else budget_daily_limit()
        reserved = row.reserved if row is not None else Decimal(0)
    return engine.DayUsage(
        daily_cost=sum((row.cost for row in usage), Decimal(0)),
        daily_budget=budget,
        tasks_completed=tasks,
        by_model=by_model,
        reserved=reserved,
    )


def pricing_health(*, day: date | None = None, now: datetime | None = None) -> dict[str, Any]:
    """`GET /pricing/health` for a budget day (default today)."""
    return engine.pricing_health(pricing_day_usage(day=day, now=now))


def pricing_report(*, day: date | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The daily report of a budget day (default today so far); `generated_at` is `now` in
    J1MSKY_TIMEZONE, with its offset."""
    now = now or timezone.now()
    return engine.pricing_report(
        pricing_health(day=day, now=now),
        now.astimezone(budget_timezone()),
        rate_card_examples(),
        policy_in_force(),
    )


def pricing_status() -> dict[str, Any]:
    """`GET /pricing/status`: the policy in force and the fixed example quotes under it."""
    return engine.pricing_status(rate_card_examples(), policy_in_force())


# --- the calculators over the card and policy in force, or over stored data (§10.5-10.9) --------


def batch_quotes(request: engine.QuoteRequest) -> dict[str, Any]:
    """The request quoted for every segment with the rate card and policy in force."""
    with engine_errors():
        return engine.batch_quotes(request, rate_card_current(), policy_in_force())


def portfolio_rollup(*, owner, counts: engine.PortfolioCounts | None) -> dict[str, Any]:
    """`{portfolio_summary, portfolio_alert}` over `counts`; without counts, over the owner's
    latest stored scenario evaluation (none stored: no scenarios)."""
    if counts is None:
        latest = scenario_evaluation_latest(owner=owner)
        counts = latest.counts() if latest is not None else engine.PortfolioCounts()
    return {
        "portfolio_summary": engine.portfolio_summary(counts),
        "portfolio_alert": engine.portfolio_alert(counts),
    }


def weekly_metrics_rollup(
    *, owner, outcomes: Sequence[engine.DecisionOutcome] | None
) -> dict[str, Any]:
    """Weekly metrics over `outcomes`; without them, over this ISO week's stored decisions."""
    if outcomes is None:
        return decision_week_metrics(owner=owner)
    return engine.weekly_metrics(outcomes)


def weekly_comparison_rollup(
    *, owner, weeks: tuple[engine.WeekTotals, engine.WeekTotals] | None
) -> dict[str, Any]:
    """`weeks` (current, previous) compared; without them, this ISO week's stored decisions
    against last week's."""
    if weeks is None:
        return decision_week_comparison(owner=owner)
    return engine.weekly_comparison(*weeks)


def exception_rollup(*, owner, counts: engine.ExceptionCounts | None) -> dict[str, Any]:
    """`{exception_aging, exception_alert}` over `counts`; without counts, over the owner's
    stored open exceptions."""
    if counts is None:
        counts = exception_open_counts(owner=owner)
    return {
        "exception_aging": engine.exception_aging(counts),
        "exception_alert": engine.exception_alert(counts),
    }
