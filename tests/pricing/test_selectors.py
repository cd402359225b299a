"""The selectors the orchestrator status builds its pricing previews from (semantics §8.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from pricing import engine, selectors, services
from tests.pricing.conftest import quote_request

pytestmark = pytest.mark.django_db

# Wednesday 2026-02-18 12:00 UTC: ISO week 8 runs Mon 16th to Sun 22nd.
NOW = datetime(2026, 2, 18, 12, 0, tzinfo=UTC)
ESCALATE = {
    "model": "opus",
    "estimated_input": 10000,
    "estimated_output": 10000,
    "complexity": "low",
    "segment": "startup",
}


@pytest.fixture
def owner(make_user, seeded):
    return make_user()


def test_latest_decision_and_evaluation(owner, make_user):
    assert selectors.decision_latest() is None
    assert selectors.scenario_evaluation_latest() is None
    services.decision_create(
        owner=owner, request=quote_request(model="k2p5"), now=NOW - timedelta(hours=1)
    )
    other = make_user()
    newest = services.decision_create(owner=other, now=NOW, request=quote_request(**ESCALATE))
    assert selectors.decision_latest() == newest
    assert selectors.decision_latest(owner=owner).decision_status == "approved"
    assert newest.packet() == {
        "decision_status": "escalated",
        "approver": "ops-auto",
        "delivery_type": "task",
        "next_step": "route_to_deal_desk",
        "generated_at": "2026-02-18T12:00:00Z",
    }
    services.scenario_evaluate(
        owner=owner,
        request=engine.ScenarioRequest(
            [
                engine.QuoteInput("k2p5", estimated_tokens=2000, complexity="medium"),
                engine.QuoteInput("sonnet", estimated_tokens=3500, complexity="high"),
                engine.QuoteInput("opus", estimated_tokens=5000, complexity="high"),
            ]
        ),
    )
    latest = selectors.scenario_evaluation_latest(owner=owner)
    assert latest.summary() == {
        "delivery_type": "task",
        "scenario_count": 3,
        "compliant_count": 3,
        "compliance_ratio": 1,
        "needs_escalation": False,
        "requires_executive_review": False,
        "average_margin_pct": Decimal("94.17"),
    }
    assert latest.alert() == {
        "level": "ok",
        "summary": "Portfolio healthy: 3/3 compliant, margin 94.17%",
        "recommended_action": "send_proposal",
    }
    assert selectors.scenario_evaluation_latest(owner=other) is None


def _decide(owner, when, escalate=False, exception=False, closed=False):
    fields = ESCALATE if escalate else {"model": "k2p5", "estimated_output": 1000}
    decision = services.decision_create(owner=owner, now=when, request=quote_request(**fields))
    if exception:
        created = services.exception_create(decision=decision, now=when)
        if closed:
            services.exception_close(exception=created, now=when + timedelta(hours=1))
    return decision


def test_week_metrics_and_comparison(owner):
    monday = datetime(2026, 2, 16, 0, 0, tzinfo=UTC)
    _decide(owner, monday)  # this week: 99.6 approved
    _decide(owner, NOW, escalate=True, exception=True)  # this week: 50.0 escalated, exception
    _decide(owner, monday - timedelta(seconds=1))  # Sunday: last week
    _decide(owner, monday - timedelta(days=3), escalate=True, exception=True, closed=True)
    _decide(owner, monday - timedelta(days=8))  # two weeks ago: neither
    this_week = selectors.decision_week_metrics(owner=owner, now=NOW)
    assert this_week == {
        "total_quotes": 2,
        "approved_count": 1,
        "escalated_count": 1,
        "approval_rate": Decimal("0.5"),
        "avg_margin_pct": Decimal("74.8"),
        "exceptions_created": 1,
        "exceptions_closed": 0,
    }
    last_week = selectors.decision_week_metrics(owner=owner, now=NOW, weeks_ago=1)
    assert (last_week["total_quotes"], last_week["exceptions_closed"]) == (2, 1)
    comparison = selectors.decision_week_comparison(owner=owner, now=NOW)
    assert comparison["week_over_week_changes"] == {
        "total_quotes_change": 0,
        "approval_rate_change": 0,
        "avg_margin_change": 0,
        "exceptions_created_change": 0,
    }
    assert comparison["requires_review"] is False
    assert selectors.decision_week_metrics(now=NOW)["total_quotes"] == 2  # every owner


def test_iso_week_follows_the_local_time_zone(owner, settings):
    settings.J1MSKY_TIMEZONE = "America/New_York"
    # Monday 03:00 UTC is Sunday 22:00 in New York: still last week there.
    sunday_local = datetime(2026, 2, 16, 3, 0, tzinfo=UTC)
    _decide(owner, sunday_local)
    assert selectors.decision_week_metrics(owner=owner, now=NOW)["total_quotes"] == 0
    assert selectors.decision_week_metrics(owner=owner, now=NOW, weeks_ago=1)["total_quotes"] == 1
    start, end = selectors.iso_week_bounds(now=NOW)
    assert (start.isoformat(), end - start) == ("2026-02-16T05:00:00+00:00", timedelta(days=7))


def test_open_exceptions_aging(owner, make_user):
    assert selectors.exception_open_aging(owner=owner, now=NOW)["risk_level"] == "none"
    assert selectors.exception_open_alert(owner=owner, now=NOW) == {
        "level": "none",
        "summary": "No open quote exceptions",
        "recommended_action": "no_action",
    }
    for days in (33, 15, 3, 0):
        _decide(owner, NOW - timedelta(days=days, hours=1), escalate=True, exception=True)
    _decide(owner, NOW - timedelta(days=40), escalate=True, exception=True, closed=True)
    _decide(make_user(), NOW - timedelta(days=50), escalate=True, exception=True)
    assert selectors.exception_open_counts(owner=owner, now=NOW) == engine.ExceptionCounts(4, 33, 2)
    assert selectors.exception_open_aging(owner=owner, now=NOW) == {
        "open_exceptions": 4,
        "oldest_days": 33,
        "at_risk_count": 2,
        "requires_exec_followup": True,
        "risk_level": "critical",
        "next_action": "schedule_executive_review",
    }
    assert selectors.exception_open_alert(owner=owner, now=NOW)["summary"] == (
        "Critical exception risk: 4 open, oldest 33d"
    )
    assert selectors.exception_open_counts(now=NOW) == engine.ExceptionCounts(5, 50, 3)  # all


def test_rate_card_holds_the_enabled_aliases_in_catalogue_order(seeded):
    from agents.models import ModelAlias

    assert tuple(selectors.rate_card_current().rates) == (
        "k2p5",
        "sonnet",
        "opus",
        "minimax-m2.5",
        "codex",
    )
    ModelAlias.objects.filter(pk="codex").update(enabled=False)
    assert "codex" not in selectors.rate_card_current().rates
    assert "codex" in selectors.rate_card_examples().rates
