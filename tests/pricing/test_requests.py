"""The pricing request serializers: the values they accept, the messages they refuse the rest
with (naming the field and, inside an array, the item), and the engine inputs they build.

These are the checks the engine made on raw values before the request bodies were typed; the
same values and messages, now refused at the edge (HTTP: tests/pricing/test_api_errors.py).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import QueryDict

from pricing import engine as e
from pricing.api.serializers import policy as policy_rq
from pricing.api.serializers import requests as rq
from pricing.api.serializers.requests import error_paths

D = Decimal
TOKENS_MESSAGE = "estimated_input must be an integer between 0 and 10000000"


def checked(serializer_class, body):
    serializer = serializer_class(data=body)
    assert serializer.is_valid(), serializer.errors
    return serializer.input()


def refused(serializer_class, body) -> dict:
    serializer = serializer_class(data=body)
    assert not serializer.is_valid()
    return error_paths(serializer.errors)


def quote_input(**body) -> e.QuoteInput:
    return checked(rq.PricingQuoteRequestSerializer, {"model": "k2p5", **body}).quote


# --- token counts and numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (10_000_000, 10_000_000),
        ("1200", 1200),
        (" 1200 ", 1200),
        ("007", 7),
        ("0000000000000000000010000000", 10_000_000),
    ],
)
def test_tokens_accepted(value, expected):
    assert quote_input(estimated_input=value).estimated_input == expected


@pytest.mark.parametrize(
    "value",
    [
        -1,
        10_000_001,
        True,
        False,
        1.5,
        1200.0,
        D("1200"),
        "1.5",
        "abc",
        "-1",
        "+5",
        "1e3",
        "1_000",
        "١٢",
        "²",
        "9" * 5000,
        [1200],
    ],
)
def test_tokens_refused(value):
    body = {"model": "k2p5", "estimated_input": value}
    assert refused(rq.PricingQuoteRequestSerializer, body) == {"estimated_input": [TOKENS_MESSAGE]}


@pytest.mark.parametrize("value", ["", " "])
def test_a_blank_form_value_takes_the_default(value):
    form = QueryDict(mutable=True)
    form.update({"model": "k2p5", "estimated_input": value})
    assert checked(rq.PricingQuoteRequestSerializer, form).quote.estimated_input == (
        e.DEFAULT_INPUT_TOKENS
    )


def test_null_tokens_take_the_default_at_the_top_and_in_an_item():
    assert quote_input(estimated_input=None).estimated_input == e.DEFAULT_INPUT_TOKENS
    body = {"scenarios": [{"model": "k2p5", "estimated_input": None}]}
    [scenario] = checked(rq.PricingScenarioRequestSerializer, body).scenarios
    assert scenario.estimated_input == e.DEFAULT_INPUT_TOKENS


@pytest.mark.parametrize("value", ["", " "])
def test_blank_json_text_is_refused_as_a_count(value):
    """JSON can leave a field out; blank text is a value, and not an integer (as the schema
    says)."""
    body = {"model": "k2p5", "estimated_input": value}
    assert refused(rq.PricingQuoteRequestSerializer, body) == {"estimated_input": [TOKENS_MESSAGE]}
    body = {"scenarios": [{"model": "k2p5", "estimated_input": value}]}
    message = "estimated_input in scenario 0 must be an integer between 0 and 10000000"
    assert refused(rq.PricingScenarioRequestSerializer, body) == {
        "scenarios[0].estimated_input": [message]
    }
    body = {"scenario_count": value}
    assert list(refused(rq.PricingPortfolioAlertRequestSerializer, body)) == ["scenario_count"]


def test_quote_accepts_form_strings():
    assert quote_input(estimated_input="1200", estimated_output="600") == e.QuoteInput(
        "k2p5", 1200, 600
    )
    assert e.quote(quote_input(estimated_tokens="2000")) == e.example_task_quote()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "1"),
        ("0.1", "0.1"),
        (" 88.13 ", "88.13"),
        (0.1, "0.1"),
        (88.13, "88.13"),
        (D("2.50"), "2.50"),
        ("-4.55", "-4.55"),
        ("1e3", "1E+3"),
    ],
)
def test_numbers_accepted(value, expected):
    update = checked(policy_rq.PricingPolicyUpdateRequestSerializer, {"minimum_price": value})
    assert str(update.changes["minimum_price"]) == expected


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        "nan",
        "NaN",
        "sNaN",
        float("nan"),
        float("inf"),
        float("-inf"),
        "Infinity",
        "-inf",
        D("NaN"),
        D("sNaN"),
        D("Infinity"),
        "abc",
        "1_000",
        "1e400",
        10**13,
        [1],
        {"a": 1},
        "9" * 5000,
    ],
)
def test_numbers_refused(value):
    body = {"minimum_price": value}
    assert refused(policy_rq.PricingPolicyUpdateRequestSerializer, body) == {
        "minimum_price": ["minimum_price must be a number"]
    }


def test_number_bounds():
    weeks = checked(rq.PricingWeeklyComparisonRequestSerializer, {"current_approval_rate": "1"})
    assert weeks[0].approval_rate == 1
    body = {"current_approval_rate": "1.01"}
    assert refused(rq.PricingWeeklyComparisonRequestSerializer, body) == {
        "current_approval_rate": ["current_approval_rate must be between 0 and 1"]
    }


# --- quotes and decisions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("serializer_class", "body", "field", "message"),
    [
        (rq.PricingQuoteRequestSerializer, {"complexity": "extreme"}, "complexity",
         "Unsupported complexity: extreme"),
        (rq.PricingQuoteRequestSerializer, {"segment": "whale"}, "segment",
         "Unsupported segment: whale"),
        (rq.PricingQuoteRequestSerializer, {"estimated_input": "abc"}, "estimated_input",
         TOKENS_MESSAGE),
        (rq.PricingQuoteRequestSerializer, {"estimated_output": -1}, "estimated_output",
         "estimated_output must be an integer between 0 and 10000000"),
        (rq.PricingQuoteRequestSerializer, {"estimated_output": "-1"}, "estimated_output",
         "estimated_output must be an integer between 0 and 10000000"),
        (rq.PricingQuoteRequestSerializer, {"estimated_tokens": "1.5"}, "estimated_tokens",
         "estimated_tokens must be an integer between 0 and 10000000"),
        (rq.PricingQuoteRequestSerializer, {"delivery_type": "courier"}, "delivery_type",
         "Unsupported delivery_type: courier"),
        (rq.PricingBatchQuotesRequestSerializer, {"delivery_type": "x"}, "delivery_type",
         "Unsupported delivery_type: x"),
        (rq.PricingQuoteRequestSerializer, {"model": True}, "model", "Unsupported model: True"),
        (rq.PricingQuoteRequestSerializer, {"model": None}, "model", "model is required"),
        (rq.PricingDecisionRequestSerializer, {"approver": "x" * 101}, "approver",
         "approver must be text of at most 100 characters"),
        (rq.PricingDecisionRequestSerializer, {"approver": 42}, "approver",
         "approver must be text of at most 100 characters"),
    ],
)  # fmt: skip
def test_quote_fields_refused(serializer_class, body, field, message):
    assert refused(serializer_class, {"model": "k2p5", **body}) == {field: [message]}


def test_quote_request_leaves_the_defaults_to_the_engine():
    request = checked(rq.PricingQuoteRequestSerializer, {"model": "opus", "segment": "smb"})
    assert request == e.QuoteRequest(e.QuoteInput("opus", segment="smb"))
    assert request.delivery_type == e.DEFAULT_DELIVERY_TYPE


def test_decision_request_prices_a_new_quote_or_names_a_stored_one():
    new = checked(rq.PricingDecisionRequestSerializer, {"model": "k2p5", "approver": " dana "})
    assert (new.quote, new.quote_id, new.approver) == (
        e.QuoteRequest(e.QuoteInput("k2p5")),
        None,
        "dana",
    )
    stored = checked(rq.PricingDecisionRequestSerializer, {"quote_id": "quote_1"})
    assert (stored.quote, stored.quote_id) == (None, "quote_1")
    both = {"quote_id": "quote_1", "model": "k2p5", "delivery_type": "task"}
    message = "Give quote_id or quote fields (delivery_type, model), not both"
    assert refused(rq.PricingDecisionRequestSerializer, both) == {"quote_id": [message]}


# --- scenarios ----------------------------------------------------------------------------------

COMPLIANT_9960 = {"model": "k2p5", "estimated_input": 1000, "estimated_output": 1000}


def test_scenario_defaults_and_forms():
    request = checked(
        rq.PricingScenarioRequestSerializer,
        {
            "scenarios": [
                {"model": "k2p5"},
                {"model": "k2p5", "estimated_input": None, "complexity": None, "label": "ignored"},
                {"model": "k2p5", "estimated_tokens": "2000"},
            ]
        },
    )
    result = e.evaluate_scenarios(request)
    first, second, third = (row["quote"] for row in result["results"])
    assert first == e.quote(e.QuoteInput("k2p5")).as_dict() == second
    assert third == e.example_task_quote().as_dict()
    quote = e.quote(e.QuoteInput("k2p5"))
    assert result["results"][0]["guardrail_check"] == e.guardrail(quote).as_dict()


def test_scenario_limit_is_100():
    body = {"scenarios": [{"model": "k2p5"}] * 100}
    assert len(checked(rq.PricingScenarioRequestSerializer, body).scenarios) == 100


@pytest.mark.parametrize(
    ("scenarios", "field", "message"),
    [
        ({"model": "k2p5"}, "scenarios", "scenarios must be a JSON array"),
        (5, "scenarios", "scenarios must be a JSON array"),
        ([], "scenarios", "scenarios must be a non-empty JSON array"),
        ([{"model": "k2p5"}] * 101, "scenarios", "scenarios must contain at most 100 items"),
        ([{"model": "k2p5", "estimated_input": -1}], "scenarios[0].estimated_input",
         "estimated_input in scenario 0 must be an integer between 0 and 10000000"),
        ([COMPLIANT_9960, {"model": "k2p5", "estimated_output": "1.5"}],
         "scenarios[1].estimated_output",
         "estimated_output in scenario 1 must be an integer between 0 and 10000000"),
        ([{"model": "k2p5", "estimated_tokens": True}], "scenarios[0].estimated_tokens",
         "estimated_tokens in scenario 0 must be an integer between 0 and 10000000"),
        ([{"model": "k2p5", "complexity": "extreme"}], "scenarios[0].complexity",
         "Unsupported complexity in scenario 0: extreme"),
        ([{"model": "k2p5", "complexity": 0}], "scenarios[0].complexity",
         "Unsupported complexity in scenario 0: 0"),
        ([{"model": "k2p5", "segment": "whale"}], "scenarios[0].segment",
         "Unsupported segment in scenario 0: whale"),
        ([{"complexity": "low"}], "scenarios[0].model", "model is required in scenario 0"),
        ([{"model": "k2p5", "estimated_tokens": 10, "estimated_input": 10}],
         "scenarios[0].estimated_tokens",
         "Give estimated_tokens or estimated_input/estimated_output in scenario 0, not both"),
        ([COMPLIANT_9960, 5], "scenarios[1]", "Scenario 1 must be an object"),
    ],
)  # fmt: skip
def test_scenario_bad_input(scenarios, field, message):
    body = {"scenarios": scenarios}
    assert refused(rq.PricingScenarioRequestSerializer, body) == {field: [message]}


def test_scenario_bad_delivery_type():
    body = {"scenarios": [{"model": "k2p5"}], "delivery_type": "courier"}
    assert refused(rq.PricingScenarioRequestSerializer, body) == {
        "delivery_type": ["Unsupported delivery_type: courier"]
    }


# --- rollups ------------------------------------------------------------------------------------


def test_portfolio_counts_from_form_strings_and_nothing_given():
    body = {"scenario_count": "3", "compliant_count": "3", "average_margin_pct": "88.13"}
    counts = checked(rq.PricingPortfolioAlertRequestSerializer, body)
    assert counts == e.PortfolioCounts(3, 3, D("88.13"))
    assert e.portfolio_alert(counts)["summary"] == "Portfolio healthy: 3/3 compliant, margin 88.13%"
    assert checked(rq.PricingPortfolioAlertRequestSerializer, {"scenario_count": 2}) == (
        e.PortfolioCounts(2, 0, D(0))
    )
    assert checked(rq.PricingPortfolioAlertRequestSerializer, {}) is None


@pytest.mark.parametrize(
    ("count", "compliant", "average", "field"),
    [
        (-1, 0, 90, "scenario_count"),
        ("-1", 0, 90, "scenario_count"),
        (3, -1, 90, "compliant_count"),
        (True, 1, 90, "scenario_count"),
        (3, 1.5, 90, "compliant_count"),
        (3, 3, "abc", "average_margin_pct"),
        (3, 3, "NaN", "average_margin_pct"),
        (3, 3, float("inf"), "average_margin_pct"),
        (3, 3, 100.01, "average_margin_pct"),
    ],
)
def test_portfolio_bad_input(count, compliant, average, field):
    body = {"scenario_count": count, "compliant_count": compliant, "average_margin_pct": average}
    assert list(refused(rq.PricingPortfolioAlertRequestSerializer, body)) == [field]


def test_portfolio_more_compliant_than_scenarios_is_refused_naming_the_field():
    body = {"scenario_count": 3, "compliant_count": 4}
    serializer = rq.PricingPortfolioAlertRequestSerializer(data=body)
    assert serializer.is_valid()
    with pytest.raises(e.EngineError) as caught:
        serializer.input()
    assert caught.value.field == "compliant_count"


def test_exception_counts_from_form_strings():
    body = {"open_exceptions": "2", "oldest_days": "15", "at_risk_count": "1"}
    counts = checked(rq.PricingExceptionAlertRequestSerializer, body)
    assert counts == e.ExceptionCounts(2, 15, 1)
    assert e.exception_alert(counts)["summary"] == "Warning exception risk: 2 open, oldest 15d"
    assert checked(rq.PricingExceptionAlertRequestSerializer, {}) is None


@pytest.mark.parametrize(
    ("counts", "field"),
    [
        ((-1, 0, 0), "open_exceptions"),
        ((1, "x", 0), "oldest_days"),
        ((1, 5, "-1"), "at_risk_count"),
    ],
)
def test_exception_bad_input(counts, field):
    body = dict(zip(("open_exceptions", "oldest_days", "at_risk_count"), counts, strict=True))
    assert list(refused(rq.PricingExceptionAlertRequestSerializer, body)) == [field]


def test_weekly_metrics_outcomes():
    quotes = [
        {"decision_status": "approved", "gross_margin_pct": "72.5", "exception_closed": None},
        {"decision_status": "escalated", "gross_margin_pct": None, "exception_created": True},
        {"decision_status": "approved"},
    ]
    outcomes = checked(rq.PricingWeeklyMetricsRequestSerializer, {"quotes": quotes})
    assert outcomes == (
        e.DecisionOutcome("approved", D("72.5")),
        e.DecisionOutcome("escalated", exception_created=True),
        e.DecisionOutcome("approved"),
    )
    assert checked(rq.PricingWeeklyMetricsRequestSerializer, {}) is None


@pytest.mark.parametrize(
    ("quotes", "field", "message"),
    [
        ({"decision_status": "approved"}, "quotes", "quotes must be a JSON array"),
        ([5], "quotes[0]", "Quote 0 must be an object"),
        ([{"decision_status": "approved"}, {"decision_status": "pending"}],
         "quotes[1].decision_status", "Unsupported decision_status in quote 1: pending"),
        ([{"gross_margin_pct": 50}], "quotes[0].decision_status",
         "Unsupported decision_status in quote 0: None"),
        ([{"decision_status": "approved", "gross_margin_pct": "abc"}],
         "quotes[0].gross_margin_pct", "gross_margin_pct in quote 0 must be a number"),
        ([{"decision_status": "approved", "gross_margin_pct": True}],
         "quotes[0].gross_margin_pct", "gross_margin_pct in quote 0 must be a number"),
        ([{"decision_status": "approved", "gross_margin_pct": ""}],
         "quotes[0].gross_margin_pct", "gross_margin_pct in quote 0 must be a number"),
        ([{"decision_status": "approved", "exception_created": "yes"}],
         "quotes[0].exception_created", "exception_created in quote 0 must be a boolean"),
        ([{"decision_status": "approved", "exception_closed": 1}],
         "quotes[0].exception_closed", "exception_closed in quote 0 must be a boolean"),
    ],
)  # fmt: skip
def test_weekly_metrics_bad_input(quotes, field, message):
    body = {"quotes": quotes}
    assert refused(rq.PricingWeeklyMetricsRequestSerializer, body) == {field: [message]}


def test_weekly_comparison_weeks():
    body = {"current_total_quotes": "10", "current_approval_rate": 0.5, "prev_total_quotes": 5}
    current, previous = checked(rq.PricingWeeklyComparisonRequestSerializer, body)
    assert current == e.WeekTotals(10, D("0.5"), D(0), 0)
    assert previous == e.WeekTotals(5)
    assert checked(rq.PricingWeeklyComparisonRequestSerializer, {}) is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"current_approval_rate": "1.5"}, "current_approval_rate"),
        ({"prev_approval_rate": "-0.1"}, "prev_approval_rate"),
        ({"prev_total_quotes": "-1"}, "prev_total_quotes"),
        ({"current_total_quotes": True}, "current_total_quotes"),
        ({"current_exceptions_created": 1.5}, "current_exceptions_created"),
        ({"current_avg_margin_pct": "abc"}, "current_avg_margin_pct"),
        ({"current_avg_margin_pct": "Infinity"}, "current_avg_margin_pct"),
    ],
)
def test_weekly_comparison_bad_input(body, field):
    assert list(refused(rq.PricingWeeklyComparisonRequestSerializer, body)) == [field]


@pytest.mark.parametrize(
    ("quotes", "field", "message"),
    [
        ([{"variant": "beta", "decision_status": "approved"}], "quotes[0].variant",
         "Unsupported variant in quote 0: beta"),
        ([{"decision_status": "approved"}], "quotes[0].variant",
         "Unsupported variant in quote 0: None"),
        ([{"variant": "test", "decision_status": "maybe"}], "quotes[0].decision_status",
         "Unsupported decision_status in quote 0: maybe"),
        (None, "quotes", None),
    ],
)  # fmt: skip
def test_experiment_bad_input(quotes, field, message):
    errors = refused(rq.PricingExperimentSummaryRequestSerializer, {"quotes": quotes})
    assert list(errors) == [field]
    if message is not None:
        assert errors[field] == [message]


def test_experiment_outcomes():
    quotes = [{"variant": "test", "decision_status": "approved", "gross_margin_pct": 78.0}]
    outcomes = checked(rq.PricingExperimentSummaryRequestSerializer, {"quotes": quotes})
    assert outcomes == (e.VariantOutcome("test", "approved", D("78.0")),)


# --- policy -------------------------------------------------------------------------------------


def test_policy_update_holds_the_changed_tables_and_keys():
    body = {"complexity_markup": '{"high": 6}', "minimum_price": "0.75", "version": 1}
    update = checked(policy_rq.PricingPolicyUpdateRequestSerializer, body)
    assert update.changes == {"complexity_markup": {"high": 6}, "minimum_price": D("0.75")}
    assert (update.note, update.version) == ("", 1)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"margin_thresholds": {"task": "abc"}}, "margin_thresholds.task",
         "margin_thresholds.task must be a number"),
        ({"margin_thresholds": {"task": None}}, "margin_thresholds.task",
         "margin_thresholds.task must be a number"),
        ({"complexity_markup": {"extreme": 9}}, "complexity_markup.extreme",
         "Unknown key complexity_markup.extreme. Allowed: low, medium, high"),
        ({"margin_bands": [1]}, "margin_bands", "margin_bands must be a JSON object"),
        ({"margin_bands": "{"}, "margin_bands",
         "margin_bands must be a JSON object (not valid JSON)"),
    ],
)  # fmt: skip
def test_policy_update_bad_input(body, field, message):
    assert refused(policy_rq.PricingPolicyUpdateRequestSerializer, body) == {field: [message]}
