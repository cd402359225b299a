"""`GET /billing/usage`, `GET|PUT /billing/budget`, `GET /rate-limits` over HTTP."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.response import Response

from billing.clock import budget_day
from billing.errors import BudgetExceeded, ProviderRateLimited
from billing.models import BudgetSetting, LedgerEntry
from billing.services import budget_reserve, budget_settle
from j1msky.api.errors import exception_handler
from j1msky.money import token_cost
from security.models import AuditLog
from tests.ledger import ledger_record, window_take

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

D = Decimal
RATES = {
    "k2p5": (D("0.0005"), D("0.0015")),
    "sonnet": (D("0.003"), D("0.015")),
    "opus": (D("0.015"), D("0.075")),
    "minimax-m2.5": (D("0.0001"), D("0.0001")),
    "codex": (D("0.002"), D("0.006")),
}


def _body(response) -> dict:
    """The JSON body with every number parsed exactly (as a careful client would)."""
    return json.loads(response.content, parse_float=D)


def _assert_envelope(response, status: int, type_: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == status
    assert body["error"]["type"] == type_
    assert body["error"]["message"]
    assert body["error"]["request_id"] == response["X-Request-Id"]
    return body["error"]


@pytest.fixture
def reader(make_client):
    """A staff owner's key: it reads every owner's usage."""
    return make_client(["billing:read"], staff=True)


@pytest.fixture
def admin(make_client):
    return make_client(["billing:read", "admin:write"], staff=True)


# --- usage ------------------------------------------------------------------------------------


def _awkward_ledger(seed: int, days: list[date]) -> dict[str, Decimal]:
    """Rows whose costs round half-up (…5 in the 5th place) and never sum to round numbers."""
    rng = random.Random(seed)
    expected: dict[str, Decimal] = {}
    for day in days:
        for _ in range(rng.randint(1, 12)):
            model = rng.choice(sorted(RATES))
            tokens_in, tokens_out = rng.choice([0, 1, 3, 83, 100, 417, 999]), rng.randint(0, 4321)
            when = datetime(day.year, day.month, day.day, rng.randint(0, 23), tzinfo=UTC)
            ledger_record(
                owner=None,
                api_key=None,
                model_alias=model,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                now=when,
            )
            rate_in, rate_out = RATES[model]
            cost = token_cost(
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                input_rate=rate_in,
                output_rate=rate_out,
            )
            expected[model] = expected.get(model, D(0)) + cost
    return expected


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_usage_totals_equal_the_sums_to_the_cent(reader, seed):
    days = [date(2026, 2, d) for d in (1, 2, 5, 17, 28)]
    expected = _awkward_ledger(seed, days)
    ledger_record(  # outside the period: not counted
        owner=None,
        api_key=None,
        model_alias="opus",
        input_tokens=5,
        output_tokens=5,
        now=datetime(2026, 3, 1, 0, 0, 1, tzinfo=UTC),
    )

    response = reader.get("/api/billing/usage", {"start": "2026-02-01", "end": "2026-02-28"})
    assert response.status_code == 200
    body = _body(response)
    assert body["period"] == "2026-02-01 to 2026-02-28"
    assert body["total_cost"] == sum(body["by_model"].values())
    assert body["total_cost"] == sum(body["by_day"].values())
    assert body["total_cost"] == sum(expected.values())
    assert body["by_model"] == expected
    assert set(body["by_day"]) <= {d.isoformat() for d in days}
    for value in [*body["by_model"].values(), *body["by_day"].values()]:
        assert value == value.quantize(D("0.0001"))  # rendered to 4 dp at most


def test_usage_defaults_to_month_to_date(reader):
    now = timezone.now()
    today = budget_day(now)
    ledger_record(
        owner=None, api_key=None, model_alias="sonnet", input_tokens=1000, output_tokens=0
    )
    body = _body(reader.get("/api/billing/usage"))
    assert body["period"] == f"{today.replace(day=1).isoformat()} to {today.isoformat()}"
    assert body["total_cost"] == D("0.003")
    assert body["by_model"] == {"sonnet": D("0.003")}
    assert body["by_day"] == {today.isoformat(): D("0.003")}


def test_usage_of_an_empty_period_is_zero(reader):
    body = _body(reader.get("/api/billing/usage", {"start": "2020-01-01", "end": "2020-01-01"}))
    assert body == {
        "period": "2020-01-01 to 2020-01-01",
        "owner": None,
        "total_cost": 0,
        "by_model": {},
        "by_day": {},
        "simulated_cost": 0,
    }


def test_usage_counts_a_settled_run_once(reader):
    when = datetime(2026, 2, 10, 9, tzinfo=UTC)
    reservation = budget_reserve(amount=D("1"), now=when)
    for _ in range(2):
        ledger_record(
            owner=None,
            api_key=None,
            model_alias="codex",
            input_tokens=25,
            output_tokens=0,
            reservation=reservation,
            now=when,
        )
    budget_settle(reservation=reservation, now=when)
    body = _body(reader.get("/api/billing/usage", {"start": "2026-02-10", "end": "2026-02-10"}))
    assert body["total_cost"] == D("0.0002")  # 0.00005 → 0.0001, twice


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"start": "yesterday"}, "start"),
        ({"end": "2026-02-30"}, "end"),
        ({"start": "2026-02-01T00:00:00"}, "start"),
        ({"start": "2026-02-10", "end": "2026-02-09"}, "end"),
        ({"start": "2999-01-01"}, "end"),  # end defaults to today, before start
    ],
)
def test_usage_bad_dates_are_400(reader, query, field):
    error = _assert_envelope(reader.get("/api/billing/usage", query), 400, "validation_error")
    assert field in error["details"]


def test_usage_needs_billing_read(make_client):
    _assert_envelope(
        make_client(["agents:read"]).get("/api/billing/usage"), 403, "insufficient_scope"
    )


# --- budget -----------------------------------------------------------------------------------


def test_budget_shape_and_numbers(reader, settings):
    settings.J1MSKY_DAILY_BUDGET = D("50")
    now = timezone.now()
    budget_settle(reservation=budget_reserve(amount=D("20"), now=now), actual=D("12.43"), now=now)
    budget_reserve(amount=D("0.57"), now=now)

    response = reader.get("/api/billing/budget")
    assert response.status_code == 200
    body = _body(response)
    assert body == {
        "daily_budget": 50,
        "timezone": "UTC",
        "today_spend": D("12.43"),
        "reserved": D("0.57"),
        "budget_remaining": 37,
        "budget_utilization_pct": 26,
        "resets_at": (
            datetime.combine(budget_day(now) + timedelta(days=1), datetime.min.time())
            .isoformat()
            .replace("T00:00:00", "T00:00:00Z")
        ),
        "simulated_spend": 0,
        "key_budget": None,
    }


def test_budget_shows_the_keys_own_budget(make_client):
    client = make_client(["billing:read"], daily_budget=D("2"))
    budget_reserve(amount=D("0.5"), api_key=client.key)
    body = _body(client.get("/api/billing/budget"))
    assert body["key_budget"] == {
        "daily_budget": 2,
        "today_spend": 0,
        "reserved": D("0.5"),
        "budget_remaining": D("1.5"),
        "budget_utilization_pct": 25,
    }


def test_put_budget_changes_persists_and_audits(admin, settings):
    settings.J1MSKY_DAILY_BUDGET = D("50")
    response = admin.put("/api/billing/budget", {"daily_budget": 75.5}, format="json")
    assert response.status_code == 200
    assert _body(response)["daily_budget"] == D("75.5")
    assert _body(admin.get("/api/billing/budget"))["daily_budget"] == D("75.5")
    assert BudgetSetting.objects.get().daily_budget == D("75.5")

    audit = AuditLog.objects.get(event="config.change")
    assert audit.details == {"setting": "daily_budget", "old": "50.0000", "new": "75.5000"}
    assert audit.api_key_id == admin.key.key_id
    assert audit.owner == admin.user
    assert audit.request_id == response["X-Request-Id"]
    assert audit.ip_address == "127.0.0.1"

    # Form bodies too (semantics §1), and zero is a valid budget (refuse everything).
    assert admin.put("/api/billing/budget", {"daily_budget": "0"}).status_code == 200
    with pytest.raises(BudgetExceeded):
        budget_reserve(amount=D("0.0001"))
    assert AuditLog.objects.filter(event="config.change").count() == 2


def test_put_budget_needs_admin_write(reader):
    error = _assert_envelope(
        reader.put("/api/billing/budget", {"daily_budget": 1}, format="json"),
        403,
        "insufficient_scope",
    )
    assert "admin:write" in error["message"]
    assert not BudgetSetting.objects.exists()
    assert not AuditLog.objects.filter(event="config.change").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"daily_budget": -1},
        {"daily_budget": "-0.01"},
        {"daily_budget": "abc"},
        {"daily_budget": ""},
        {"daily_budget": None},
        {"daily_budget": True},
        {"daily_budget": "NaN"},
        {"daily_budget": "Infinity"},
        {"daily_budget": "1.23456"},
        {"daily_budget": 1e15},
        {"daily_budget": [1]},
        {"daily_budget": {"x": 1}},
        {},
    ],
)
def test_put_budget_bad_input_is_400_and_changes_nothing(admin, body):
    error = _assert_envelope(
        admin.put("/api/billing/budget", body, format="json"), 400, "validation_error"
    )
    assert "daily_budget" in error["details"]
    assert not BudgetSetting.objects.exists()
    assert not AuditLog.objects.filter(event="config.change").exists()


def test_put_budget_malformed_json_is_400(admin):
    response = admin.generic(
        "PUT", "/api/billing/budget", "{not json", content_type="application/json"
    )
    _assert_envelope(response, 400, "parse_error")


def test_put_budget_is_idempotent_with_a_key(admin):
    headers = {"HTTP_IDEMPOTENCY_KEY": "budget-1"}
    first = admin.put("/api/billing/budget", {"daily_budget": 10}, format="json", **headers)
    second = admin.put("/api/billing/budget", {"daily_budget": 10}, format="json", **headers)
    assert first.status_code == second.status_code == 200
    assert second["Idempotency-Replayed"] == "true"
    assert AuditLog.objects.filter(event="config.change").count() == 1


# --- rate limits ------------------------------------------------------------------------------


def test_rate_limits_lists_every_provider(make_client):
    client = make_client(["agents:read"])
    window_take(provider="kimi-coding", n=45)
    window_take(provider="anthropic", n=12)
    now = datetime.now(UTC)
    body = client.get("/api/rate-limits").json()
    reset_at = (now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).isoformat()
    reset_at = reset_at.replace("+00:00", "Z")
    assert body == {
        "limits": {
            "anthropic": {"used": 12, "limit": 50, "remaining": 38, "reset_at": reset_at},
            "kimi-coding": {"used": 45, "limit": 100, "remaining": 55, "reset_at": reset_at},
            "minimax-portal": {"used": 0, "limit": 100, "remaining": 100, "reset_at": reset_at},
            "openai-codex": {"used": 0, "limit": 20, "remaining": 20, "reset_at": reset_at},
        }
    }


def test_rate_limits_needs_agents_read(reader):
    _assert_envelope(reader.get("/api/rate-limits"), 403, "insufficient_scope")


# --- how refusals render ----------------------------------------------------------------------


def _render(exc) -> Response:
    return exception_handler(exc, {})


def test_budget_exceeded_renders_as_402_with_why(settings):
    settings.J1MSKY_DAILY_BUDGET = D("1")
    now = datetime(2026, 2, 19, 13, 11, tzinfo=UTC)
    budget_settle(reservation=budget_reserve(amount=D("1"), now=now), actual=D("0.75"), now=now)
    with pytest.raises(BudgetExceeded) as refused:
        budget_reserve(amount=D("0.3"), now=now)
    response = _render(refused.value)
    assert response.status_code == 402
    assert response.data["error"]["type"] == "budget_exceeded"
    assert response.data["error"]["code"] == 402
    assert response.data["error"]["details"] == {
        "scope": "global",
        "limit": 1.0,
        "today_spend": 0.75,
        "reserved": 0.0,
        "requested": 0.3,
        "budget_remaining": 0.25,
        "resets_at": "2026-02-20T00:00:00Z",
    }


def test_provider_rate_limited_renders_as_429_with_retry_after():
    now = datetime(2026, 2, 19, 13, 11, 30, tzinfo=UTC)
    window_take(provider="openai-codex", n=20, now=now)
    with pytest.raises(ProviderRateLimited) as refused:
        window_take(provider="openai-codex", now=now)
    response = _render(refused.value)
    assert response.status_code == 429
    assert response["Retry-After"] == "2910"  # 13:11:30 → 14:00:00
    error = response.data["error"]
    assert (error["type"], error["retry_after"]) == ("provider_rate_limited", 2910)
    assert error["details"]["reset_at"] == "2026-02-19T14:00:00Z"


def test_no_ledger_row_is_written_by_reads(reader):
    reader.get("/api/billing/usage")
    reader.get("/api/billing/budget")
    assert not LedgerEntry.objects.exists()
