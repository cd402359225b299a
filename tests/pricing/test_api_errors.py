"""Bad input to every pricing endpoint: a 400 `validation_error` whose `details` names the field
(and the index, inside an array), in JSON and form bodies; nothing is stored; never a 500."""

from __future__ import annotations

import json

import pytest

from j1msky.models import Event
from pricing.models import Decision, PricingPolicy, Quote, ScenarioEvaluation
from tests.pricing.conftest import error, send

pytestmark = pytest.mark.django_db

SCENARIO = {"model": "k2p5", "estimated_input": 100, "estimated_output": 100}
QUOTE = {"decision_status": "approved", "gross_margin_pct": 80}
VARIANT = {**QUOTE, "variant": "control"}
DEEP = json.loads("[" * 70 + "]" * 70)

# (path, body, field named in details, message or None)
CASES = [
    # quote: every field the engine reads
    ("quote", {"model": "gpt9"}, "model", "Unsupported model: gpt9"),
    ("quote", {}, "model", None),
    ("quote", {"model": "k2p5", "complexity": "extreme"}, "complexity",
     "Unsupported complexity: extreme"),
    ("quote", {"model": "k2p5", "segment": "whale"}, "segment", "Unsupported segment: whale"),
    ("quote", {"model": "k2p5", "delivery_type": "gift"}, "delivery_type",
     "Unsupported delivery_type: gift"),
    ("quote", {"model": "k2p5", "estimated_input": "abc"}, "estimated_input",
     "estimated_input must be an integer between 0 and 10000000"),
    ("quote", {"model": "k2p5", "estimated_input": -5}, "estimated_input", None),
    ("quote", {"model": "k2p5", "estimated_input": "1.5"}, "estimated_input", None),
    ("quote", {"model": "k2p5", "estimated_output": 10_000_001}, "estimated_output", None),
    ("quote", {"model": "k2p5", "estimated_output": "1e3"}, "estimated_output", None),
    ("quote", {"model": "k2p5", "estimated_tokens": 10, "estimated_input": 10},
     "estimated_tokens", "Give estimated_tokens or estimated_input/estimated_output, not both"),
    # batch quotes
    ("batch-quotes", {"model": "gpt9"}, "model", "Unsupported model: gpt9"),
    ("batch-quotes", {"model": "k2p5", "delivery_type": "gift"}, "delivery_type", None),
    ("batch-quotes", {"model": "k2p5", "estimated_output": -1}, "estimated_output", None),
    # decision
    ("decision", {"model": "k2p5", "approver": "x" * 101}, "approver",
     "approver must be text of at most 100 characters"),
    ("decision", {"model": "k2p5", "segment": "whale"}, "segment", None),
    ("decision", {}, "model", "model is required"),
    # scenario: the array and each item, by index
    ("scenario", {}, "scenarios", None),
    ("scenario", {"scenarios": "not json"}, "scenarios",
     "scenarios must be a JSON array (not valid JSON)"),
    ("scenario", {"scenarios": ""}, "scenarios", None),
    ("scenario", {"scenarios": "[]"}, "scenarios", "scenarios must be a non-empty JSON array"),
    ("scenario", {"scenarios": []}, "scenarios", "scenarios must be a non-empty JSON array"),
    ("scenario", {"scenarios": {"model": "k2p5"}}, "scenarios", "scenarios must be a JSON array"),
    ("scenario", {"scenarios": [SCENARIO] * 101}, "scenarios",
     "scenarios must contain at most 100 items"),
    ("scenario", {"scenarios": [SCENARIO, SCENARIO, {"model": "gpt9"}]}, "scenarios[2].model",
     "Unsupported model in scenario 2: gpt9"),
    ("scenario", {"scenarios": [SCENARIO, 7]}, "scenarios[1]", "Scenario 1 must be an object"),
    ("scenario", {"scenarios": [{**SCENARIO, "estimated_input": -1}]},
     "scenarios[0].estimated_input", None),
    ("scenario", {"scenarios": [SCENARIO, {"model": "k2p5", "estimated_output": 2.5}]},
     "scenarios[1].estimated_output", None),
    ("scenario", {"scenarios": [{"estimated_input": 1}]}, "scenarios[0].model",
     "model is required in scenario 0"),
    ("scenario", {"scenarios": [{**SCENARIO, "complexity": "x"}]}, "scenarios[0].complexity",
     "Unsupported complexity in scenario 0: x"),
    ("scenario", {"scenarios": [{**SCENARIO, "segment": "x"}]}, "scenarios[0].segment", None),
    ("scenario", {"scenarios": [SCENARIO], "delivery_type": "gift"}, "delivery_type", None),
    ("scenario", {"scenarios": "[" * 5000}, "scenarios", None),
    ("scenario", {"scenarios": '[{"model": "k2p5", "estimated_input": NaN}]'}, "scenarios", None),
    ("scenario", {"scenarios": [{**SCENARIO, "model": "k2p5\x00"}]}, "scenarios", None),
    ("scenario", {"scenarios": [{**SCENARIO, "note": "\x00"}]}, "scenarios", None),
    ("scenario", {"scenarios": [{**SCENARIO, "deep": DEEP}]}, "scenarios", None),
    # portfolio alert
    ("portfolio-alert", {"scenario_count": 3, "compliant_count": 4}, "compliant_count",
     "compliant_count must not exceed scenario_count"),
    ("portfolio-alert", {"scenario_count": -1}, "scenario_count", None),
    ("portfolio-alert", {"scenario_count": 3, "compliant_count": "two"}, "compliant_count", None),
    ("portfolio-alert", {"scenario_count": 1, "average_margin_pct": "abc"}, "average_margin_pct",
     None),
    ("portfolio-alert", {"scenario_count": 1, "average_margin_pct": "Infinity"},
     "average_margin_pct", None),
    ("portfolio-alert", {"scenario_count": 1, "average_margin_pct": "NaN"}, "average_margin_pct",
     None),
    # weekly metrics
    ("weekly-metrics", {"quotes": "["}, "quotes", None),
    ("weekly-metrics", {"quotes": ""}, "quotes", None),
    ("weekly-metrics", {"quotes": []}, "quotes", "quotes must be a non-empty JSON array"),
    ("weekly-metrics", {"quotes": [{"decision_status": "maybe"}]}, "quotes[0].decision_status",
     "Unsupported decision_status in quote 0: maybe"),
    ("weekly-metrics", {"quotes": [QUOTE, {**QUOTE, "gross_margin_pct": "x"}]},
     "quotes[1].gross_margin_pct", None),
    ("weekly-metrics", {"quotes": [{**QUOTE, "exception_created": "yes"}]},
     "quotes[0].exception_created", None),
    ("weekly-metrics", {"quotes": [QUOTE, "x"]}, "quotes[1]", None),
    ("weekly-metrics", {"quotes": [{**QUOTE, "decision_status": "approved\x00"}]}, "quotes",
     None),
    # weekly comparison
    ("weekly-comparison", {"current_approval_rate": 1.5}, "current_approval_rate", None),
    ("weekly-comparison", {"prev_total_quotes": "x"}, "prev_total_quotes", None),
    ("weekly-comparison", {"current_exceptions_created": -2}, "current_exceptions_created", None),
    # experiment summary
    ("experiment-summary", {}, "quotes", None),
    ("experiment-summary", {"quotes": "{}"}, "quotes", "quotes must be a JSON array"),
    ("experiment-summary", {"quotes": [VARIANT, {**VARIANT, "variant": "beta"}]},
     "quotes[1].variant", "Unsupported variant in quote 1: beta"),
    ("experiment-summary", {"quotes": [{**VARIANT, "decision_status": None}]},
     "quotes[0].decision_status", None),
    # exception alert
    ("exception-alert", {"open_exceptions": 1, "at_risk_count": 2}, "at_risk_count",
     "at_risk_count must not exceed open_exceptions"),
    ("exception-alert", {"open_exceptions": 1, "oldest_days": -1}, "oldest_days", None),
    ("exception-alert", {"open_exceptions": "many"}, "open_exceptions", None),
]  # fmt: skip


def _id(case):
    path, body, field, _ = case
    return f"{path}:{field}:{json.dumps(body)[:40]}"


@pytest.mark.parametrize(("path", "body", "field", "message"), CASES, ids=map(_id, CASES))
@pytest.mark.parametrize("encoding", ["json", "form"])
def test_bad_input_names_the_field(writer, path, body, field, message, encoding):
    response = send(writer, f"/api/pricing/{path}", body, encoding)
    err = error(response)
    assert err["type"] == "validation_error"
    assert field in err["details"], err
    if message is not None:
        assert err["message"] == message
        assert err["details"][field] == [message]
    assert Quote.objects.count() == Decision.objects.count() == 0
    assert ScenarioEvaluation.objects.count() == 0
    assert not Event.objects.exists()


def test_json_body_with_nan_is_refused(writer):
    response = writer.generic(
        "POST",
        "/api/pricing/portfolio-alert",
        '{"scenario_count": 1, "average_margin_pct": NaN}',
        content_type="application/json",
    )
    assert error(response)["type"] == "parse_error"


@pytest.mark.parametrize("path", ["quote", "scenario", "decision", "batch-quotes"])
def test_json_body_nested_too_deeply_to_parse_is_400(writer, path):
    for body in ("[" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000):
        response = writer.generic(
            "POST", f"/api/pricing/{path}", body, content_type="application/json"
        )
        assert error(response)["type"] == "parse_error"
    assert Quote.objects.count() == Decision.objects.count() == 0


POLICY_CASES = [
    ({"complexity_markup": {"high": "abc"}}, "complexity_markup.high",
     "complexity_markup.high must be a number"),
    ({"complexity_markup": {"extreme": 9}}, "complexity_markup.extreme", None),
    ({"complexity_markup": {"low": 0}}, "complexity_markup.low", None),
    ({"complexity_markup": "[1]"}, "complexity_markup", None),
    ({"complexity_markup": "{"}, "complexity_markup", None),
    ({"segment_adjustments": {"startup": -2.5}}, "segment_adjustments.startup", None),
    ({"minimum_price": -1}, "minimum_price", None),
    ({"minimum_price": "0.505"}, "minimum_price",
     "minimum_price must have at most 2 decimal places"),
    ({"margin_thresholds": {"task": 101}}, "margin_thresholds.task", None),
    ({"margin_bands": {"healthy": 80}}, "margin_bands.healthy",
     "margin_bands.healthy must not exceed margin_bands.strong"),
    ({"version": 0}, "version", None),
]  # fmt: skip


@pytest.mark.parametrize(("body", "field", "message"), POLICY_CASES)
@pytest.mark.parametrize("encoding", ["json", "form"])
def test_bad_policy_changes_name_the_field(writer, body, field, message, encoding):
    err = error(send(writer, "/api/pricing/policy", body, encoding, method="put"))
    assert field in err["details"], err
    if message is not None:
        assert err["details"][field] == [message]
    assert PricingPolicy.objects.count() == 1
    assert not Event.objects.exists()


@pytest.mark.parametrize("day", ["2026-2-1", "yesterday", "2026-02-30", "20260220"])
def test_bad_report_date(reader, day):
    assert "date" in error(reader.get(f"/api/pricing/reports/{day}"))["details"]


def test_bad_list_filters_are_400(writer):
    err = error(writer.get("/api/pricing/exceptions?colour=red"))
    assert err["type"] == "invalid_filter"
    err = error(writer.get("/api/pricing/quotes?sort=price"))
    assert err["type"] == "invalid_sort"
