"""Table-driven tests of ``pricing.engine`` (semantics.md §10). Plain pytest, no Django.

Reference examples that do NOT follow from the reference's own formulas (semantics.md §15.2; also
in docs/pricing-examples.md). Default rate card and policy throughout; money in dollars.

1. /pricing/status enterprise example, sonnet 2000/1000 high enterprise: cost = 2 x 0.003 +
   1 x 0.015 = 0.021; 0.021 x 5.5 = 0.1155 < 0.50, so price 0.50 and margin (0.50 - 0.021) / 0.50
   = 95.80. The reference shows 0.85 / 96.8; 0.85 at markup 5.5 needs cost 0.1545 (margin 81.82),
   and 96.8 at price 0.85 needs cost 0.0272: the two numbers do not even agree with each other.
2. /pricing/status smb example, k2p5 1000/400 low smb: cost = 0.0005 + 0.4 x 0.0015 = 0.0011;
   0.0011 x 2.5 = 0.00275 -> floor 0.50; margin 0.4989 / 0.50 = 99.78 (reference 99.4, which
   needs cost 0.003).
3. /pricing/batch-quotes, k2p5 2000/800 medium: cost = 2 x 0.0005 + 0.8 x 0.0015 = 0.0022; the
   largest markup is 4.5 and 0.0022 x 4.5 = 0.0099 < 0.50, so every segment is 0.50 at margin
   0.4978 / 0.50 = 99.56. The reference shows enterprise 0.75 / 98.5 (0.75 at 4.5 needs cost
   0.1667), mid_market 99.6, smb 99.4, startup 99.2. With all four tied, the comparison picks
   the first segment, enterprise, for both best value and highest margin (reference: startup,
   mid_market).
4. /pricing/report sample quotes, k2p5 1500/600 medium: cost = 0.00075 + 0.0009 = 0.00165 ->
   0.0017 (half-up); every segment floors at 0.50 with margin 0.4983 / 0.50 = 99.66. Reference:
   enterprise 0.65 / 98.5, mid_market 99.6, smb 99.4, startup 99.2.
5. /orchestrator/status portfolio preview average 88.13: the example portfolio (§8.1) prices
   k2p5 2000 medium at 0.002 -> 0.50, 99.60; sonnet 3500 high at 0.0105 x 5 = 0.0525 -> 0.50,
   97.90; opus 5000 high at 0.075 x 5 = 0.375 -> 0.50, 85.00; mean 282.50 / 3 = 94.17. (Given
   88.13 as input, /pricing/portfolio-alert reproduces the reference text exactly.)
6. /pricing/scenario 41.2 / 63.42: the lowest final markup is low + startup = 3.0 - 1.0 = 2.0 and
   the price is at least that times the cost, so a margin is at least 1 - 1/2.0 = 50 % (the
   floor only raises it; 2-dp price rounding can take it to about 49.5 at worst): 41.2 cannot
   occur. Also 3 x 63.42 = 190.26, and 190.26 - 99.6 - 41.2 = 49.46 for the third scenario, which
   is below the task threshold 55, so only 1 of 3 would be compliant, not 2.
7. Weekly comparison `Exception creation up 50.0%`: 2 -> 3 exceptions is +50.00 %, and the rule is
   strictly > 50, so there is no shift and requires_review is false. (current 50 / 0.84 / 72.5 / 3
   vs prev 45 / 0.88 / 68.0 / 2 reproduces the other changes 11.11, -4.55, 6.62.)
8. Orchestrator weekly preview avg margin 70.8 over 2 decisions: the margins must sum to 141.6.
   With the reference's own sample decision (99.6, approved) the escalated one would need 42.0,
   below the ~50 % any quote can reach (item 6). Other pairs reach it (88.0 + 53.6, tested here).
9. Experiment `roll_out`: test approval 0.75 < 0.9 x 0.84 = 0.756, so not roll_out; 0.75 >=
   0.8 x 0.84 = 0.672 and 78.0 >= 0.9 x 72.5 = 65.25, so not discard: inconclusive (and
   min_sample_met is false, 12 < 50).
10. Not in §15.2 but worth knowing: the /pricing/decision example shows 99.6 without tokens. The
   default tokens 1000/500 give cost 0.0005 + 0.00075 = 0.00125 -> 0.0013 and margin 99.74; 99.6
   is a cost of 0.002 (k2p5 1000/1000, or 2000 tokens single-count as in example_task_quote).
"""

import ast
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from pricing import engine as e

ROOT = Path(__file__).resolve().parents[2]
D = Decimal
NOW = datetime(2026, 2, 20, 13, 35, tzinfo=UTC)


def dec(value):
    """Reference JSON (floats) as Decimal, recursively, so 94.6 compares equal to 94.60."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: dec(item) for key, item in value.items()}
    if isinstance(value, list):
        return [dec(item) for item in value]
    return value


def quote_of(*args, rate_card=e.DEFAULT_RATE_CARD, policy=e.DEFAULT_POLICY, **fields):
    """``e.quote`` of a ``QuoteInput`` built from the arguments."""
    return e.quote(e.QuoteInput(*args, **fields), rate_card, policy)


def policy_with(**changes):
    base = e.DEFAULT_POLICY
    fields = {
        "complexity_markup": base.complexity_markup,
        "segment_adjustments": base.segment_adjustments,
        "minimum_price": base.minimum_price,
        "margin_thresholds": base.margin_thresholds,
    }
    return e.Policy(**(fields | changes))


# --- Purity --------------------------------------------------------------------------------------


def test_engine_imports_without_django():
    code = "import sys; import pricing.engine; assert 'django' not in sys.modules"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_engine_imports_only_the_standard_library():
    allowed = {"__future__", "collections", "dataclasses", "datetime", "decimal", "enum"}
    allowed |= {"math", "typing"}
    modules = sorted((ROOT / "pricing" / "engine").glob("*.py"))
    assert len(modules) > 1
    imported = set()
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif (
                isinstance(node, ast.ImportFrom)
                and node.level == 0
                and node.module != "j1msky.money"  # pure too: its own test below holds it so
            ):
                imported.add(node.module.split(".")[0])
    assert imported <= allowed


def test_the_money_module_imports_only_the_standard_library():
    tree = ast.parse((ROOT / "j1msky" / "money.py").read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "decimal", "typing"}


# --- Reference quotes (§10.2) --------------------------------------------------------------------


QUOTE_KEYS = [
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


def test_reference_quote_example_sonnet_3000_1200_high_enterprise():
    quote = quote_of("sonnet", 3000, 1200, "high", "enterprise")
    assert list(quote.as_dict()) == QUOTE_KEYS
    assert quote.as_dict() == dec(
        {
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
    )
    assert e.guardrail(quote, "task").as_dict() == dec(
        {
            "delivery_type": "task",
            "minimum_margin_pct": 55.0,
            "actual_margin_pct": 94.6,
            "is_compliant": True,
            "action": "approve_quote",
        }
    )


def test_reference_example_task_quote_single_count_form():
    quote = e.example_task_quote()
    keys = [*QUOTE_KEYS[:3], "estimated_tokens", *QUOTE_KEYS[5:]]
    assert list(quote.as_dict()) == keys
    assert quote.as_dict() == dec(
        {
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
    )


@pytest.mark.parametrize(
    ("args", "cost", "final_markup", "price", "margin"),
    [
        # /pricing/status mid_market example and its guardrail (99.7)
        (("k2p5", 1200, 600, "medium", "mid_market"), "0.0015", "4.0", "0.50", "99.70"),
        # /pricing/decision example margin 99.6 (cost 0.002)
        (("k2p5", 1000, 1000, "medium", "mid_market"), "0.0020", "4.0", "0.50", "99.60"),
        # markups of the status, batch and report examples (prices/margins: see docstring)
        (("sonnet", 2000, 1000, "high", "enterprise"), "0.0210", "5.5", "0.50", "95.80"),
        (("k2p5", 1000, 400, "low", "smb"), "0.0011", "2.5", "0.50", "99.78"),
        (("k2p5", 2000, 800, "medium", "enterprise"), "0.0022", "4.5", "0.50", "99.56"),
        (("k2p5", 2000, 800, "medium", "mid_market"), "0.0022", "4.0", "0.50", "99.56"),
        (("k2p5", 2000, 800, "medium", "smb"), "0.0022", "3.5", "0.50", "99.56"),
        (("k2p5", 2000, 800, "medium", "startup"), "0.0022", "3.0", "0.50", "99.56"),
        (("k2p5", 1500, 600, "medium", "enterprise"), "0.0017", "4.5", "0.50", "99.66"),
    ],
)
def test_quote_numbers(args, cost, final_markup, price, margin):
    quote = quote_of(*args)
    assert (quote.internal_cost, quote.final_markup) == (D(cost), D(final_markup))
    assert (quote.recommended_price, quote.gross_margin_pct) == (D(price), D(margin))


@pytest.mark.parametrize(
    ("model", "cost_in_out", "cost_blended"),
    [
        ("k2p5", "0.0020", "0.0010"),
        ("sonnet", "0.0180", "0.0030"),
        ("opus", "0.0900", "0.0150"),
        ("minimax-m2.5", "0.0002", "0.0010"),
        ("codex", "0.0080", "0.0020"),
    ],
)
def test_rate_card_per_1k_tokens(model, cost_in_out, cost_blended):
    assert quote_of(model, 1000, 1000).internal_cost == D(cost_in_out)
    assert quote_of(model, estimated_tokens=1000).internal_cost == D(cost_blended)


@pytest.mark.parametrize(
    ("complexity", "segment", "base", "adjustment", "final"),
    [
        ("low", "enterprise", "3.0", "0.5", "3.5"),
        ("low", "startup", "3.0", "-1.0", "2.0"),
        ("medium", "mid_market", "4.0", "0.0", "4.0"),
        ("medium", "smb", "4.0", "-0.5", "3.5"),
        ("high", "enterprise", "5.0", "0.5", "5.5"),
        ("high", "startup", "5.0", "-1.0", "4.0"),
    ],
)
def test_markup_is_complexity_plus_segment(complexity, segment, base, adjustment, final):
    quote = quote_of("k2p5", 1000, 500, complexity, segment)
    assert quote.base_markup == D(base)
    assert quote.segment_adjustment == D(adjustment)
    assert quote.final_markup == D(final)


def test_quote_defaults():
    priced = quote_of("k2p5")
    assert (priced.estimated_input_tokens, priced.estimated_output_tokens) == (1000, 500)
    assert (priced.complexity, priced.segment) == ("medium", "mid_market")


# --- Rounding, price floor, bands ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (e.round_cost, "0.00125", "0.0013"),
        (e.round_cost, "0.00124999", "0.0012"),
        (e.round_cost, "0.00005", "0.0001"),
        (e.round_money, "81.8059", "81.81"),
        (e.round_money, "0.125", "0.13"),
        (e.round_money, "0.135", "0.14"),
        (e.round_money, "-4.545", "-4.55"),
        (e.round_money, "99.925", "99.93"),
    ],
)
def test_round_half_up(function, value, expected):
    assert str(function(D(value))) == expected


@pytest.mark.parametrize("value", ["-0.001", "-0.004", "-0"])
def test_rounding_never_gives_negative_zero(value):
    assert str(e.round_money(D(value))) == "0.00"


@pytest.mark.parametrize(
    ("args", "policy", "cost", "price", "margin", "band"),
    [
        # defaults: 1000 / 500 k2p5 costs 0.00125 -> 0.0013 (half-up)
        (("k2p5",), e.DEFAULT_POLICY, "0.0013", "0.50", "99.74", "strong"),
        # floor binds: 0.027 x 5.5 = 0.1485 < 0.50
        (("sonnet", 3000, 1200, "high", "enterprise"), e.DEFAULT_POLICY, "0.027", "0.50", "94.60",
         "strong"),
        # exactly at the floor: 0.125 x 4 = 0.50
        (("codex", 62500, 0), e.DEFAULT_POLICY, "0.1250", "0.50", "75.00", "strong"),
        # floor does not bind: 0.30 x 5 = 1.50
        (("opus", 10000, 2000, "high"), e.DEFAULT_POLICY, "0.3000", "1.50", "80.00", "strong"),
        # price from the 4-dp cost: 0.0991 x 5.5 = 0.54505 -> 0.55 (0.09909 x 5.5 would be 0.54)
        (("opus", 6601, 1, "high", "enterprise"), e.DEFAULT_POLICY, "0.0991", "0.55", "81.98",
         "strong"),
        # margin 99.925 -> 99.93 under a 0.80 floor
        (("k2p5", 1200, 0), policy_with(minimum_price=D("0.80")), "0.0006", "0.80", "99.93",
         "strong"),
        # zero tokens: price is the floor, margin 100
        (("k2p5", 0, 0), e.DEFAULT_POLICY, "0", "0.50", "100.00", "strong"),
        # zero price (floor 0): margin reported as 0
        (("k2p5", 0, 0), policy_with(minimum_price=D(0)), "0", "0.00", "0.00", "at_risk"),
        # the largest input: 150 + 750 = 900; 900 x 5.5 = 4950; 4050 / 4950 = 81.8181...
        (("opus", 10_000_000, 10_000_000, "high", "enterprise"), e.DEFAULT_POLICY, "900",
         "4950.00", "81.82", "strong"),
        # band edges reached by real quotes
        (("opus", 10000, 0, "low"), e.DEFAULT_POLICY, "0.15", "0.50", "70.00", "strong"),
        (("opus", 15000, 0, "low", "startup"), e.DEFAULT_POLICY, "0.225", "0.50", "55.00",
         "healthy"),
        (("k2p5", 600200, 0, "low"), policy_with(minimum_price=D(1)), "0.3001", "1.00", "69.99",
         "healthy"),
        (("k2p5", 900200, 0, "low", "startup"), policy_with(minimum_price=D(1)), "0.4501", "1.00",
         "54.99", "at_risk"),
        (("opus", 20000, 0, "low", "startup"), e.DEFAULT_POLICY, "0.30", "0.60", "50.00",
         "at_risk"),
    ],
)  # fmt: skip
def test_price_floor_rounding_and_band(args, policy, cost, price, margin, band):
    quote = quote_of(*args, policy=policy)
    assert quote.internal_cost == D(cost)
    assert str(quote.recommended_price) == price
    assert str(quote.gross_margin_pct) == margin
    assert quote.margin_band == band


@pytest.mark.parametrize(
    ("margin", "band"),
    [
        ("100", "strong"),
        ("70", "strong"),
        ("70.00", "strong"),
        ("69.99", "healthy"),
        ("55", "healthy"),
        ("54.99", "at_risk"),
        ("0", "at_risk"),
        ("-12.5", "at_risk"),
    ],
)
def test_margin_band_edges(margin, band):
    assert e.margin_band(D(margin)) == band


def test_price_rounding_is_half_up_on_the_product():
    # 0.0013 x 4.0 = 0.0052 is under the floor; with a 0 floor it rounds to 0.01
    assert quote_of("k2p5", policy=policy_with(minimum_price=D(0))).recommended_price == D("0.01")


# --- Guardrail and decision (§10.2, §10.3) -------------------------------------------------------


@pytest.mark.parametrize(
    ("delivery_type", "margin", "threshold", "compliant", "action"),
    [
        ("task", "55.00", "55.0", True, "approve_quote"),
        ("task", "54.99", "55.0", False, "escalate_deal_desk"),
        ("subscription", "50.00", "50.0", True, "approve_quote"),
        ("subscription", "49.99", "50.0", False, "escalate_deal_desk"),
        ("enterprise", "45.00", "45.0", True, "approve_quote"),
        ("enterprise", "44.99", "45.0", False, "escalate_deal_desk"),
    ],
)
def test_guardrail_per_delivery_type(delivery_type, margin, threshold, compliant, action):
    quote = replace(quote_of("k2p5"), gross_margin_pct=D(margin))
    check = e.guardrail(quote, delivery_type)
    assert check.as_dict() == {
        "delivery_type": delivery_type,
        "minimum_margin_pct": D(threshold),
        "actual_margin_pct": D(margin),
        "is_compliant": compliant,
        "action": action,
    }


@pytest.mark.parametrize(
    ("delivery_type", "compliant"),
    [("task", False), ("subscription", True), ("enterprise", True)],
)
def test_guardrail_on_a_50_percent_quote(delivery_type, compliant):
    quote = quote_of("opus", 20000, 0, "low", "startup")  # margin 50.00
    assert e.guardrail(quote, delivery_type).is_compliant is compliant


@pytest.mark.parametrize(
    ("args", "approver", "status", "next_step", "expected_approver"),
    [
        (("k2p5", 1000, 1000), e.DEFAULT_APPROVER, "approved", "send_quote", "ops-auto"),
        (("k2p5", 1000, 1000), None, "approved", "send_quote", "ops-auto"),
        (("k2p5", 1000, 1000), "   ", "approved", "send_quote", "ops-auto"),
        (("opus", 20000, 0, "low", "startup"), " dana ", "escalated", "route_to_deal_desk",
         "dana"),
    ],
)  # fmt: skip
def test_decision(args, approver, status, next_step, expected_approver):
    quote = quote_of(*args)
    result = e.decision(quote, e.guardrail(quote, "task"), approver, generated_at=NOW)
    assert result.as_dict() == {
        "decision_status": status,
        "approver": expected_approver,
        "delivery_type": "task",
        "next_step": next_step,
        "generated_at": "2026-02-20T13:35:00Z",
    }
    assert result.quote is quote


def test_decision_keeps_a_local_offset():
    eastern = timezone(timedelta(hours=-5))
    quote = quote_of("k2p5")
    moment = datetime(2026, 2, 20, 8, 35, tzinfo=eastern)
    result = e.decision(quote, e.guardrail(quote), generated_at=moment)
    assert result.as_dict()["generated_at"] == "2026-02-20T08:35:00-05:00"


def test_decision_needs_a_timezone_aware_time():
    # A bad approver is a bad request body (tests/pricing/test_requests.py).
    quote = quote_of("k2p5")
    with pytest.raises(e.EngineError) as caught:
        e.decision(quote, e.guardrail(quote), "ops", generated_at=datetime(2026, 2, 20, 13, 35))
    assert caught.value.field == "generated_at"


# --- Bad input -----------------------------------------------------------------------------------
# Values arrive checked and typed (the request serializers, tests/pricing/test_requests.py); what
# the engine refuses is a model that is not on the rate card in force.

WITHOUT_CODEX = e.RateCard({k: v for k, v in e.DEFAULT_RATE_CARD.rates.items() if k != "codex"})


@pytest.mark.parametrize(
    ("call", "field", "message"),
    [
        (lambda: quote_of("gpt9"), "model", "Unsupported model: gpt9"),
        (lambda: quote_of(None), "model", "Unsupported model: None"),
        (lambda: quote_of("K2P5"), "model", "Unsupported model: K2P5"),
        (lambda: quote_of("codex", rate_card=WITHOUT_CODEX), "model", "Unsupported model: codex"),
        (lambda: quote_of("x" * 100), "model", "Unsupported model: " + "x" * 61 + "..."),
        (lambda: e.batch_quotes(e.QuoteRequest(e.QuoteInput("gpt9"))), "model",
         "Unsupported model: gpt9"),
    ],
)  # fmt: skip
def test_quote_bad_input(call, field, message):
    with pytest.raises(e.EngineError) as caught:
        call()
    assert (caught.value.field, caught.value.message) == (field, message)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


# --- Policy and rate card (§10.1) ----------------------------------------------------------------


def test_policy_status_form_matches_reference():
    assert e.DEFAULT_POLICY.as_dict() == dec(
        {
            "complexity_markup": {"low": 3.0, "medium": 4.0, "high": 5.0},
            "segment_adjustments": {
                "enterprise": 0.5,
                "mid_market": 0.0,
                "smb": -0.5,
                "startup": -1.0,
            },
            "minimum_price": 0.5,
            "margin_thresholds": {"task": 55.0, "subscription": 50.0, "enterprise": 45.0},
        }
    )
    assert list(e.DEFAULT_POLICY.as_dict()["segment_adjustments"]) == list(e.SEGMENTS)


def test_policy_orchestrator_form_matches_reference():
    result = e.DEFAULT_POLICY.as_dict("orchestrator")
    assert list(result) == [
        "min_markup",
        "target_markup",
        "max_markup",
        "complexity_markup",
        "minimum_price",
    ]
    assert result == dec(
        {
            "min_markup": 3.0,
            "target_markup": 4.0,
            "max_markup": 5.0,
            "complexity_markup": {"low": 3.0, "medium": 4.0, "high": 5.0},
            "minimum_price": 0.5,
        }
    )


def test_policy_reads_stored_values_and_changes_quotes():
    stored = {
        "complexity_markup": {"high": D("6"), "low": D("3.0"), "medium": D("4.0")},
        "segment_adjustments": {
            "enterprise": D("0.5"),
            "mid_market": D(0),
            "smb": D("-0.5"),
            "startup": D(-1),
        },
        "minimum_price": D("1.00"),
        "margin_thresholds": {"task": D(55), "subscription": D(50), "enterprise": D(45)},
    }
    policy = e.Policy(**stored)
    assert list(policy.complexity_markup) == ["low", "medium", "high"]
    quote = quote_of("opus", 10000, 2000, "high", policy=policy)
    assert (quote.final_markup, quote.recommended_price) == (D("6.00"), D("1.80"))


# The values of a policy change are checked by the request serializer and the policy service
# (tests/pricing/test_api_errors.py, test_services.py); a Policy holds one value per key.
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"complexity_markup": {"low": D(3), "medium": D(4)}}, "complexity_markup"),
        ({"segment_adjustments": {**e.DEFAULT_POLICY.segment_adjustments, "whale": 1}},
         "segment_adjustments"),
        ({"healthy_band_pct": D(80)}, "healthy_band_pct"),
    ],
)  # fmt: skip
def test_policy_bad_values(changes, field):
    with pytest.raises(e.EngineError) as caught:
        policy_with(**changes)
    assert caught.value.field == field


# --- Scenarios (§10.4) ---------------------------------------------------------------------------


COMPLIANT_9960 = {"model": "k2p5", "estimated_input": 1000, "estimated_output": 1000}
COMPLIANT_9460 = {
    "model": "sonnet",
    "estimated_input": 3000,
    "estimated_output": 1200,
    "complexity": "high",
    "segment": "enterprise",
}
AT_RISK_5000 = {
    "model": "opus",
    "estimated_input": 20000,
    "estimated_output": 0,
    "complexity": "low",
    "segment": "startup",
}


@pytest.mark.parametrize(
    ("scenarios", "delivery_type", "compliant", "ratio", "escalate", "executive", "average"),
    [
        # the reference shape: 2 of 3 -> 0.67, and 0.67 is not < 0.67
        ([COMPLIANT_9960, AT_RISK_5000, COMPLIANT_9460], "task", 2, "0.67", True, False,
         "81.40"),
        ([COMPLIANT_9960, AT_RISK_5000, AT_RISK_5000], "task", 1, "0.33", True, True, "66.53"),
        ([COMPLIANT_9960, AT_RISK_5000, AT_RISK_5000], "subscription", 3, "1.00", False, False,
         "66.53"),
        ([AT_RISK_5000], "task", 0, "0.00", True, True, "50.00"),
        ([COMPLIANT_9960], "task", 1, "1.00", False, False, "99.60"),
        # the §8.1 example portfolio (single-count form): 99.60, 97.90, 85.00
        (list(e.EXAMPLE_PORTFOLIO), "task", 3, "1.00", False, False, "94.17"),
    ],
)  # fmt: skip
def test_evaluate_scenarios(
    scenarios, delivery_type, compliant, ratio, escalate, executive, average
):
    specs = [item if isinstance(item, e.QuoteInput) else e.QuoteInput(**item) for item in scenarios]
    result = e.evaluate_scenarios(e.ScenarioRequest(specs, delivery_type))
    assert list(result) == [
        "delivery_type",
        "scenario_count",
        "compliant_count",
        "compliance_ratio",
        "needs_escalation",
        "requires_executive_review",
        "average_margin_pct",
        "results",
    ]
    assert result["scenario_count"] == len(scenarios)
    assert result["compliant_count"] == compliant
    assert str(result["compliance_ratio"]) == ratio
    assert result["needs_escalation"] is escalate
    assert result["requires_executive_review"] is executive
    assert str(result["average_margin_pct"]) == average
    assert [list(row) for row in result["results"]] == [["quote", "guardrail_check"]] * len(
        scenarios
    )


def test_scenario_limit_is_100():
    request = e.ScenarioRequest([e.QuoteInput("k2p5")] * 100)
    assert e.evaluate_scenarios(request)["scenario_count"] == 100


def test_scenario_errors_name_the_index():
    # The other bad scenarios are bad request bodies (tests/pricing/test_requests.py).
    specs = [e.QuoteInput(**COMPLIANT_9960), e.QuoteInput(**COMPLIANT_9960), e.QuoteInput("gpt9")]
    with pytest.raises(e.EngineError) as caught:
        e.evaluate_scenarios(e.ScenarioRequest(specs))
    assert (caught.value.field, caught.value.message, caught.value.index) == (
        "scenarios[2].model",
        "Unsupported model in scenario 2: gpt9",
        2,
    )


# --- Portfolio alert (§10.5) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "compliant", "average", "level", "summary", "action", "ratio", "review"),
    [
        (3, 3, 88.13, "ok", "Portfolio healthy: 3/3 compliant, margin 88.13%", "send_proposal",
         "1.00", False),
        (4, 4, 90, "ok", "Portfolio healthy: 4/4 compliant, margin 90.0%", "send_proposal",
         "1.00", False),
        (0, 0, 0, "ok", "No portfolio scenarios to evaluate", "no_action", "0.00", False),
        (3, 2, 70, "warning", "Portfolio needs attention: 2/3 compliant", "proceed_with_caution",
         "0.67", False),
        (100, 67, 70, "warning", "Portfolio needs attention: 67/100 compliant",
         "proceed_with_caution", "0.67", False),
        (200, 198, 70, "warning", "Portfolio needs attention: 198/200 compliant",
         "proceed_with_caution", "0.99", False),
        # the (ref) rule reads the rounded ratio: 199/200 = 0.995 -> 1.00 -> healthy
        (200, 199, 70, "ok", "Portfolio healthy: 199/200 compliant, margin 70.0%",
         "send_proposal", "1.00", False),
        (100, 66, 70, "critical",
         "Portfolio executive review required: 66/100 compliant, ratio 0.66",
         "route_to_executive_review", "0.66", True),
        (3, 1, 60, "critical", "Portfolio executive review required: 1/3 compliant, ratio 0.33",
         "route_to_executive_review", "0.33", True),
        (2, 1, 60, "critical", "Portfolio executive review required: 1/2 compliant, ratio 0.5",
         "route_to_executive_review", "0.50", True),
        (3, 0, 0, "critical", "Portfolio executive review required: 0/3 compliant, ratio 0.0",
         "route_to_executive_review", "0.00", True),
    ],
)  # fmt: skip
def test_portfolio_alert(count, compliant, average, level, summary, action, ratio, review):
    counts = e.PortfolioCounts(count, compliant, D(str(average)))
    assert e.portfolio_alert(counts) == {
        "level": level,
        "summary": summary,
        "recommended_action": action,
    }
    result = e.portfolio_summary(counts)
    assert list(result) == [
        "scenario_count",
        "compliant_count",
        "compliance_ratio",
        "requires_executive_review",
        "average_margin_pct",
    ]
    assert str(result["compliance_ratio"]) == ratio
    assert result["requires_executive_review"] is review is (level == "critical")
    assert result["average_margin_pct"] == dec(float(average))


def test_portfolio_cannot_have_more_compliant_than_scenarios():
    # Negative or malformed counts are bad request bodies (tests/pricing/test_requests.py).
    with pytest.raises(e.EngineError) as caught:
        e.PortfolioCounts(3, 4, D(90))
    assert caught.value.field == "compliant_count"
    assert caught.value.message == "compliant_count must not exceed scenario_count"


# --- Exceptions (§10.6) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "followup", "risk", "action", "summary"),
    [
        ((0, 0, 0), False, "none", "no_action", "No open quote exceptions"),
        ((0, 40, 0), False, "none", "no_action", "No open quote exceptions"),
        ((4, 33, 2), True, "critical", "schedule_executive_review",
         "Critical exception risk: 4 open, oldest 33d"),
        ((1, 13, 0), False, "ok", "continue_recovery_plan", "Exceptions under control: 1 open"),
        ((1, 14, 1), False, "warning", "manager_followup",
         "Warning exception risk: 1 open, oldest 14d"),
        ((2, 29, 1), False, "warning", "manager_followup",
         "Warning exception risk: 2 open, oldest 29d"),
        ((1, 30, 1), True, "critical", "schedule_executive_review",
         "Critical exception risk: 1 open, oldest 30d"),
        ((3, 20, 2), True, "critical", "schedule_executive_review",
         "Critical exception risk: 3 open, oldest 20d"),
    ],
)  # fmt: skip
def test_exception_aging_and_alert(counts, followup, risk, action, summary):
    aging = e.exception_aging(e.ExceptionCounts(*counts))
    assert aging == {
        "open_exceptions": int(counts[0]),
        "oldest_days": int(counts[1]),
        "at_risk_count": int(counts[2]),
        "requires_exec_followup": followup,
        "risk_level": risk,
        "next_action": action,
    }
    assert e.exception_alert(e.ExceptionCounts(*counts)) == {
        "level": risk,
        "summary": summary,
        "recommended_action": action,
    }


@pytest.mark.parametrize(
    ("ages", "counts", "risk"),
    [
        ([], (0, 0, 0), "none"),
        ([13], (1, 13, 0), "ok"),
        ([14], (1, 14, 1), "warning"),
        ([29, 3], (2, 29, 1), "warning"),
        ([30], (1, 30, 1), "critical"),
        ([14, 15], (2, 15, 2), "critical"),
        ([13, 13, 13], (3, 13, 0), "ok"),
    ],
)
def test_exception_counts_from_ages(ages, counts, risk):
    assert e.exception_counts(ages) == e.ExceptionCounts(*counts)
    assert e.exception_aging(e.ExceptionCounts(*counts))["risk_level"] == risk


@pytest.mark.parametrize(
    ("opened", "days"),
    [
        (NOW - timedelta(days=14) + timedelta(seconds=1), 13),
        (NOW - timedelta(days=14), 14),
        (NOW - timedelta(days=30), 30),
        (NOW + timedelta(hours=1), 0),
    ],
)
def test_exception_age_days(opened, days):
    assert e.exception_age_days(opened, NOW) == days


def test_exceptions_cannot_have_more_at_risk_than_open():
    # Negative or malformed counts are bad request bodies (tests/pricing/test_requests.py).
    with pytest.raises(e.EngineError) as caught:
        e.ExceptionCounts(1, 20, 2)
    assert caught.value.field == "at_risk_count"
    assert caught.value.message == "at_risk_count must not exceed open_exceptions"


# --- Weekly metrics and comparison (§10.7) -------------------------------------------------------


def decisions(approved, escalated, margin, **extra):
    margin = D(str(margin))
    return [e.DecisionOutcome("approved", margin, **extra)] * approved + [
        e.DecisionOutcome("escalated", margin, **extra)
    ] * escalated


@pytest.mark.parametrize(
    ("quotes", "expected"),
    [
        ([], {"total_quotes": 0, "approved_count": 0, "escalated_count": 0,
              "approval_rate": 0.0, "avg_margin_pct": 0.0, "exceptions_created": 0,
              "exceptions_closed": 0}),
        # the reference's 45 / 38 / 7 / 0.84 / 72.5 / 3 / 2
        (decisions(38, 4, 72.5) + decisions(0, 1, "72.5", exception_created=True)
         + decisions(0, 2, D("72.50"), exception_created=True, exception_closed=True),
         {"total_quotes": 45, "approved_count": 38, "escalated_count": 7, "approval_rate": 0.84,
          "avg_margin_pct": 72.5, "exceptions_created": 3, "exceptions_closed": 2}),
        # the orchestrator preview's 2 / 1 / 1 / 0.5 / 70.8 / 1 / 0 (margins 88.0 + 53.6)
        ([e.DecisionOutcome("approved", D("88.0")),
          e.DecisionOutcome("escalated", D("53.6"), exception_created=True,
                            exception_closed=False)],
         {"total_quotes": 2, "approved_count": 1, "escalated_count": 1, "approval_rate": 0.5,
          "avg_margin_pct": 70.8, "exceptions_created": 1, "exceptions_closed": 0}),
        # a missing margin counts as 0 (the request's null too); 2/3 approved -> 0.67
        ([e.DecisionOutcome("approved", D(80)), e.DecisionOutcome("approved"),
          e.DecisionOutcome("escalated")],
         {"total_quotes": 3, "approved_count": 2, "escalated_count": 1, "approval_rate": 0.67,
          "avg_margin_pct": 26.67, "exceptions_created": 0, "exceptions_closed": 0}),
    ],
)  # fmt: skip
def test_weekly_metrics(quotes, expected):
    result = e.weekly_metrics(quotes)
    assert list(result) == list(expected)
    assert result == dec(expected)


def week(total=50, rate="0.80", margin="50", exceptions=2):
    return e.WeekTotals(total, D(rate), D(margin), exceptions)


@pytest.mark.parametrize(
    ("current", "previous", "changes", "shifts"),
    [
        # the reference changes; 50.0 is not > 50, so no shift (see the module docstring)
        (week(50, "0.84", "72.5", 3), week(45, "0.88", "68.0", 2),
         ("11.11", "-4.55", "6.62", "50.00"), []),
        # approval rate: exactly 15 % is not significant, just above is
        (week(rate="0.92"), week(), ("0.00", "15.00", "0.00", "0.00"), []),
        (week(rate="0.68"), week(), ("0.00", "-15.00", "0.00", "0.00"), []),
        (week(rate="0.9201"), week(), ("0.00", "15.01", "0.00", "0.00"),
         ["Approval rate shifted 15.01%"]),
        (week(rate="0.6799"), week(), ("0.00", "-15.01", "0.00", "0.00"),
         ["Approval rate shifted -15.01%"]),
        (week(rate="0.64"), week(), ("0.00", "-20.00", "0.00", "0.00"),
         ["Approval rate shifted -20.0%"]),
        # average margin: exactly 10 % is not significant, just above is (both ways)
        (week(margin="55"), week(), ("0.00", "0.00", "10.00", "0.00"), []),
        (week(margin="45"), week(), ("0.00", "0.00", "-10.00", "0.00"), []),
        (week(margin="55.01"), week(), ("0.00", "0.00", "10.02", "0.00"),
         ["Average margin shifted 10.02%"]),
        (week(margin="44.99"), week(), ("0.00", "0.00", "-10.02", "0.00"),
         ["Average margin shifted -10.02%"]),
        # exceptions: exactly 50 % is not significant; only increases count
        (week(exceptions=3), week(exceptions=2), ("0.00", "0.00", "0.00", "50.00"), []),
        (week(exceptions=299), week(exceptions=199), ("0.00", "0.00", "0.00", "50.25"),
         ["Exception creation up 50.25%"]),
        (week(exceptions=4), week(exceptions=2), ("0.00", "0.00", "0.00", "100.00"),
         ["Exception creation up 100.0%"]),
        (week(exceptions=0), week(exceptions=2), ("0.00", "0.00", "0.00", "-100.00"), []),
        # all three, in rule order
        (week(40, "0.60", "70", 6), week(50, "0.80", "50", 2),
         ("-20.00", "-25.00", "40.00", "200.00"),
         ["Approval rate shifted -25.0%", "Average margin shifted 40.0%",
          "Exception creation up 200.0%"]),
        # prev = 0 and curr = 0: 0.0, no shift
        (week(0, "0", "0", 0), week(0, "0", "0", 0), ("0.00", "0.00", "0.00", "0.00"), []),
        # prev = 0 and curr > 0: null and reported as new
        (week(5, "0.5", "60", 1), week(0, "0", "0", 0), (None, None, None, None),
         ["Approval rate shifted new", "Average margin shifted new",
          "Exception creation up new"]),
        # a drop to 0 is -100 %
        (week(0, "0", "0", 0), week(), ("-100.00", "-100.00", "-100.00", "-100.00"),
         ["Approval rate shifted -100.0%", "Average margin shifted -100.0%"]),
    ],
)  # fmt: skip
def test_weekly_comparison(current, previous, changes, shifts):
    result = e.weekly_comparison(current, previous)
    names = ["total_quotes_change", "approval_rate_change", "avg_margin_change"]
    names.append("exceptions_created_change")
    assert list(result["week_over_week_changes"]) == names
    got = tuple(
        None if value is None else str(value) for value in result["week_over_week_changes"].values()
    )
    assert got == changes
    values = result["week_over_week_changes"].values()
    assert all(value is None or value.is_finite() for value in values)  # never Infinity/NaN
    assert result["significant_shifts"] == shifts
    assert result["requires_review"] is bool(shifts)


def test_weekly_comparison_takes_weekly_metrics_output():
    current = e.WeekTotals.of(e.weekly_metrics(decisions(9, 1, 80)))
    previous = e.WeekTotals.of(e.weekly_metrics(decisions(5, 5, 80)))
    result = e.weekly_comparison(current, previous)
    assert result["week_over_week_changes"]["approval_rate_change"] == D("80.00")
    assert result["significant_shifts"] == ["Approval rate shifted 80.0%"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("50.00", "50.0"),
        ("16.70", "16.7"),
        ("16.67", "16.67"),
        ("-4.55", "-4.55"),
        ("-20.00", "-20.0"),
        ("0.00", "0.0"),
        ("100", "100.0"),
        ("0.1500", "0.15"),
        ("0.0798", "0.0798"),
        ("12345.60", "12345.6"),
    ],
)
def test_render_number_like_python_float_str(value, text):
    assert e.render_number(D(value)) == text == str(float(value))


# --- Experiment summary (§10.8) ------------------------------------------------------------------


def variant(name, approved, escalated, margin):
    return [
        e.VariantOutcome(name, row.decision_status, row.gross_margin_pct)
        for row in decisions(approved, escalated, margin)
    ]


@pytest.mark.parametrize(
    ("quotes", "status", "recommendation", "sample_met"),
    [
        # the reference numbers (0.84 / 72.5 vs 0.75 / 78.0): see the module docstring
        (variant("control", 38, 7, 72.5) + variant("test", 9, 3, 78.0), "complete",
         "inconclusive", False),
        # roll_out at exactly 0.9 x control approval (0.72 >= 0.9 x 0.80), needs a higher margin
        (variant("control", 8, 2, 70) + variant("test", 18, 7, 71), "complete", "roll_out",
         False),
        (variant("control", 8, 2, 70) + variant("test", 18, 7, 70), "complete", "inconclusive",
         False),
        (variant("control", 8, 2, 70) + variant("test", 71, 29, 71), "complete", "inconclusive",
         False),
        # discard below 0.8 x control approval (0.64 is not below 0.8 x 0.80, 0.63 is)
        (variant("control", 8, 2, 70) + variant("test", 16, 9, 70), "complete", "inconclusive",
         False),
        (variant("control", 8, 2, 70) + variant("test", 63, 37, 70), "complete", "discard",
         False),
        # discard below 0.9 x control margin (72.00 is not below 0.9 x 80, 71.99 is)
        (variant("control", 8, 2, 80) + variant("test", 8, 2, 72), "complete", "inconclusive",
         False),
        (variant("control", 8, 2, 80) + variant("test", 8, 2, 71.99), "complete", "discard",
         False),
        # empty variants
        (variant("control", 8, 2, 80), "in_progress", "inconclusive", False),
        (variant("test", 8, 2, 80), "in_progress", "inconclusive", False),
        ([], "in_progress", "inconclusive", False),
        # min_sample_met: 50 each; the recommendation is computed either way
        (variant("control", 40, 10, 70) + variant("test", 45, 5, 75), "complete", "roll_out",
         True),
        (variant("control", 40, 10, 70) + variant("test", 44, 5, 75), "complete", "roll_out",
         False),
    ],
)  # fmt: skip
def test_experiment_summary(quotes, status, recommendation, sample_met):
    result = e.experiment_summary(quotes)
    assert list(result) == ["status", "control", "test", "recommendation", "min_sample_met"]
    assert (result["status"], result["recommendation"]) == (status, recommendation)
    assert result["min_sample_met"] is sample_met


def test_experiment_summary_reference_stats():
    result = e.experiment_summary(variant("control", 38, 7, 72.5) + variant("test", 9, 3, 78.0))
    assert result["control"] == dec({"count": 45, "approval_rate": 0.84, "avg_margin_pct": 72.5})
    assert result["test"] == dec({"count": 12, "approval_rate": 0.75, "avg_margin_pct": 78.0})


# --- Batch quotes, health, status, report (§10.9) ------------------------------------------------


def test_batch_quotes_reference_input_all_tied():
    result = e.batch_quotes(e.QuoteRequest(e.QuoteInput("k2p5", 2000, 800, "medium"), "task"))
    assert result["input_params"] == {
        "model": "k2p5",
        "complexity": "medium",
        "estimated_input": 2000,
        "estimated_output": 800,
        "delivery_type": "task",
    }
    assert list(result["quotes_by_segment"]) == ["enterprise", "mid_market", "smb", "startup"]
    markups = [row["quote"]["final_markup"] for row in result["quotes_by_segment"].values()]
    assert markups == [D("4.5"), D("4.0"), D("3.5"), D("3.0")]
    assert {row["quote"]["gross_margin_pct"] for row in result["quotes_by_segment"].values()} == {
        D("99.56")
    }
    assert result["comparison"] == {
        "best_value_segment": "enterprise",
        "best_value_price": D("0.50"),
        "highest_margin_segment": "enterprise",
        "highest_margin_pct": D("99.56"),
    }


def test_batch_quotes_without_ties():
    result = e.batch_quotes(e.QuoteRequest(e.QuoteInput("opus", 10000, 2000, "medium"), "task"))
    rows = result["quotes_by_segment"]
    prices = {segment: str(row["quote"]["recommended_price"]) for segment, row in rows.items()}
    margins = {segment: str(row["quote"]["gross_margin_pct"]) for segment, row in rows.items()}
    assert prices == {"enterprise": "1.35", "mid_market": "1.20", "smb": "1.05", "startup": "0.90"}
    assert margins == {
        "enterprise": "77.78",
        "mid_market": "75.00",
        "smb": "71.43",
        "startup": "66.67",
    }
    assert all(row["guardrail_check"]["is_compliant"] for row in rows.values())
    assert result["comparison"] == {
        "best_value_segment": "startup",
        "best_value_price": D("0.90"),
        "highest_margin_segment": "enterprise",
        "highest_margin_pct": D("77.78"),
    }


REFERENCE_BY_MODEL = {
    "k2p5": e.ModelUsage(D("8.23"), 89),
    "sonnet": e.ModelUsage(D("4.22"), 67),
}
REFERENCE_DAY = e.DayUsage(D("12.45"), D(50), 156, REFERENCE_BY_MODEL)


def test_health_reference_example():
    result = e.pricing_health(REFERENCE_DAY)
    assert result == dec(
        {
            "status": "healthy",
            "daily_cost": 12.45,
            "daily_budget": 50.0,
            "budget_utilization_pct": 24.9,
            "tasks_completed": 156,
            "avg_cost_per_task": 0.0798,
            "issues": [],
            "by_model": {
                "k2p5": {"cost": 8.23, "calls": 89, "avg_per_call": 0.0925},
                "sonnet": {"cost": 4.22, "calls": 67, "avg_per_call": 0.0630},
            },
        }
    )
    assert list(result) == [
        "status",
        "daily_cost",
        "daily_budget",
        "budget_utilization_pct",
        "tasks_completed",
        "avg_cost_per_task",
        "issues",
        "by_model",
    ]


@pytest.mark.parametrize(
    ("cost", "budget", "tasks", "reserved", "status", "utilization", "issues"),
    [
        ("40", "50", 1000, 0, "healthy", "80.00", []),
        ("40.01", "50", 1000, 0, "warning", "80.02", ["High daily cost: $40.01"]),
        ("41", "50", 1000, 0, "warning", "82.00", ["High daily cost: $41.00"]),
        ("49.99", "50", 1000, 0, "warning", "99.98", ["High daily cost: $49.99"]),
        ("50", "50", 1000, 0, "critical", "100.00", ["High daily cost: $50.00"]),
        ("60.125", "50", 1000, 0, "critical", "120.25", ["High daily cost: $60.13"]),
        ("30", "50", 1000, "11", "warning", "82.00", ["High daily cost: $30.00"]),
        ("10", "50", 100, 0, "healthy", "20.00", []),
        ("10.01", "50", 100, 0, "warning", "20.02", ["High avg cost per task: $0.1001"]),
        ("15", "50", 100, 0, "warning", "30.00", ["High avg cost per task: $0.15"]),
        ("45", "50", 100, 0, "warning", "90.00",
         ["High daily cost: $45.00", "High avg cost per task: $0.45"]),
        ("55", "50", 100, 0, "critical", "110.00",
         ["High daily cost: $55.00", "High avg cost per task: $0.55"]),
        ("5", "50", 0, 0, "healthy", "10.00", []),
        ("5", "0", 1000, 0, "healthy", "0.00", []),
    ],
)  # fmt: skip
def test_health_thresholds(cost, budget, tasks, reserved, status, utilization, issues):
    result = e.pricing_health(e.DayUsage(D(cost), D(budget), tasks, {}, D(reserved)))
    assert result["status"] == status
    assert str(result["budget_utilization_pct"]) == utilization
    assert result["issues"] == issues


def test_health_zero_calls_and_tasks():
    result = e.pricing_health(e.DayUsage(D(0), D(50), 0, {"opus": e.ModelUsage(D(0), 0)}))
    assert result["avg_cost_per_task"] == 0
    assert result["by_model"] == {"opus": {"cost": 0, "calls": 0, "avg_per_call": 0}}


def test_pricing_status():
    result = e.pricing_status()
    assert list(result) == ["pricing_policy", "example_quotes", "guardrail_check"]
    assert result["pricing_policy"] == e.DEFAULT_POLICY.as_dict()
    assert list(result["example_quotes"]) == ["mid_market", "enterprise", "smb"]
    margins = {key: str(row["gross_margin_pct"]) for key, row in result["example_quotes"].items()}
    assert margins == {"mid_market": "99.70", "enterprise": "95.80", "smb": "99.78"}
    assert result["guardrail_check"] == dec(
        {
            "delivery_type": "task",
            "minimum_margin_pct": 55.0,
            "actual_margin_pct": 99.7,
            "is_compliant": True,
            "action": "approve_quote",
        }
    )


def test_pricing_report():
    health = e.pricing_health(REFERENCE_DAY)
    report = e.pricing_report(health, NOW)
    assert list(report) == [
        "generated_at",
        "period",
        "health",
        "by_model",
        "sample_quotes_by_segment",
        "pricing_policy",
    ]
    assert (report["generated_at"], report["period"]) == ("2026-02-20T13:35:00Z", "daily")
    assert "by_model" not in report["health"]
    assert report["by_model"] == health["by_model"]
    samples = report["sample_quotes_by_segment"]
    assert list(samples) == ["enterprise", "mid_market", "smb", "startup"]
    assert [row["final_markup"] for row in samples.values()] == [D("4.5"), D(4), D("3.5"), D(3)]
    assert {str(row["gross_margin_pct"]) for row in samples.values()} == {"99.66"}
    assert {str(row["internal_cost"]) for row in samples.values()} == {"0.0017"}
