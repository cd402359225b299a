"""`GET /orchestrator/status` (semantics §8.1): every field of the reference, from live data.

The rules' edges are table-tested in test_rules.py; here each is fed by the real selectors —
ledger rows recorded by `ledger_record`, reservations, provider windows, breakers, stored pricing
records — at a fixed moment (`orchestrator_status(now=…)`), and the API renders it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from agents.models import Provider
from billing.services import budget_reserve, budget_set
from orchestrator.selectors import orchestrator_status
from tests.ledger import ledger_record, window_take

pytestmark = pytest.mark.django_db

D = Decimal
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday; the budget day is UTC by default

REFERENCE_KEYS = [
    "timestamp",
    "models_active",
    "usage_summary",
    "recent_usage",
    "daily_budget",
    "today_spend",
    "budget_remaining",
    "budget_utilization_pct",
    "budget_alert_level",
    "operational_flags",
    "model_mix_recommendation",
    "pricing_policy",
    "example_task_quote",
    "pricing_guardrail_check",  # ours, beside the example it checks
    "quote_decision_preview",
    "quote_portfolio_preview",
    "portfolio_alert_preview",
    "weekly_metrics_preview",
    "weekly_comparison_preview",
    "exception_aging_preview",
    "exception_alert_preview",
    "usage_anomalies",
    "monthly_forecast",
    "provider_usage",
]
NESTED_KEYS = {
    "operational_flags": [
        "budget_alert_level",
        "max_provider_utilization_pct",
        "hot_providers",
        "requires_ops_attention",
        "recommended_action",
    ],
    "model_mix_recommendation": ["strategy", "primary", "secondary", "restricted", "reason"],
    "pricing_policy": [
        "min_markup",
        "target_markup",
        "max_markup",
        "complexity_markup",
        "minimum_price",
    ],
    "example_task_quote": [
        "model",
        "complexity",
        "segment",
        "estimated_tokens",
        "internal_cost",
        "base_markup",
        "segment_adjustment",
        "final_markup",
        "recommended_price",
        "gross_margin_pct",
        "margin_band",
    ],
    "pricing_guardrail_check": [
        "delivery_type",
        "minimum_margin_pct",
        "actual_margin_pct",
        "is_compliant",
        "action",
    ],
    "quote_decision_preview": [
        "decision_status",
        "approver",
        "delivery_type",
        "next_step",
        "generated_at",
    ],
    "quote_portfolio_preview": [
        "delivery_type",
        "scenario_count",
        "compliant_count",
        "compliance_ratio",
        "needs_escalation",
        "requires_executive_review",
        "average_margin_pct",
    ],
    "portfolio_alert_preview": ["level", "summary", "recommended_action"],
    "weekly_metrics_preview": [
        "total_quotes",
        "approved_count",
        "escalated_count",
        "approval_rate",
        "avg_margin_pct",
        "exceptions_created",
        "exceptions_closed",
    ],
    "weekly_comparison_preview": [
        "week_over_week_changes",
        "significant_shifts",
        "requires_review",
    ],
    "exception_aging_preview": [
        "open_exceptions",
        "oldest_days",
        "at_risk_count",
        "requires_exec_followup",
        "risk_level",
        "next_action",
    ],
    "exception_alert_preview": ["level", "summary", "recommended_action"],
    "usage_anomalies": ["has_anomalies", "anomalies", "count", "severity"],
    "monthly_forecast": ["projected_spend", "budget_ceiling", "delta_to_budget"],
}


def record(model: str, at: datetime, *, input_tokens: int = 100, output_tokens: int = 50, n=1):
    for _ in range(n):
        ledger_record(
            owner=None,
            api_key=None,
            model_alias=model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            now=at,
        )


@pytest.fixture
def reader(make_client):
    return make_client(["agents:read"])


def test_every_field_of_the_reference_in_its_order(reader):
    response = reader.get("/api/orchestrator/status")
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == REFERENCE_KEYS
    for field, keys in NESTED_KEYS.items():
        assert list(body[field]) == keys, field
    assert list(body["usage_summary"]) == ["top_models", "total_calls"]
    assert list(body["provider_usage"]) == [
        "anthropic",
        "kimi-coding",
        "minimax-portal",
        "openai-codex",
    ]
    assert list(body["provider_usage"]["anthropic"]) == [
        "current",
        "hourly",
        "remaining",
        "utilization_pct",
    ]


def test_a_quiet_day_reads_as_nothing_happened(reader):
    body = reader.get("/api/orchestrator/status").json()
    assert body["models_active"] == 5
    assert body["usage_summary"] == {"top_models": [], "total_calls": 0}
    assert (body["recent_usage"], body["daily_budget"], body["today_spend"]) == (0, 50.0, 0.0)
    assert (body["budget_remaining"], body["budget_utilization_pct"]) == (50.0, 0.0)
    assert body["budget_alert_level"] == "ok"
    assert body["operational_flags"]["recommended_action"] == "No action required"
    assert body["model_mix_recommendation"]["primary"] == ["k2p5", "sonnet"]
    assert body["provider_usage"]["anthropic"] == {
        "current": 0,
        "hourly": 50,
        "remaining": 50,
        "utilization_pct": 0.0,
    }
    assert body["usage_anomalies"] == {
        "has_anomalies": False,
        "anomalies": [],
        "count": 0,
        "severity": "none",
    }


def test_usage_summary_recent_usage_and_spend_come_from_the_ledger():
    record("k2p5", NOW - timedelta(minutes=10), n=3, input_tokens=1000, output_tokens=500)
    record("sonnet", NOW - timedelta(hours=3), n=2, input_tokens=2000, output_tokens=400)
    record("opus", NOW - timedelta(days=1))  # yesterday: not today's
    status = orchestrator_status(now=NOW)
    assert status["usage_summary"] == {
        "top_models": [
            # 1000 × 0.0005/1K + 500 × 0.0015/1K = 0.00125 → 0.0013 a call
            {
                "model": "k2p5",
                "calls": 3,
                "tokens": 4500,
                "avg_tokens_per_call": D("1500.00"),
                "estimated_spend": D("0.0039"),
            },
            # 2000 × 0.003/1K + 400 × 0.015/1K = 0.012 a call
            {
                "model": "sonnet",
                "calls": 2,
                "tokens": 4800,
                "avg_tokens_per_call": D("2400.00"),
                "estimated_spend": D("0.0240"),
            },
        ],
        "total_calls": 5,
    }
    assert status["recent_usage"] == 3  # the last hour: the k2p5 calls only
    assert status["today_spend"] == D("0.0279")
    assert status["model_mix_recommendation"]["primary"] == ["k2p5", "sonnet"]
    assert status["model_mix_recommendation"]["secondary"] == ["codex"]


@pytest.mark.parametrize(
    ("reserved", "level", "action", "strategy"),
    [
        ("49.99", "ok", "No action required", "balanced"),
        ("50", "notice", "No action required", "balanced"),
        ("69.99", "notice", "No action required", "balanced"),
        (
            "70",
            "warning",
            "Shift medium/low-priority tasks to k2p5/minimax and monitor hourly",
            "cost-optimized",
        ),
        (
            "89.99",
            "warning",
            "Shift medium/low-priority tasks to k2p5/minimax and monitor hourly",
            "cost-optimized",
        ),
        (
            "90",
            "critical",
            "Pause non-critical workloads and force cheapest model routing",
            "cost-optimized",
        ),
    ],
)
def test_budget_level_flags_and_mix_follow_the_days_reservations(reserved, level, action, strategy):
    budget_set(daily_budget=D("100"))
    budget_reserve(amount=D(reserved), now=NOW)
    status = orchestrator_status(now=NOW)
    assert status["budget_utilization_pct"] == D(reserved)
    assert status["budget_remaining"] == D("100") - D(reserved)
    assert status["today_spend"] == 0  # reservations are not spend
    assert status["budget_alert_level"] == level
    flags = status["operational_flags"]
    assert (flags["budget_alert_level"], flags["recommended_action"]) == (level, action)
    assert flags["requires_ops_attention"] is (level in ("warning", "critical"))
    assert status["model_mix_recommendation"]["strategy"] == strategy


@pytest.mark.parametrize(("used", "hot"), [(7999, False), (8000, True)])
def test_a_provider_at_80_percent_of_its_window_is_hot(used, hot):
    Provider.objects.filter(pk="openai-codex").update(hourly_limit=10_000)
    window_take(provider="openai-codex", n=used, now=NOW)
    status = orchestrator_status(now=NOW)
    row = status["provider_usage"]["openai-codex"]
    assert (row["current"], row["hourly"], row["remaining"]) == (used, 10_000, 10_000 - used)
    assert str(row["utilization_pct"]) == ("80.00" if hot else "79.99")
    flags = status["operational_flags"]
    assert flags["hot_providers"] == (["openai-codex"] if hot else [])
    assert flags["requires_ops_attention"] is hot
    assert flags["max_provider_utilization_pct"] == row["utilization_pct"]
    expected = "Throttle traffic for: openai-codex" if hot else "No action required"
    assert flags["recommended_action"] == expected


@pytest.mark.parametrize(
    ("calls", "tokens_per_call", "types"),
    [
        (99, 1000, []),
        (100, 1000, ["high_call_volume"]),
        (1, 4999, []),
        (1, 5000, ["high_tokens_per_call"]),
    ],
)
def test_anomalies_over_the_last_hours_ledger(calls, tokens_per_call, types):
    record(
        "k2p5", NOW - timedelta(minutes=30), n=calls, input_tokens=tokens_per_call, output_tokens=0
    )
    record("k2p5", NOW - timedelta(minutes=61), n=5)  # before the last hour: not counted
    anomalies = orchestrator_status(now=NOW)["usage_anomalies"]
    assert [a["type"] for a in anomalies["anomalies"]] == types
    assert anomalies["severity"] == ("warning" if types else "none")


def test_models_active_leaves_out_a_provider_whose_circuit_is_open():
    Provider.objects.filter(pk="anthropic").update(
        breaker_state="open", breaker_failures=3, breaker_opened_at=NOW - timedelta(seconds=10)
    )
    assert orchestrator_status(now=NOW)["models_active"] == 3  # sonnet and opus are out
    # Past its open period the breaker is half-open: its models count again.
    assert orchestrator_status(now=NOW + timedelta(seconds=90))["models_active"] == 5


def test_monthly_forecast_from_month_to_date_and_the_last_seven_days():
    # opus output: 0.075 per 1K tokens; 20,000 tokens = 1.50.
    record("opus", datetime(2026, 3, 1, 9, tzinfo=UTC), input_tokens=0, output_tokens=40_000)
    for back in range(1, 8):
        record("opus", NOW - timedelta(days=back), input_tokens=0, output_tokens=20_000)
    record("opus", NOW - timedelta(hours=1), input_tokens=0, output_tokens=10_000)
    forecast = orchestrator_status(now=NOW)["monthly_forecast"]
    # month to date 3.00 + 7 × 1.50 + 0.75 = 14.25; 21.5 days left at 1.50 a day
    assert forecast == {
        "projected_spend": D("46.5000"),
        "budget_ceiling": D("1550.0000"),
        "delta_to_budget": D("1503.5000"),
    }


def test_pricing_previews_read_every_owners_stored_records(make_client, reader):
    seller = make_client(["billing:read", "billing:write"])
    escalate = {
        "model": "opus",
        "estimated_input": 10000,
        "estimated_output": 10000,
        "complexity": "low",
        "segment": "startup",
    }
    decision = seller.post("/api/pricing/decision", escalate, format="json").json()
    exception = {"decision_id": decision["decision_id"], "reason": "strategic"}
    assert seller.post("/api/pricing/exceptions", exception, format="json").status_code == 201
    scenarios = {"scenarios": [{"model": "k2p5"}, escalate]}
    evaluation = seller.post("/api/pricing/scenario", scenarios, format="json").json()

    body = reader.get("/api/orchestrator/status").json()
    assert body["quote_decision_preview"] == decision["decision"]
    assert body["quote_decision_preview"]["decision_status"] == "escalated"
    portfolio = body["quote_portfolio_preview"]
    assert portfolio == {key: evaluation[key] for key in NESTED_KEYS["quote_portfolio_preview"]}
    assert body["portfolio_alert_preview"] == {
        "level": "critical",
        "summary": "Portfolio executive review required: 1/2 compliant, ratio 0.5",
        "recommended_action": "route_to_executive_review",
    }
    weekly = body["weekly_metrics_preview"]
    assert (weekly["total_quotes"], weekly["escalated_count"], weekly["exceptions_created"]) == (
        1,
        1,
        1,
    )
    assert (
        body["weekly_comparison_preview"]["week_over_week_changes"]["total_quotes_change"] is None
    )
    assert body["exception_aging_preview"]["open_exceptions"] == 1
    assert body["exception_alert_preview"]["summary"] == "Exceptions under control: 1 open"


def test_without_stored_records_the_previews_are_the_examples(reader):
    body = reader.get("/api/orchestrator/status").json()
    assert body["example_task_quote"]["internal_cost"] == 0.002
    assert body["example_task_quote"]["recommended_price"] == 0.5
    assert body["quote_decision_preview"]["decision_status"] == "approved"
    portfolio = body["quote_portfolio_preview"]
    assert (portfolio["scenario_count"], portfolio["compliant_count"]) == (3, 3)
    assert body["portfolio_alert_preview"]["recommended_action"] == "send_proposal"


def test_the_guardrail_check_follows_the_policy_in_force(make_client, reader):
    operator = make_client(["billing:read", "billing:write"], staff=True)
    changed = operator.put(
        "/api/pricing/policy", {"margin_thresholds": {"task": 99.7}}, format="json"
    )
    assert changed.status_code == 200, changed.content
    body = reader.get("/api/orchestrator/status").json()
    assert body["pricing_guardrail_check"] == {
        "delivery_type": "task",
        "minimum_margin_pct": 99.7,
        "actual_margin_pct": 99.6,
        "is_compliant": False,
        "action": "escalate_deal_desk",
    }
    assert body["quote_decision_preview"]["next_step"] == "route_to_deal_desk"


def test_the_status_needs_agents_read(make_client):
    assert make_client(["billing:read"]).get("/api/orchestrator/status").status_code == 403
