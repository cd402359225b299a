"""Revenue operations in the Django admin: policy versions, exception approval and closing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from j1msky.models import Event
from pricing import services
from pricing.admin import POLICY_COLUMNS
from pricing.models import Decision, PricingException, PricingPolicy, Quote
from security.models import AuditLog
from tests.pricing.conftest import quote_request

pytestmark = pytest.mark.django_db

ESCALATE = {
    "model": "opus",
    "estimated_input": 10000,
    "estimated_output": 10000,
    "complexity": "low",
    "segment": "startup",
}


@pytest.fixture
def staff(client, django_user_model, seeded):
    user = django_user_model.objects.create_superuser("revops", "revops@example.com", "pw-123456")
    client.force_login(user)
    client.user = user
    return client


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _policy_form(policy: PricingPolicy, **changes) -> dict:
    data = {column: str(getattr(policy, column)) for column in POLICY_COLUMNS}
    return {**data, "note": "", **changes}


def test_editing_the_policy_creates_an_audited_version(staff):
    v1 = PricingPolicy.objects.get(version=1)
    response = staff.post(
        f"/admin/pricing/pricingpolicy/{v1.pk}/change/",
        _policy_form(v1, markup_high="5.50", note="raise high"),
        follow=True,
    )
    assert response.status_code == 200
    assert any("version 2" in m for m in _messages(response))
    v1.refresh_from_db()
    assert v1.markup_high == Decimal("5.00")  # history is never edited
    v2 = PricingPolicy.objects.get(version=2)
    assert (v2.markup_high, v2.note, v2.created_by) == (Decimal("5.50"), "raise high", staff.user)
    audit = AuditLog.objects.get(event="config.change")
    assert audit.details["changes"] == {"complexity_markup.high": ["5.00", "5.50"]}
    assert Event.objects.filter(type="pricing.policy_changed", owner=staff.user).count() == 1
    # the old version is now read-only history
    page = staff.get(f"/admin/pricing/pricingpolicy/{v1.pk}/change/")
    assert page.status_code == 200 and b'name="markup_high"' not in page.content


def test_add_form_starts_from_the_policy_in_force_and_saves_through_the_service(staff):
    page = staff.get("/admin/pricing/pricingpolicy/add/")
    assert b'value="5.00"' in page.content
    v1 = PricingPolicy.objects.get(version=1)
    staff.post("/admin/pricing/pricingpolicy/add/", _policy_form(v1, minimum_price="0.75"))
    assert PricingPolicy.objects.get(version=2).minimum_price == Decimal("0.75")


def test_an_invalid_policy_is_refused_in_the_form(staff):
    v1 = PricingPolicy.objects.get(version=1)
    response = staff.post(
        f"/admin/pricing/pricingpolicy/{v1.pk}/change/",
        _policy_form(v1, adjustment_startup="-2.50"),
    )
    assert response.status_code == 200
    assert b"would price under cost" in response.content
    assert PricingPolicy.objects.count() == 1


def test_policy_versions_cannot_be_deleted(staff):
    v1 = PricingPolicy.objects.get(version=1)
    assert staff.get(f"/admin/pricing/pricingpolicy/{v1.pk}/delete/").status_code == 403


def test_approve_escalated_decisions_as_exceptions_and_close_them(staff, make_user):
    owner = make_user()
    escalated = services.decision_create(owner=owner, request=quote_request(**ESCALATE))
    approved = services.decision_create(owner=owner, request=quote_request(model="k2p5"))
    response = staff.post(
        "/admin/pricing/decision/",
        {"action": "approve_as_exception", "_selected_action": [escalated.pk, approved.pk]},
        follow=True,
    )
    shown = _messages(response)
    assert "Created 1 exception(s)." in shown
    assert any("only an escalated decision" in m for m in shown)
    exception = PricingException.objects.get()
    assert (exception.decision, exception.owner, exception.approver) == (
        escalated,
        owner,
        "revops",
    )
    event = Event.objects.get(type="pricing.exception_created")
    assert event.owner == owner  # the record's owner, whoever clicked
    response = staff.post(
        "/admin/pricing/pricingexception/",
        {"action": "close_exceptions", "_selected_action": [exception.pk]},
        follow=True,
    )
    assert "Closed 1 exception(s)." in _messages(response)
    exception.refresh_from_db()
    assert (exception.status, exception.closed_by) == ("closed", "revops")
    assert Decision.objects.count() == 2


@pytest.mark.parametrize(
    "page",
    [
        "/admin/pricing/quote/",
        "/admin/pricing/decision/",
        "/admin/pricing/pricingexception/",
        "/admin/pricing/scenarioevaluation/",
        "/admin/pricing/pricingreport/",
        "/admin/pricing/exceptionagingalert/",
        "/admin/pricing/pricingpolicy/",
    ],
)
def test_admin_lists_render(staff, page):
    services.decision_create(owner=staff.user, request=quote_request(**ESCALATE))
    assert staff.get(page).status_code == 200


def test_the_quote_calculator_stores_the_quote_through_the_service(staff, make_user, admin_client):
    owner = make_user("buyer")
    page = staff.get("/admin/pricing/quote/add/")
    assert page.status_code == 200 and b'name="estimated_input"' in page.content
    response = staff.post(
        "/admin/pricing/quote/add/",
        {"owner": owner.pk, "model": "sonnet", "estimated_input": 2000, "segment": "startup"},
        follow=True,
    )
    quote = Quote.objects.get()
    assert response.redirect_chain[-1][0] == f"/admin/pricing/quote/{quote.pk}/change/"
    assert (quote.owner, quote.model, quote.segment) == (owner, "sonnet", "startup")
    assert (quote.estimated_input_tokens, quote.estimated_output_tokens) == (2000, 500)
    assert any(str(quote.recommended_price) in m for m in _messages(response))
    # the same price the API computes for the same fields
    api = admin_client.post(
        "/api/pricing/quote",
        {"model": "sonnet", "estimated_input": 2000, "segment": "startup"},
        format="json",
    ).json()
    assert Decimal(str(api["quote"]["recommended_price"])) == quote.recommended_price
    assert Event.objects.filter(type="pricing.quote_generated", owner=owner).count() == 1
    audit = AuditLog.objects.get(event="admin.action", resource_id=quote.quote_id)
    assert audit.actor == "admin:revops" and audit.details["action"] == "quote"
    assert not Decision.objects.exists()


def test_the_calculator_decides_and_an_escalation_is_approved_as_an_exception(staff):
    staff.post(
        "/admin/pricing/quote/add/",
        {"owner": staff.user.pk, **ESCALATE, "decide": "on"},
        follow=True,
    )
    decision = Decision.objects.get()
    assert decision.decision_status == "escalated"
    staff.post(
        "/admin/pricing/decision/",
        {"action": "approve_as_exception", "_selected_action": [decision.pk]},
    )
    assert PricingException.objects.get().decision == decision


def test_the_calculator_refuses_what_the_api_refuses(staff):
    bad = staff.post(
        "/admin/pricing/quote/add/",
        {
            "owner": staff.user.pk,
            "model": "sonnet",
            "estimated_input": 100,
            "estimated_tokens": 300,
        },
    )
    assert bad.status_code == 200 and b"not both" in bad.content
    negative = staff.post(
        "/admin/pricing/quote/add/",
        {"owner": staff.user.pk, "model": "sonnet", "estimated_input": -5},
    )
    assert negative.status_code == 200 and b"errorlist" in negative.content
    assert not Quote.objects.exists()


def test_the_calculator_needs_the_add_quote_permission(client, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw-123456", is_staff=True)
    client.force_login(clerk)
    assert client.get("/admin/pricing/quote/add/").status_code == 403
    assert client.post("/admin/pricing/quote/add/", {"model": "sonnet"}).status_code == 403
    assert not Quote.objects.exists()
