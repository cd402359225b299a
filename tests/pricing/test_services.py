"""Pricing services: the domain rules for stored records, their events and audit rows."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from j1msky.errors import Conflict, InvalidInput
from j1msky.models import Event
from pricing import engine, services
from pricing.models import (
    Decision,
    PricingException,
    PricingPolicy,
    Quote,
    ScenarioEvaluation,
)
from pricing.selectors import pricing_policy_current
from security.models import AuditLog
from tests.pricing.conftest import quote_request

pytestmark = pytest.mark.django_db
D = Decimal

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


def _types(owner):
    return list(Event.objects.filter(owner=owner).order_by("id").values_list("type", flat=True))


# --- quotes and decisions -----------------------------------------------------------------------


def test_quote_is_stored_with_the_policy_version_it_was_priced_with(owner):
    quote = services.quote_create(
        owner=owner, request=quote_request(model="sonnet", estimated_input=3000)
    )
    assert quote.policy.version == 1
    assert quote.internal_cost == Decimal("0.0165")  # 3 x 0.003 + 0.5 x 0.015
    assert (quote.estimated_input_tokens, quote.estimated_output_tokens) == (3000, 500)
    assert quote.estimated_tokens is None
    assert quote.to_engine().as_dict()["internal_cost"] == Decimal("0.0165")
    assert _types(owner) == ["pricing.quote_generated"]


def test_decision_statuses_and_events(owner):
    approved = services.decision_create(owner=owner, request=quote_request(model="k2p5"))
    assert (approved.decision_status, approved.next_step) == ("approved", "send_quote")
    assert approved.approver == "ops-auto"
    escalated = services.decision_create(
        owner=owner, approver="  kim  ", request=quote_request(**ESCALATE)
    )
    assert (escalated.decision_status, escalated.next_step) == ("escalated", "route_to_deal_desk")
    assert escalated.approver == "kim"
    assert _types(owner) == [
        "pricing.quote_generated",
        "pricing.quote_approved",
        "pricing.quote_generated",
        "pricing.quote_escalated",
        "pricing.margin_alert",
    ]
    event = Event.objects.get(type="pricing.quote_escalated")
    assert event.data["decision_id"] == escalated.decision_id
    assert event.data["decision"]["decision_status"] == "escalated"
    assert event.data["quote"]["gross_margin_pct"] == 50.0


def test_subscription_threshold_is_lower(owner):
    # 50 % misses the task threshold (55) but meets subscription (50).
    decision = services.decision_create(
        owner=owner, request=quote_request("subscription", **ESCALATE)
    )
    assert decision.decision_status == "approved"
    assert decision.quote.minimum_margin_pct == Decimal("50.00")


def test_a_failed_event_write_stores_nothing(owner, monkeypatch):
    def broken(**kwargs):
        if kwargs["type"] == "pricing.margin_alert":
            raise RuntimeError("event store down")

    monkeypatch.setattr(services.quotes, "event_emit", broken)
    with pytest.raises(RuntimeError):
        services.decision_create(owner=owner, request=quote_request(**ESCALATE))
    assert not Quote.objects.exists() and not Decision.objects.exists()


def test_bad_input_is_invalid_input_naming_the_field(owner):
    # A bad token estimate never reaches a service: the request serializer refuses it
    # (tests/pricing/test_requests.py). What the service refuses is a model off the card.
    with pytest.raises(InvalidInput) as caught:
        services.quote_create(owner=owner, request=quote_request(model="gpt9"))
    assert caught.value.details == {"model": ["Unsupported model: gpt9"]}
    scenarios = [engine.QuoteInput("k2p5"), engine.QuoteInput("x")]
    with pytest.raises(InvalidInput) as caught:
        services.scenario_evaluate(owner=owner, request=engine.ScenarioRequest(scenarios))
    assert caught.value.details == {"scenarios[1].model": ["Unsupported model in scenario 1: x"]}
    assert not Quote.objects.exists() and not ScenarioEvaluation.objects.exists()


def test_decision_on_someone_elses_quote_is_not_found(owner, make_user):
    quote = services.quote_create(owner=owner, request=quote_request(model="k2p5"))
    with pytest.raises(Exception) as caught:
        services.decision_create(owner=make_user(), quote_id=quote.quote_id)
    assert caught.value.http_status == 404


# --- exceptions ---------------------------------------------------------------------------------


def test_exception_rules(owner):
    approved = services.decision_create(owner=owner, request=quote_request(model="k2p5"))
    with pytest.raises(Conflict) as caught:
        services.exception_create(decision=approved)
    assert caught.value.code == "decision_not_escalated"
    escalated = services.decision_create(owner=owner, request=quote_request(**ESCALATE))
    exception = services.exception_create(decision=escalated, approver="", reason=" big deal ")
    assert (exception.approver, exception.reason, exception.status) == (
        "deal-desk",
        "big deal",
        "open",
    )
    assert exception.owner == owner
    with pytest.raises(Conflict) as caught:
        services.exception_create(decision=escalated)
    assert caught.value.code == "exception_exists"
    closed = services.exception_close(exception=exception, closed_by="ann", resolution="won")
    assert (closed.status, closed.closed_by, closed.resolution) == ("closed", "ann", "won")
    with pytest.raises(Conflict):
        services.exception_close(exception=exception)
    assert Event.objects.filter(type="pricing.exception_created").count() == 1


def test_exception_age_counts_whole_days_until_closed(owner):
    decision = services.decision_create(owner=owner, request=quote_request(**ESCALATE))
    opened = timezone.now() - timedelta(days=20, hours=23)
    exception = services.exception_create(decision=decision, now=opened)
    assert exception.age_days(timezone.now()) == 20
    services.exception_close(exception=exception, now=opened + timedelta(days=3, hours=1))
    exception.refresh_from_db()
    assert exception.age_days(timezone.now()) == 3


def test_label_too_long_is_refused(owner):
    decision = services.decision_create(owner=owner, request=quote_request(**ESCALATE))
    with pytest.raises(InvalidInput) as caught:
        services.exception_create(decision=decision, approver="x" * 101)
    assert list(caught.value.details) == ["approver"]


# --- policy -------------------------------------------------------------------------------------


def test_policy_change_is_a_new_audited_version(owner):
    policy, created = services.pricing_policy_update(
        actor=owner,
        changes={"segment_adjustments": {"startup": D("-0.75")}, "minimum_price": D(1)},
        note="Startup promo",
    )
    assert created and policy.version == 2
    assert policy.adjustment_startup == Decimal("-0.75")
    assert policy.minimum_price == Decimal("1.00")
    assert policy.markup_high == Decimal("5.00")  # unchanged fields carry over
    assert PricingPolicy.objects.get(version=1).adjustment_startup == Decimal("-1.00")
    assert pricing_policy_current() == policy
    audit = AuditLog.objects.get(event="config.change")
    assert (audit.resource_type, audit.resource_id, audit.owner) == ("pricing_policy", "v2", owner)
    assert audit.details["changes"] == {
        "segment_adjustments.startup": ["-1.00", "-0.75"],
        "minimum_price": ["0.50", "1.00"],
    }
    [event] = Event.objects.filter(type="pricing.policy_changed")
    assert event.owner == owner
    assert event.data["version"] == 2 and event.data["previous_version"] == 1
    assert event.data["pricing_policy"]["segment_adjustments"]["startup"] == -0.75
    quote = services.quote_create(
        owner=owner, request=quote_request(model="k2p5", complexity="low", segment="startup")
    )
    assert (quote.final_markup, quote.recommended_price) == (Decimal("2.25"), Decimal("1.00"))
    assert quote.policy == policy


def test_policy_change_that_changes_nothing_creates_nothing(owner):
    policy, created = services.pricing_policy_update(
        actor=owner, changes={"complexity_markup": {"low": D("3.0")}}
    )
    assert not created and policy.version == 1
    assert not AuditLog.objects.filter(event="config.change").exists()
    assert not Event.objects.exists()


def test_policy_refuses_a_final_markup_below_cost(owner):
    with pytest.raises(InvalidInput) as caught:
        services.pricing_policy_update(
            actor=owner, changes={"complexity_markup": {"low": D("1.5")}}
        )  # 1.5 + startup -1.0 = 0.5
    assert list(caught.value.details) == ["segment_adjustments.startup"]
    assert PricingPolicy.objects.count() == 1


def test_stale_policy_edit_is_a_conflict(owner):
    services.pricing_policy_update(actor=owner, changes={"minimum_price": D(1)}, expected_version=1)
    with pytest.raises(Conflict):
        services.pricing_policy_update(
            actor=owner, changes={"minimum_price": D(2)}, expected_version=1
        )
    assert PricingPolicy.objects.count() == 2


# --- real concurrency ---------------------------------------------------------------------------


def _run_threads(count, target):
    barrier = threading.Barrier(count)
    results = []

    def run(index):
        try:
            barrier.wait()
            results.append(("ok", target(index)))
        except Exception as exc:
            results.append(("error", exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_policy_changes_get_distinct_versions(make_user, seeded):
    actor = make_user()
    results = _run_threads(
        6,
        lambda i: (
            services.pricing_policy_update(
                actor=actor, changes={"minimum_price": Decimal("1.00") + i}
            )[0].version
        ),
    )
    assert [kind for kind, _ in results] == ["ok"] * 6, results
    assert sorted(version for _, version in results) == [2, 3, 4, 5, 6, 7]
    assert Event.objects.filter(type="pricing.policy_changed").count() == 6


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_exception_approvals_create_one(make_user, seeded):
    decision = services.decision_create(owner=make_user(), request=quote_request(**ESCALATE))
    results = _run_threads(6, lambda i: services.exception_create(decision=decision).pk)
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error"] * 5 + ["ok"], results
    assert all(isinstance(exc, Conflict) for kind, exc in results if kind == "error")
    assert PricingException.objects.count() == 1
    assert Event.objects.filter(type="pricing.exception_created").count() == 1
