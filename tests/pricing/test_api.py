"""The pricing endpoints through HTTP: every reference example that follows from its own formulas,
in JSON, urlencoded and multipart bodies (docs/pricing-examples.md lists the ones that do not).

Reference numbers are written as the reference shows them (94.6); JSON numbers compare equal
(94.6 == 94.60).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.models import ModelAlias
from j1msky.models import Event
from pricing.models import Decision, PricingException, Quote, ScenarioEvaluation
from tests.pricing.conftest import error, ok, send

pytestmark = pytest.mark.django_db

POLICY = {
    "complexity_markup": {"low": 3.0, "medium": 4.0, "high": 5.0},
    "segment_adjustments": {"enterprise": 0.5, "mid_market": 0.0, "smb": -0.5, "startup": -1.0},
    "minimum_price": 0.5,
    "margin_thresholds": {"task": 55.0, "subscription": 50.0, "enterprise": 45.0},
}


def _events(user, kind=None):
    rows = Event.objects.filter(owner=user, type__startswith="pricing.").order_by("id")
    if kind:
        rows = rows.filter(type=kind)
    return list(rows)


# --- quote --------------------------------------------------------------------------------------


def test_quote_reproduces_the_reference_example(reader, encoding):
    body = ok(
        send(
            reader,
            "/api/pricing/quote",
            {
                "model": "sonnet",
                "estimated_input": 3000,
                "estimated_output": 1200,
                "complexity": "high",
                "delivery_type": "task",
                "segment": "enterprise",
            },
            encoding,
        )
    )
    assert body["success"] is True
    assert body["quote"] == {
        "model": "sonnet",
        "complexity": "high",
        "segment": "enterprise",
        "estimated_input_tokens": 3000,
        "estimated_output_tokens": 1200,
        "internal_cost": 0.027,
        "base_markup": 5.0,
        "segment_adjustment": 0.5,
        "final_markup": 5.5,
        "recommended_price": 0.5,
        "gross_margin_pct": 94.6,
        "margin_band": "strong",
    }
    assert list(body["quote"]) == [
        "model",
        "complexity",
        "segment",
        "estimated_input_tokens",
        "estimated_output_tokens",
        "internal_cost",
        "base_markup",
        "segment_adjustment",
        "final_markup",
        "recommended_price",
        "gross_margin_pct",
        "margin_band",
    ]
    assert body["guardrail_check"] == {
        "delivery_type": "task",
        "minimum_margin_pct": 55.0,
        "actual_margin_pct": 94.6,
        "is_compliant": True,
        "action": "approve_quote",
    }


def test_quote_defaults_and_storage(reader):
    body = ok(send(reader, "/api/pricing/quote", {"model": "k2p5"}))
    quote = body["quote"]
    assert (quote["complexity"], quote["segment"]) == ("medium", "mid_market")
    assert (quote["estimated_input_tokens"], quote["estimated_output_tokens"]) == (1000, 500)
    assert quote["internal_cost"] == 0.0013  # 0.00125 rounds half-up
    assert body["guardrail_check"]["delivery_type"] == "task"
    stored = Quote.objects.get(quote_id=body["quote_id"])
    assert stored.owner == reader.user and str(stored.internal_cost) == "0.0013"
    [event] = _events(reader.user)
    assert event.type == "pricing.quote_generated"
    assert event.data["quote_id"] == body["quote_id"]


def test_blank_form_fields_take_the_defaults(reader):
    body = ok(
        send(
            reader,
            "/api/pricing/quote",
            {"model": "k2p5", "estimated_input": "", "segment": "", "complexity": ""},
            "form",
        )
    )
    assert body["quote"]["estimated_input_tokens"] == 1000
    assert body["quote"]["segment"] == "mid_market"


def test_quote_single_count_form(reader):
    body = ok(
        send(reader, "/api/pricing/quote", {"model": "k2p5", "estimated_tokens": 2000}, "form")
    )
    assert body["quote"] == {
        "model": "k2p5",
        "complexity": "medium",
        "segment": "mid_market",
        "estimated_tokens": 2000,
        "internal_cost": 0.002,
        "base_markup": 4.0,
        "segment_adjustment": 0.0,
        "final_markup": 4.0,
        "recommended_price": 0.5,
        "gross_margin_pct": 99.6,
        "margin_band": "strong",
    }


def test_codex_is_quotable_only_while_enabled(reader):
    ok(send(reader, "/api/pricing/quote", {"model": "codex"}))
    ModelAlias.objects.filter(pk="codex").update(enabled=False)
    err = error(send(reader, "/api/pricing/quote", {"model": "codex"}))
    assert err["details"] == {"model": ["Unsupported model: codex"]}


def test_rate_card_comes_from_the_catalogue(reader):
    ModelAlias.objects.filter(pk="k2p5").update(input_rate="0.2", output_rate="0.2")
    body = ok(send(reader, "/api/pricing/quote", {"model": "k2p5"}))
    assert body["quote"]["internal_cost"] == 0.3  # 1000/1000 x 0.2 + 500/1000 x 0.2
    assert body["quote"]["recommended_price"] == 1.2


def test_quotes_are_listed_and_read_by_their_owner_only(reader, make_client, seeded):
    other = make_client(["billing:read"])
    quote_id = ok(send(reader, "/api/pricing/quote", {"model": "opus"}))["quote_id"]
    ok(send(other, "/api/pricing/quote", {"model": "k2p5"}))
    assert ok(reader.get(f"/api/pricing/quotes/{quote_id}"))["quote"]["model"] == "opus"
    assert error(other.get(f"/api/pricing/quotes/{quote_id}"), 404)["type"] == "quote_not_found"
    listed = ok(reader.get("/api/pricing/quotes?model=opus"))
    assert [row["quote_id"] for row in listed["data"]] == [quote_id]
    assert ok(reader.get("/api/pricing/quotes?model=k2p5"))["data"] == []


# --- status -------------------------------------------------------------------------------------


def test_status_reproduces_policy_mid_market_example_and_guardrail(reader):
    body = ok(reader.get("/api/pricing/status"))
    assert body["pricing_policy"] == POLICY
    mid = body["example_quotes"]["mid_market"]
    assert {k: mid[k] for k in ("model", "complexity", "segment", "base_markup")} == {
        "model": "k2p5",
        "complexity": "medium",
        "segment": "mid_market",
        "base_markup": 4.0,
    }
    assert (mid["segment_adjustment"], mid["final_markup"]) == (0.0, 4.0)
    assert (mid["recommended_price"], mid["gross_margin_pct"], mid["margin_band"]) == (
        0.5,
        99.7,
        "strong",
    )
    assert body["guardrail_check"] == {
        "delivery_type": "task",
        "minimum_margin_pct": 55.0,
        "actual_margin_pct": 99.7,
        "is_compliant": True,
        "action": "approve_quote",
    }
    # docs/pricing-examples.md: the enterprise and smb examples cannot be the reference's.
    enterprise, smb = body["example_quotes"]["enterprise"], body["example_quotes"]["smb"]
    assert (enterprise["final_markup"], enterprise["recommended_price"]) == (5.5, 0.5)
    assert enterprise["gross_margin_pct"] == 95.8
    assert (smb["final_markup"], smb["gross_margin_pct"]) == (2.5, 99.78)


def test_status_survives_a_disabled_example_model(reader):
    ModelAlias.objects.filter(pk="k2p5").update(enabled=False)
    assert ok(reader.get("/api/pricing/status"))["example_quotes"]["mid_market"]["model"] == "k2p5"


# --- batch quotes -------------------------------------------------------------------------------


def test_batch_quotes(reader, encoding):
    body = ok(
        send(
            reader,
            "/api/pricing/batch-quotes",
            {
                "model": "k2p5",
                "estimated_input": 2000,
                "estimated_output": 800,
                "complexity": "medium",
                "delivery_type": "task",
            },
            encoding,
        )
    )
    assert body["input_params"] == {
        "model": "k2p5",
        "complexity": "medium",
        "estimated_input": 2000,
        "estimated_output": 800,
        "delivery_type": "task",
    }
    segments = body["quotes_by_segment"]
    assert list(segments) == ["enterprise", "mid_market", "smb", "startup"]
    assert [segments[s]["quote"]["final_markup"] for s in segments] == [4.5, 4.0, 3.5, 3.0]
    # docs/pricing-examples.md: every price is the floor, so every margin is 99.56.
    assert {segments[s]["quote"]["recommended_price"] for s in segments} == {0.5}
    assert {segments[s]["quote"]["gross_margin_pct"] for s in segments} == {99.56}
    assert all(segments[s]["guardrail_check"]["action"] == "approve_quote" for s in segments)
    assert body["comparison"] == {
        "best_value_segment": "enterprise",
        "best_value_price": 0.5,
        "highest_margin_segment": "enterprise",
        "highest_margin_pct": 99.56,
    }
    assert Quote.objects.count() == 0  # a calculator: nothing stored


def test_batch_quotes_compares_segments_when_prices_differ(reader):
    body = ok(
        send(
            reader,
            "/api/pricing/batch-quotes",
            {"model": "opus", "estimated_input": 10000, "estimated_output": 10000},
        )
    )
    prices = {s: q["quote"]["recommended_price"] for s, q in body["quotes_by_segment"].items()}
    assert prices == {"enterprise": 4.05, "mid_market": 3.6, "smb": 3.15, "startup": 2.7}
    assert body["comparison"]["best_value_segment"] == "startup"
    assert body["comparison"]["highest_margin_segment"] == "enterprise"


# --- decision -----------------------------------------------------------------------------------


def test_decision_reproduces_the_reference_example(writer, encoding):
    body = ok(
        send(
            writer,
            "/api/pricing/decision",
            {
                "model": "k2p5",
                "estimated_input": 1000,
                "estimated_output": 1000,
                "complexity": "medium",
                "delivery_type": "task",
            },
            encoding,
        ),
        201,
    )
    decision = body["decision"]
    assert {k: v for k, v in decision.items() if k != "generated_at"} == {
        "decision_status": "approved",
        "approver": "ops-auto",
        "delivery_type": "task",
        "next_step": "send_quote",
    }
    assert decision["generated_at"].endswith("Z")
    quote = body["quote"]
    assert (quote["base_markup"], quote["segment_adjustment"], quote["final_markup"]) == (
        4.0,
        0.0,
        4.0,
    )
    assert (quote["recommended_price"], quote["gross_margin_pct"], quote["margin_band"]) == (
        0.5,
        99.6,
        "strong",
    )
    assert body["guardrail_check"]["is_compliant"] is True
    assert body["guardrail_check"]["action"] == "approve_quote"
    assert [e.type for e in _events(writer.user)] == [
        "pricing.quote_generated",
        "pricing.quote_approved",
    ]
    stored = Decision.objects.get(decision_id=body["decision_id"])
    assert stored.quote.quote_id == body["quote_id"] and stored.owner == writer.user


def test_escalated_decision_emits_margin_alert(writer):
    body = ok(
        send(
            writer,
            "/api/pricing/decision",
            {
                "model": "opus",
                "estimated_input": 10000,
                "estimated_output": 10000,
                "complexity": "low",
                "segment": "startup",
                "approver": "jane",
            },
        ),
        201,
    )
    assert body["decision"]["decision_status"] == "escalated"
    assert body["decision"]["next_step"] == "route_to_deal_desk"
    assert body["decision"]["approver"] == "jane"
    assert body["quote"]["gross_margin_pct"] == 50.0
    assert body["guardrail_check"]["action"] == "escalate_deal_desk"
    events = _events(writer.user)
    assert [e.type for e in events] == [
        "pricing.quote_generated",
        "pricing.quote_escalated",
        "pricing.margin_alert",
    ]
    assert events[2].data["actual_margin_pct"] == 50.0
    assert events[2].data["minimum_margin_pct"] == 55.0


def test_decision_on_a_stored_quote(writer, make_client, seeded):
    quote_id = ok(send(writer, "/api/pricing/quote", {"model": "k2p5"}))["quote_id"]
    body = ok(send(writer, "/api/pricing/decision", {"quote_id": quote_id}), 201)
    assert body["quote_id"] == quote_id
    assert Quote.objects.count() == 1
    assert ok(writer.get(f"/api/pricing/quotes/{quote_id}"))["decision_id"] == body["decision_id"]
    again = error(send(writer, "/api/pricing/decision", {"quote_id": quote_id}), 409)
    assert again["type"] == "quote_already_decided"
    both = error(send(writer, "/api/pricing/decision", {"quote_id": quote_id, "model": "opus"}))
    assert "quote_id" in both["details"]
    other = make_client(["billing:write"])
    assert error(send(other, "/api/pricing/decision", {"quote_id": quote_id}), 404)["type"] == (
        "quote_not_found"
    )


def test_decisions_belong_to_their_owner(writer, make_client, seeded):
    decision_id = ok(send(writer, "/api/pricing/decision", {"model": "k2p5"}), 201)["decision_id"]
    other = make_client(["billing:read", "billing:write"])
    assert ok(writer.get(f"/api/pricing/decisions/{decision_id}"))["decision_id"] == decision_id
    assert error(other.get(f"/api/pricing/decisions/{decision_id}"), 404)["type"] == (
        "decision_not_found"
    )
    assert ok(other.get("/api/pricing/decisions"))["data"] == []
    listed = ok(writer.get("/api/pricing/decisions?decision_status=approved"))["data"]
    assert [row["decision_id"] for row in listed] == [decision_id]
    assert ok(writer.get("/api/pricing/decisions?decision_status=escalated"))["data"] == []


def test_decision_is_idempotent_with_a_key(writer):
    headers = {"HTTP_IDEMPOTENCY_KEY": "decide-once"}
    one = writer.post("/api/pricing/decision", {"model": "k2p5"}, format="json", **headers)
    two = writer.post("/api/pricing/decision", {"model": "k2p5"}, format="json", **headers)
    assert one.status_code == two.status_code == 201
    assert one.json() == two.json() and two["Idempotency-Replayed"] == "true"
    assert Decision.objects.count() == 1


# --- portfolio, weekly, experiment, exception alert --------------------------------------------


def test_portfolio_alert_reproduces_the_reference_example(reader, encoding):
    body = ok(
        send(
            reader,
            "/api/pricing/portfolio-alert",
            {"scenario_count": 3, "compliant_count": 3, "average_margin_pct": 88.13},
            encoding,
        )
    )
    assert body["portfolio_summary"] == {
        "scenario_count": 3,
        "compliant_count": 3,
        "compliance_ratio": 1.0,
        "requires_executive_review": False,
        "average_margin_pct": 88.13,
    }
    assert body["portfolio_alert"] == {
        "level": "ok",
        "summary": "Portfolio healthy: 3/3 compliant, margin 88.13%",
        "recommended_action": "send_proposal",
    }


@pytest.mark.parametrize(
    ("count", "compliant", "level", "summary", "action"),
    [
        (0, 0, "ok", "No portfolio scenarios to evaluate", "no_action"),
        (3, 1, "critical", "Portfolio executive review required: 1/3 compliant, ratio 0.33",
         "route_to_executive_review"),
        (3, 2, "warning", "Portfolio needs attention: 2/3 compliant", "proceed_with_caution"),
    ],
)  # fmt: skip
def test_portfolio_alert_levels(reader, count, compliant, level, summary, action):
    body = ok(
        send(
            reader,
            "/api/pricing/portfolio-alert",
            {"scenario_count": count, "compliant_count": compliant, "average_margin_pct": 70},
        )
    )
    assert body["portfolio_alert"] == {
        "level": level,
        "summary": summary,
        "recommended_action": action,
    }


def test_weekly_metrics_reproduces_the_reference_example(reader, encoding):
    approved = {"decision_status": "approved", "gross_margin_pct": 72.5}
    escalated = {"decision_status": "escalated", "gross_margin_pct": 72.5}
    quotes = (
        [{**approved, "exception_created": True, "exception_closed": True}] * 2
        + [{**escalated, "exception_created": True}]
        + [approved] * 36
        + [escalated] * 6
    )
    body = ok(send(reader, "/api/pricing/weekly-metrics", {"quotes": quotes}, encoding))
    assert body["weekly_metrics"] == {
        "total_quotes": 45,
        "approved_count": 38,
        "escalated_count": 7,
        "approval_rate": 0.84,
        "avg_margin_pct": 72.5,
        "exceptions_created": 3,
        "exceptions_closed": 2,
    }


def test_weekly_metrics_accepts_the_array_as_json_text_in_a_json_body(reader):
    text = '[{"decision_status": "approved", "gross_margin_pct": 99.6}]'
    body = ok(send(reader, "/api/pricing/weekly-metrics", {"quotes": text}))
    assert body["weekly_metrics"]["avg_margin_pct"] == 99.6


def test_weekly_comparison_reproduces_the_reference_changes(reader, encoding):
    body = ok(
        send(
            reader,
            "/api/pricing/weekly-comparison",
            {
                "current_total_quotes": 50,
                "current_approval_rate": 0.84,
                "current_avg_margin_pct": 72.5,
                "current_exceptions_created": 3,
                "prev_total_quotes": 45,
                "prev_approval_rate": 0.88,
                "prev_avg_margin_pct": 68.0,
                "prev_exceptions_created": 2,
            },
            encoding,
        )
    )
    assert body["week_over_week_changes"] == {
        "total_quotes_change": 11.11,
        "approval_rate_change": -4.55,
        "avg_margin_change": 6.62,
        "exceptions_created_change": 50.0,
    }
    # docs/pricing-examples.md: +50.00 % is not > 50, so no shift.
    assert body["significant_shifts"] == []
    assert body["requires_review"] is False


def test_weekly_comparison_from_zero_is_null_never_infinity(reader):
    body = ok(
        send(
            reader,
            "/api/pricing/weekly-comparison",
            {
                "current_total_quotes": 10,
                "current_approval_rate": 0.5,
                "current_avg_margin_pct": 60,
                "current_exceptions_created": 4,
                "prev_total_quotes": 5,
                "prev_approval_rate": 0.8,
                "prev_avg_margin_pct": 60,
            },
        )
    )
    assert body["week_over_week_changes"]["exceptions_created_change"] is None
    assert body["significant_shifts"] == [
        "Approval rate shifted -37.5%",
        "Exception creation up new",
    ]


def test_experiment_summary(reader, encoding):
    control = [{"variant": "control", "decision_status": "approved", "gross_margin_pct": 72.5}] * 38
    control += [
        {"variant": "control", "decision_status": "escalated", "gross_margin_pct": 72.5}
    ] * 7
    test = [{"variant": "test", "decision_status": "approved", "gross_margin_pct": 78.0}] * 9
    test += [{"variant": "test", "decision_status": "escalated", "gross_margin_pct": 78.0}] * 3
    body = ok(send(reader, "/api/pricing/experiment-summary", {"quotes": control + test}, encoding))
    assert body["status"] == "complete"
    assert body["control"] == {"count": 45, "approval_rate": 0.84, "avg_margin_pct": 72.5}
    assert body["test"] == {"count": 12, "approval_rate": 0.75, "avg_margin_pct": 78.0}
    # docs/pricing-examples.md: 0.75 < 0.9 x 0.84, so not roll_out.
    assert body["recommendation"] == "inconclusive"
    assert body["min_sample_met"] is False


def test_exception_alert_reproduces_the_reference_example(reader, encoding):
    body = ok(
        send(
            reader,
            "/api/pricing/exception-alert",
            {"open_exceptions": 4, "oldest_days": 33, "at_risk_count": 2},
            encoding,
        )
    )
    assert body["exception_aging"] == {
        "open_exceptions": 4,
        "oldest_days": 33,
        "at_risk_count": 2,
        "requires_exec_followup": True,
        "risk_level": "critical",
        "next_action": "schedule_executive_review",
    }
    assert body["exception_alert"] == {
        "level": "critical",
        "summary": "Critical exception risk: 4 open, oldest 33d",
        "recommended_action": "schedule_executive_review",
    }


# --- scenario -----------------------------------------------------------------------------------

SCENARIOS = [
    {"model": "k2p5", "estimated_input": 1000, "estimated_output": 1000, "complexity": "medium"},
    {
        "model": "opus",
        "estimated_input": 10000,
        "estimated_output": 10000,
        "complexity": "low",
        "segment": "startup",
    },
    {
        "model": "sonnet",
        "estimated_input": 3000,
        "estimated_output": 1200,
        "complexity": "high",
        "segment": "enterprise",
    },
]


def test_scenario_rollup_and_storage(reader, encoding):
    body = ok(
        send(
            reader,
            "/api/pricing/scenario",
            {"delivery_type": "task", "scenarios": SCENARIOS},
            encoding,
        )
    )
    summary = {k: v for k, v in body.items() if k not in ("results", "evaluation_id")}
    assert summary == {
        "success": True,
        "delivery_type": "task",
        "scenario_count": 3,
        "compliant_count": 2,
        "compliance_ratio": 0.67,
        "needs_escalation": True,
        "requires_executive_review": False,
        "average_margin_pct": 81.4,
    }
    first, second, _ = body["results"]
    assert (first["quote"]["model"], first["quote"]["gross_margin_pct"]) == ("k2p5", 99.6)
    assert first["quote"]["margin_band"] == "strong"
    assert first["guardrail_check"]["action"] == "approve_quote"
    assert (second["quote"]["model"], second["quote"]["margin_band"]) == ("opus", "at_risk")
    assert second["guardrail_check"] == {
        "delivery_type": "task",
        "minimum_margin_pct": 55.0,
        "actual_margin_pct": 50.0,
        "is_compliant": False,
        "action": "escalate_deal_desk",
    }
    stored = ScenarioEvaluation.objects.get(evaluation_id=body["evaluation_id"])
    assert stored.owner == reader.user and str(stored.average_margin_pct) == "81.40"
    assert stored.results[1]["quote"]["internal_cost"] == Decimal("0.9")  # read back exact


def test_portfolio_alert_without_fields_uses_the_latest_evaluation(reader):
    empty = ok(send(reader, "/api/pricing/portfolio-alert", {}))
    assert empty["portfolio_alert"]["summary"] == "No portfolio scenarios to evaluate"
    ok(send(reader, "/api/pricing/scenario", {"scenarios": SCENARIOS}))
    body = ok(send(reader, "/api/pricing/portfolio-alert", {}))
    assert body["portfolio_summary"]["compliant_count"] == 2
    assert body["portfolio_alert"]["summary"] == "Portfolio needs attention: 2/3 compliant"


# --- exceptions ---------------------------------------------------------------------------------

ESCALATE = {
    "model": "opus",
    "estimated_input": 10000,
    "estimated_output": 10000,
    "complexity": "low",
    "segment": "startup",
}


def _escalated(client) -> str:
    return ok(send(client, "/api/pricing/decision", ESCALATE), 201)["decision_id"]


def test_exception_lifecycle(writer, encoding):
    decision_id = _escalated(writer)
    created = ok(
        send(
            writer,
            "/api/pricing/exceptions",
            {"decision_id": decision_id, "approver": "deal desk", "reason": "strategic"},
            encoding,
        ),
        201,
    )["exception"]
    assert created["decision_id"] == decision_id
    assert (created["status"], created["approver"], created["reason"]) == (
        "open",
        "deal desk",
        "strategic",
    )
    assert (created["age_days"], created["closed_at"]) == (0, None)
    assert (created["model"], created["gross_margin_pct"], created["minimum_margin_pct"]) == (
        "opus",
        50.0,
        55.0,
    )
    [event] = _events(writer.user, "pricing.exception_created")
    assert event.data["exception_id"] == created["exception_id"]
    listed = ok(writer.get("/api/pricing/exceptions?status=open"))
    assert [row["exception_id"] for row in listed["data"]] == [created["exception_id"]]
    alert = ok(send(writer, "/api/pricing/exception-alert", {}))
    assert alert["exception_alert"]["summary"] == "Exceptions under control: 1 open"
    closed = ok(
        send(
            writer,
            f"/api/pricing/exceptions/{created['exception_id']}/close",
            {"resolution": "re-priced"},
            encoding,
        )
    )["exception"]
    assert (closed["status"], closed["resolution"]) == ("closed", "re-priced")
    assert closed["closed_at"] is not None
    again = send(writer, f"/api/pricing/exceptions/{created['exception_id']}/close", {})
    assert error(again, 409)["type"] == "exception_closed"
    assert ok(writer.get("/api/pricing/exceptions?status=open"))["data"] == []
    alert = ok(send(writer, "/api/pricing/exception-alert", {}))
    assert alert["exception_alert"]["summary"] == "No open quote exceptions"


def test_exception_rules(writer, make_client, seeded):
    approved = ok(send(writer, "/api/pricing/decision", {"model": "k2p5"}), 201)["decision_id"]
    err = error(send(writer, "/api/pricing/exceptions", {"decision_id": approved}), 409)
    assert err["type"] == "decision_not_escalated"
    escalated = _escalated(writer)
    ok(send(writer, "/api/pricing/exceptions", {"decision_id": escalated}), 201)
    err = error(send(writer, "/api/pricing/exceptions", {"decision_id": escalated}), 409)
    assert err["type"] == "exception_exists"
    assert PricingException.objects.get().approver == "deal-desk"
    other = make_client(["billing:read", "billing:write"])
    err = error(send(other, "/api/pricing/exceptions", {"decision_id": escalated}), 404)
    assert err["type"] == "decision_not_found"
    exception_id = PricingException.objects.get().exception_id
    assert error(send(other, f"/api/pricing/exceptions/{exception_id}/close", {}), 404)
    assert ok(other.get("/api/pricing/exceptions"))["data"] == []
    missing = error(send(writer, "/api/pricing/exceptions", {}))
    assert "decision_id" in missing["details"]


def test_weekly_metrics_without_quotes_uses_this_weeks_stored_decisions(writer):
    ok(send(writer, "/api/pricing/decision", {"model": "k2p5", "estimated_output": 1000}), 201)
    decision_id = _escalated(writer)
    ok(send(writer, "/api/pricing/exceptions", {"decision_id": decision_id}), 201)
    body = ok(send(writer, "/api/pricing/weekly-metrics", {}))
    assert body["weekly_metrics"] == {
        "total_quotes": 2,
        "approved_count": 1,
        "escalated_count": 1,
        "approval_rate": 0.5,
        "avg_margin_pct": 74.8,  # (99.6 + 50.0) / 2
        "exceptions_created": 1,
        "exceptions_closed": 0,
    }
    comparison = ok(send(writer, "/api/pricing/weekly-comparison", {}))
    assert comparison["week_over_week_changes"]["total_quotes_change"] is None
    assert comparison["requires_review"] is True


# --- policy -------------------------------------------------------------------------------------


def test_policy_read_and_change(writer, encoding):
    current = ok(writer.get("/api/pricing/policy"))["policy"]
    assert current["version"] == 1
    assert {k: current[k] for k in POLICY} == POLICY
    assert current["margin_bands"] == {"strong": 70.0, "healthy": 55.0}
    body = ok(
        send(
            writer,
            "/api/pricing/policy",
            {"complexity_markup": {"high": 6}, "minimum_price": "0.75", "note": "Q3", "version": 1},
            encoding,
            method="put",
        )
    )
    assert body["changed"] is True
    assert body["policy"]["version"] == 2
    assert body["policy"]["complexity_markup"] == {"low": 3.0, "medium": 4.0, "high": 6.0}
    assert body["policy"]["minimum_price"] == 0.75
    assert body["policy"]["created_by"] == writer.user.username
    quote = ok(send(writer, "/api/pricing/quote", {"model": "k2p5", "complexity": "high"}))
    assert (quote["quote"]["base_markup"], quote["quote"]["recommended_price"]) == (6.0, 0.75)
    assert ok(writer.get("/api/pricing/status"))["pricing_policy"]["minimum_price"] == 0.75
    [event] = _events(writer.user, "pricing.policy_changed")
    assert event.data["changes"]["complexity_markup.high"] == {"from": 5.0, "to": 6.0}
    stale = send(writer, "/api/pricing/policy", {"minimum_price": 1, "version": 1}, method="put")
    assert error(stale, 409)["type"] == "policy_version_conflict"
    same = ok(send(writer, "/api/pricing/policy", {"minimum_price": 0.75}, method="put"))
    assert same["changed"] is False and same["policy"]["version"] == 2


# --- scopes -------------------------------------------------------------------------------------

READ_ROUTES = [
    ("get", "/api/pricing/status"),
    ("get", "/api/pricing/health"),
    ("get", "/api/pricing/report"),
    ("get", "/api/pricing/reports"),
    ("get", "/api/pricing/reports/2026-02-20"),
    ("get", "/api/pricing/policy"),
    ("get", "/api/pricing/quotes"),
    ("get", "/api/pricing/decisions"),
    ("get", "/api/pricing/exceptions"),
    ("post", "/api/pricing/quote"),
    ("post", "/api/pricing/batch-quotes"),
    ("post", "/api/pricing/scenario"),
    ("post", "/api/pricing/portfolio-alert"),
    ("post", "/api/pricing/weekly-metrics"),
    ("post", "/api/pricing/weekly-comparison"),
    ("post", "/api/pricing/experiment-summary"),
    ("post", "/api/pricing/exception-alert"),
]
WRITE_ROUTES = [
    ("post", "/api/pricing/decision"),
    ("put", "/api/pricing/policy"),
    ("post", "/api/pricing/exceptions"),
    ("post", "/api/pricing/exceptions/exception_x/close"),
]


@pytest.mark.parametrize(("method", "path"), READ_ROUTES + WRITE_ROUTES)
def test_every_route_refuses_a_key_without_its_scope(make_client, seeded, method, path):
    scope = "billing:write" if (method, path) in WRITE_ROUTES else "billing:read"
    others = [s for s in ("agents:read", "agents:write", "billing:read", "billing:write",
                          "admin:write") if s != scope]  # fmt: skip
    response = getattr(make_client(others), method)(path, {}, format="json")
    assert error(response, 403)["message"] == f"Missing required scope: {scope}"


def test_read_scope_is_enough_for_the_calculators_that_store(reader):
    ok(send(reader, "/api/pricing/quote", {"model": "k2p5"}))
    ok(send(reader, "/api/pricing/scenario", {"scenarios": [{"model": "k2p5"}]}))
    assert error(send(reader, "/api/pricing/decision", {"model": "k2p5"}), 403)


def test_anonymous_is_401(anon_client, seeded):
    assert error(anon_client.get("/api/pricing/status"), 401)
