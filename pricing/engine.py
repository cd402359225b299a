"""Pricing engine: quotes, guardrails, decisions and pricing rollups (docs: semantics.md §10).

Pure: standard library only, no Django, no I/O, no clock (callers pass times in). Money is Decimal;
rounding is ROUND_HALF_UP, once, where a value leaves the engine: costs 4 dp; prices, markups,
percentages and ratios 2 dp. Never float: a float argument is read through ``str()``.

Conventions this module settles where the spec leaves room:

- Item indexes in error messages are 0-based, the JSON array index: "scenario 2" is
  ``scenarios[2]`` (error field ``scenarios[2].model``, ``EngineError.index == 2``).
- Numbers inside texts ({x}, {ratio}, {avg}, ${avg}) render like Python's ``str()`` of the rounded
  value as a float: trailing zeros dropped, at least one decimal ("50.0", "16.7", "-4.55", "0.15");
  ``${cost:.2f}`` keeps exactly two decimals. See ``render_number``.
- ``recommended_price`` = max(internal_cost (4 dp) x final_markup (2 dp), minimum_price), so a
  reader can recompute it from the numbers shown; ``gross_margin_pct`` uses the rounded price and
  cost, and is 0 when the price is 0 (only possible with a minimum_price of 0).
- Averages (scenario, weekly, experiment) are means of the 2-dp margins the quotes show.
- Thresholds compare the rounded values the response shows (ratio 0.67, change 50.00, ...).
- A week-over-week change from 0 to more than 0 is ``None`` and counts as a shift whose text shows
  ``new`` in place of "{x}%": ``Approval rate shifted new``, ``Exception creation up new``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

COMPLEXITIES = ("low", "medium", "high")
SEGMENTS = ("enterprise", "mid_market", "smb", "startup")
DELIVERY_TYPES = ("task", "subscription", "enterprise")
DECISION_STATUSES = ("approved", "escalated")
VARIANTS = ("control", "test")

MAX_TOKENS = 10_000_000
MAX_SCENARIOS = 100
MAX_COUNT = 1_000_000_000
MAX_MAGNITUDE = Decimal(10) ** 12
DEFAULT_APPROVER = "ops-auto"
MAX_APPROVER_LENGTH = 100
AT_RISK_DAYS = 14
EXEC_FOLLOWUP_DAYS = 30
EXEC_FOLLOWUP_AT_RISK = 2
EXECUTIVE_REVIEW_RATIO = Decimal("0.67")
MIN_EXPERIMENT_SAMPLE = 50
HIGH_COST_PER_TASK = Decimal("0.10")

_HUNDRED = Decimal(100)
_COST_PLACES = Decimal("0.0001")
_CENT = Decimal("0.01")


# --- Errors and input parsing ---------------------------------------------------------------------


class EngineError(ValueError):
    """Bad input: ``field`` names it (``scenarios[2].model``), ``message`` is one sentence."""

    def __init__(self, field: str, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.index = index


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 64 else text[:61] + "..."


def to_decimal(
    value: Any,
    field: str,
    *,
    where: str = "",
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
) -> Decimal:
    """Read a number from int, str, Decimal or float (via str); refuse bool, NaN and Infinity."""
    message = f"{field}{where} must be a number"
    if isinstance(value, bool) or value is None:
        raise EngineError(field, message)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    elif isinstance(value, str) and "_" not in value:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise EngineError(field, message) from None
    else:
        raise EngineError(field, message)
    if not number.is_finite() or abs(number) > MAX_MAGNITUDE:
        raise EngineError(field, message)
    low = Decimal(minimum) if minimum is not None else -MAX_MAGNITUDE
    high = Decimal(maximum) if maximum is not None else MAX_MAGNITUDE
    if not low <= number <= high:
        raise EngineError(field, f"{field}{where} must be between {low} and {high}")
    return number


def parse_count(value: Any, field: str, *, where: str = "", maximum: int = MAX_COUNT) -> int:
    """Read a non-negative integer from an int or a string of ASCII digits ("1200")."""
    message = f"{field}{where} must be an integer between 0 and {maximum}"
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and (text := value.strip()).isascii() and text.isdigit():
        digits = text.lstrip("0") or "0"
        if len(digits) > len(str(maximum)):
            raise EngineError(field, message)
        number = int(digits)
    else:
        raise EngineError(field, message)
    if not 0 <= number <= maximum:
        raise EngineError(field, message)
    return number


def parse_tokens(value: Any, field: str, *, where: str = "") -> int:
    return parse_count(value, field, where=where, maximum=MAX_TOKENS)


def parse_choice(value: Any, choices: Iterable[str], field: str, *, where: str = "") -> str:
    if not isinstance(value, str) or value not in tuple(choices):
        raise EngineError(field, f"Unsupported {field}{where}: {_show(value)}")
    return value


def _parse_bool(value: Any, field: str, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise EngineError(field, f"{field}{where} must be a boolean")
    return value


def _items(raw: Any, field: str, label: str, *, limit: int | None = None) -> list[Mapping]:
    """A JSON array of objects; with a ``limit`` it must also be non-empty."""
    if not isinstance(raw, list | tuple):
        raise EngineError(field, f"{field} must be a JSON array")
    if limit is not None and not raw:
        raise EngineError(field, f"{field} must be a non-empty JSON array")
    if limit is not None and len(raw) > limit:
        raise EngineError(field, f"{field} must contain at most {limit} items")
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise EngineError(
                f"{field}[{index}]", f"{label} {index} must be an object", index=index
            )
    return list(raw)


# --- Rounding and rendering -----------------------------------------------------------------------


def _quantize(value: Decimal, places: Decimal) -> Decimal:
    result = value.quantize(places, rounding=ROUND_HALF_UP)
    return result if result else abs(result)  # never "-0.00"


def round_cost(value: Decimal) -> Decimal:
    return _quantize(value, _COST_PLACES)


def round_money(value: Decimal) -> Decimal:
    """Prices, markups, percentages and ratios: 2 dp."""
    return _quantize(value, _CENT)


def render_number(value: Decimal) -> str:
    """As Python's str() of the value as a float: 50.00 -> "50.0", 16.70 -> "16.7"."""
    text = format(value, "f")
    if "." not in text:
        return text + ".0"
    text = text.rstrip("0")
    return text + "0" if text.endswith(".") else text


def _mean(values: Sequence[Decimal]) -> Decimal:
    return round_money(sum(values, Decimal(0)) / len(values)) if values else round_money(Decimal(0))


def _ratio(part: int, whole: int) -> Decimal:
    return round_money(Decimal(part) / max(whole, 1))


# --- Rate card and policy -------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRate:
    """Dollars per 1K tokens; ``blended`` prices a single token count."""

    input: Decimal
    output: Decimal
    blended: Decimal

    def __post_init__(self) -> None:
        for name in ("input", "output", "blended"):
            object.__setattr__(self, name, to_decimal(getattr(self, name), name, minimum=0))


@dataclass(frozen=True)
class RateCard:
    rates: Mapping[str, ModelRate]

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self.rates)

    def rate(self, model: Any, *, where: str = "") -> ModelRate:
        return self.rates[parse_choice(model, self.rates, "model", where=where)]

    def restricted_to(self, models: Iterable[str]) -> RateCard:
        """The card limited to ``models`` (e.g. leave out codex while it is not enabled)."""
        keep = set(models)
        return RateCard({name: rate for name, rate in self.rates.items() if name in keep})

    def token_cost(self, model: str, input_tokens: int, output_tokens: int) -> Decimal:
        """Exact (unrounded) cost of a call."""
        rate = self.rate(model)
        return (Decimal(input_tokens) * rate.input + Decimal(output_tokens) * rate.output) / 1000

    def blended_cost(self, model: str, tokens: int) -> Decimal:
        return Decimal(tokens) * self.rate(model).blended / 1000


DEFAULT_RATE_CARD = RateCard(
    {
        "k2p5": ModelRate(Decimal("0.0005"), Decimal("0.0015"), Decimal("0.001")),
        "sonnet": ModelRate(Decimal("0.003"), Decimal("0.015"), Decimal("0.003")),
        "opus": ModelRate(Decimal("0.015"), Decimal("0.075"), Decimal("0.015")),
        "minimax-m2.5": ModelRate(Decimal("0.0001"), Decimal("0.0001"), Decimal("0.001")),
        "codex": ModelRate(Decimal("0.002"), Decimal("0.006"), Decimal("0.002")),
    }
)


def _decimal_table(table: Any, keys: tuple[str, ...], field: str) -> dict[str, Decimal]:
    if not isinstance(table, Mapping) or set(table) != set(keys):
        raise EngineError(field, f"{field} must have exactly the keys {', '.join(keys)}")
    return {key: to_decimal(table[key], f"{field}.{key}") for key in keys}


@dataclass(frozen=True)
class Policy:
    """Markups, segment adjustments, price floor, margin thresholds and bands (§10.1)."""

    complexity_markup: Mapping[str, Decimal]
    segment_adjustments: Mapping[str, Decimal]
    minimum_price: Decimal
    margin_thresholds: Mapping[str, Decimal]
    strong_band_pct: Decimal = Decimal(70)
    healthy_band_pct: Decimal = Decimal(55)

    def __post_init__(self) -> None:
        tables = (
            ("complexity_markup", COMPLEXITIES),
            ("segment_adjustments", SEGMENTS),
            ("margin_thresholds", DELIVERY_TYPES),
        )
        for name, keys in tables:
            object.__setattr__(self, name, _decimal_table(getattr(self, name), keys, name))
        for name in ("minimum_price", "strong_band_pct", "healthy_band_pct"):
            object.__setattr__(self, name, to_decimal(getattr(self, name), name, minimum=0))
        if self.healthy_band_pct > self.strong_band_pct:
            raise EngineError(
                "healthy_band_pct", "healthy_band_pct must not exceed strong_band_pct"
            )

    def as_dict(self, form: str = "status") -> dict[str, Any]:
        """``status`` form (/pricing/status, report) or ``orchestrator`` form (min/target/max)."""
        markup = {key: round_money(value) for key, value in self.complexity_markup.items()}
        if form == "orchestrator":
            return {
                "min_markup": markup["low"],
                "target_markup": markup["medium"],
                "max_markup": markup["high"],
                "complexity_markup": markup,
                "minimum_price": round_money(self.minimum_price),
            }
        return {
            "complexity_markup": markup,
            "segment_adjustments": {k: round_money(v) for k, v in self.segment_adjustments.items()},
            "minimum_price": round_money(self.minimum_price),
            "margin_thresholds": {k: round_money(v) for k, v in self.margin_thresholds.items()},
        }


DEFAULT_POLICY = Policy(
    complexity_markup={"low": Decimal("3.0"), "medium": Decimal("4.0"), "high": Decimal("5.0")},
    segment_adjustments={
        "enterprise": Decimal("0.5"),
        "mid_market": Decimal("0.0"),
        "smb": Decimal("-0.5"),
        "startup": Decimal("-1.0"),
    },
    minimum_price=Decimal("0.50"),
    margin_thresholds={
        "task": Decimal("55.0"),
        "subscription": Decimal("50.0"),
        "enterprise": Decimal("45.0"),
    },
)


def margin_band(margin_pct: Decimal, policy: Policy = DEFAULT_POLICY) -> str:
    if margin_pct >= policy.strong_band_pct:
        return "strong"
    if margin_pct >= policy.healthy_band_pct:
        return "healthy"
    return "at_risk"


# --- Quotes, guardrail, decision (§10.2, §10.3) ---------------------------------------------------


@dataclass(frozen=True)
class Quote:
    model: str
    complexity: str
    segment: str
    internal_cost: Decimal
    base_markup: Decimal
    segment_adjustment: Decimal
    final_markup: Decimal
    recommended_price: Decimal
    gross_margin_pct: Decimal
    margin_band: str
    estimated_input_tokens: int | None = None
    estimated_output_tokens: int | None = None
    estimated_tokens: int | None = None  # set for the single-count form only

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "model": self.model,
            "complexity": self.complexity,
            "segment": self.segment,
        }
        if self.estimated_tokens is not None:
            result["estimated_tokens"] = self.estimated_tokens
        else:
            result["estimated_input_tokens"] = self.estimated_input_tokens
            result["estimated_output_tokens"] = self.estimated_output_tokens
        return result | {
            "internal_cost": self.internal_cost,
            "base_markup": self.base_markup,
            "segment_adjustment": self.segment_adjustment,
            "final_markup": self.final_markup,
            "recommended_price": self.recommended_price,
            "gross_margin_pct": self.gross_margin_pct,
            "margin_band": self.margin_band,
        }


def _priced(
    model: str, complexity: str, segment: str, exact_cost: Decimal, policy: Policy, **tokens: int
) -> Quote:
    base = policy.complexity_markup[complexity]
    adjustment = policy.segment_adjustments[segment]
    final_markup = round_money(base + adjustment)
    cost = round_cost(exact_cost)
    price = round_money(max(cost * final_markup, policy.minimum_price))
    margin = round_money((price - cost) / price * _HUNDRED) if price else round_money(Decimal(0))
    return Quote(
        model=model,
        complexity=complexity,
        segment=segment,
        internal_cost=cost,
        base_markup=round_money(base),
        segment_adjustment=round_money(adjustment),
        final_markup=final_markup,
        recommended_price=price,
        gross_margin_pct=margin,
        margin_band=margin_band(margin, policy),
        **tokens,
    )


def quote(
    model: Any,
    estimated_input: Any = 1000,
    estimated_output: Any = 500,
    complexity: Any = "medium",
    segment: Any = "mid_market",
    rate_card: RateCard = DEFAULT_RATE_CARD,
    policy: Policy = DEFAULT_POLICY,
    *,
    where: str = "",
) -> Quote:
    """Quote from input and output token estimates (raw form values are accepted)."""
    rate_card.rate(model, where=where)
    input_tokens = parse_tokens(estimated_input, "estimated_input", where=where)
    output_tokens = parse_tokens(estimated_output, "estimated_output", where=where)
    complexity = parse_choice(complexity, COMPLEXITIES, "complexity", where=where)
    segment = parse_choice(segment, SEGMENTS, "segment", where=where)
    cost = rate_card.token_cost(model, input_tokens, output_tokens)
    return _priced(
        model,
        complexity,
        segment,
        cost,
        policy,
        estimated_input_tokens=input_tokens,
        estimated_output_tokens=output_tokens,
    )


def quote_from_tokens(
    model: Any,
    estimated_tokens: Any = 1000,
    complexity: Any = "medium",
    segment: Any = "mid_market",
    rate_card: RateCard = DEFAULT_RATE_CARD,
    policy: Policy = DEFAULT_POLICY,
    *,
    where: str = "",
) -> Quote:
    """Single-count form: tokens / 1000 x the model's blended rate."""
    rate_card.rate(model, where=where)
    tokens = parse_tokens(estimated_tokens, "estimated_tokens", where=where)
    complexity = parse_choice(complexity, COMPLEXITIES, "complexity", where=where)
    segment = parse_choice(segment, SEGMENTS, "segment", where=where)
    cost = rate_card.blended_cost(model, tokens)
    return _priced(model, complexity, segment, cost, policy, estimated_tokens=tokens)


@dataclass(frozen=True)
class Guardrail:
    delivery_type: str
    minimum_margin_pct: Decimal
    actual_margin_pct: Decimal
    is_compliant: bool
    action: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivery_type": self.delivery_type,
            "minimum_margin_pct": self.minimum_margin_pct,
            "actual_margin_pct": self.actual_margin_pct,
            "is_compliant": self.is_compliant,
            "action": self.action,
        }


def guardrail(
    quote: Quote, delivery_type: Any = "task", policy: Policy = DEFAULT_POLICY
) -> Guardrail:
    delivery_type = parse_choice(delivery_type, DELIVERY_TYPES, "delivery_type")
    threshold = round_money(policy.margin_thresholds[delivery_type])
    compliant = quote.gross_margin_pct >= threshold
    return Guardrail(
        delivery_type=delivery_type,
        minimum_margin_pct=threshold,
        actual_margin_pct=quote.gross_margin_pct,
        is_compliant=compliant,
        action="approve_quote" if compliant else "escalate_deal_desk",
    )


@dataclass(frozen=True)
class Decision:
    quote: Quote
    guardrail: Guardrail
    decision_status: str
    approver: str
    next_step: str
    generated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """The decision packet (quote and guardrail are rendered by their own ``as_dict``)."""
        return {
            "decision_status": self.decision_status,
            "approver": self.approver,
            "delivery_type": self.guardrail.delivery_type,
            "next_step": self.next_step,
            "generated_at": render_time(self.generated_at),
        }


def render_time(moment: datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def decision(
    quote: Quote,
    guardrail: Guardrail,
    approver: Any = DEFAULT_APPROVER,
    *,
    generated_at: datetime,
) -> Decision:
    """Approve a compliant quote, escalate the rest; a blank approver means ``ops-auto``."""
    if approver is None or (isinstance(approver, str) and not approver.strip()):
        approver = DEFAULT_APPROVER
    if not isinstance(approver, str) or len(approver.strip()) > MAX_APPROVER_LENGTH:
        raise EngineError(
            "approver", f"approver must be text of at most {MAX_APPROVER_LENGTH} characters"
        )
    if generated_at.tzinfo is None or generated_at.utcoffset() is None:
        raise EngineError("generated_at", "generated_at must be timezone-aware")
    approved = guardrail.is_compliant
    return Decision(
        quote=quote,
        guardrail=guardrail,
        decision_status="approved" if approved else "escalated",
        approver=approver.strip(),
        next_step="send_quote" if approved else "route_to_deal_desk",
        generated_at=generated_at,
    )


# --- Scenarios and portfolio (§10.4, §10.5) -------------------------------------------------------


def _value(item: Mapping, key: str, default: Any) -> Any:
    """A missing key or a JSON null takes the default."""
    value = item.get(key)
    return default if value is None else value


def _scenario_quote(item: Mapping, index: int, rate_card: RateCard, policy: Policy) -> Quote:
    where = f" in scenario {index}"
    try:
        if item.get("model") is None:
            raise EngineError("model", f"model is required{where}")
        common = {
            "complexity": _value(item, "complexity", "medium"),
            "segment": _value(item, "segment", "mid_market"),
            "rate_card": rate_card,
            "policy": policy,
            "where": where,
        }
        if item.get("estimated_tokens") is not None:
            if item.get("estimated_input") is not None or item.get("estimated_output") is not None:
                raise EngineError(
                    "estimated_tokens",
                    f"Give estimated_tokens or estimated_input/estimated_output{where}, not both",
                )
            return quote_from_tokens(item["model"], item["estimated_tokens"], **common)
        return quote(
            item["model"],
            _value(item, "estimated_input", 1000),
            _value(item, "estimated_output", 500),
            **common,
        )
    except EngineError as error:
        raise EngineError(f"scenarios[{index}].{error.field}", error.message, index=index) from None


def parse_scenarios(
    scenarios: Any, rate_card: RateCard = DEFAULT_RATE_CARD, policy: Policy = DEFAULT_POLICY
) -> list[Quote]:
    """Quote each scenario (1..100 objects; quote defaults; ``estimated_tokens`` allowed)."""
    items = _items(scenarios, "scenarios", "Scenario", limit=MAX_SCENARIOS)
    return [_scenario_quote(item, index, rate_card, policy) for index, item in enumerate(items)]


def _portfolio_counts(scenario_count: Any, compliant_count: Any) -> tuple[int, int, Decimal]:
    count = parse_count(scenario_count, "scenario_count")
    compliant = parse_count(compliant_count, "compliant_count")
    if compliant > count:
        raise EngineError("compliant_count", "compliant_count must not exceed scenario_count")
    return count, compliant, _ratio(compliant, count)


def evaluate_scenarios(
    scenarios: Any,
    delivery_type: Any = "task",
    rate_card: RateCard = DEFAULT_RATE_CARD,
    policy: Policy = DEFAULT_POLICY,
) -> dict[str, Any]:
    delivery_type = parse_choice(delivery_type, DELIVERY_TYPES, "delivery_type")
    quotes = parse_scenarios(scenarios, rate_card, policy)
    checks = [guardrail(item, delivery_type, policy) for item in quotes]
    compliant = sum(check.is_compliant for check in checks)
    ratio = _ratio(compliant, len(quotes))
    return {
        "delivery_type": delivery_type,
        "scenario_count": len(quotes),
        "compliant_count": compliant,
        "compliance_ratio": ratio,
        "needs_escalation": compliant < len(quotes),
        "requires_executive_review": ratio < EXECUTIVE_REVIEW_RATIO,
        "average_margin_pct": _mean([item.gross_margin_pct for item in quotes]),
        "results": [
            {"quote": item.as_dict(), "guardrail_check": check.as_dict()}
            for item, check in zip(quotes, checks, strict=True)
        ],
    }


def portfolio_summary(
    scenario_count: Any, compliant_count: Any, average_margin_pct: Any
) -> dict[str, Any]:
    count, compliant, ratio = _portfolio_counts(scenario_count, compliant_count)
    average = round_money(to_decimal(average_margin_pct, "average_margin_pct", maximum=100))
    return {
        "scenario_count": count,
        "compliant_count": compliant,
        "compliance_ratio": ratio,
        "requires_executive_review": count > 0 and ratio < EXECUTIVE_REVIEW_RATIO,
        "average_margin_pct": average,
    }


def portfolio_alert(
    scenario_count: Any, compliant_count: Any, average_margin_pct: Any
) -> dict[str, Any]:
    count, compliant, ratio = _portfolio_counts(scenario_count, compliant_count)
    average = round_money(to_decimal(average_margin_pct, "average_margin_pct", maximum=100))
    if count <= 0:
        level, summary, action = "ok", "No portfolio scenarios to evaluate", "no_action"
    elif ratio < EXECUTIVE_REVIEW_RATIO:
        level, action = "critical", "route_to_executive_review"
        summary = (
            f"Portfolio executive review required: {compliant}/{count} compliant, "
            f"ratio {render_number(ratio)}"
        )
    elif ratio < 1:
        level, action = "warning", "proceed_with_caution"
        summary = f"Portfolio needs attention: {compliant}/{count} compliant"
    else:
        level, action = "ok", "send_proposal"
        summary = (
            f"Portfolio healthy: {compliant}/{count} compliant, margin {render_number(average)}%"
        )
    return {"level": level, "summary": summary, "recommended_action": action}


# --- Exceptions (§10.6) ---------------------------------------------------------------------------


def exception_age_days(opened_at: datetime, now: datetime) -> int:
    """Whole days an exception has been open (never negative)."""
    return max((now - opened_at).days, 0)


def exception_counts(ages_days: Iterable[Any]) -> tuple[int, int, int]:
    """``(open_exceptions, oldest_days, at_risk_count)`` from the ages of the open exceptions."""
    ages = [parse_count(age, "age_days") for age in ages_days]
    return len(ages), max(ages, default=0), sum(age >= AT_RISK_DAYS for age in ages)


def exception_aging(open_exceptions: Any, oldest_days: Any, at_risk_count: Any) -> dict[str, Any]:
    count = parse_count(open_exceptions, "open_exceptions")
    oldest = parse_count(oldest_days, "oldest_days")
    at_risk = parse_count(at_risk_count, "at_risk_count")
    if at_risk > count:
        raise EngineError("at_risk_count", "at_risk_count must not exceed open_exceptions")
    followup = count > 0 and (oldest >= EXEC_FOLLOWUP_DAYS or at_risk >= EXEC_FOLLOWUP_AT_RISK)
    if count == 0:
        risk, action = "none", "no_action"
    elif followup:
        risk, action = "critical", "schedule_executive_review"
    elif at_risk >= 1:
        risk, action = "warning", "manager_followup"
    else:
        risk, action = "ok", "continue_recovery_plan"
    return {
        "open_exceptions": count,
        "oldest_days": oldest,
        "at_risk_count": at_risk,
        "requires_exec_followup": followup,
        "risk_level": risk,
        "next_action": action,
    }


def exception_alert(open_exceptions: Any, oldest_days: Any, at_risk_count: Any) -> dict[str, Any]:
    aging = exception_aging(open_exceptions, oldest_days, at_risk_count)
    count, oldest, risk = aging["open_exceptions"], aging["oldest_days"], aging["risk_level"]
    summary = {
        "none": "No open quote exceptions",
        "critical": f"Critical exception risk: {count} open, oldest {oldest}d",
        "warning": f"Warning exception risk: {count} open, oldest {oldest}d",
        "ok": f"Exceptions under control: {count} open",
    }[risk]
    return {"level": risk, "summary": summary, "recommended_action": aging["next_action"]}


# --- Weekly metrics and comparison (§10.7) --------------------------------------------------------


def _decision_rows(quotes: Any, field: str = "quotes") -> list[tuple[Mapping, str, Decimal]]:
    """Validated ``(item, decision_status, gross_margin_pct)``; a missing margin counts as 0."""
    rows = []
    for index, item in enumerate(_items(quotes, field, "Quote")):
        where = f" in quote {index}"
        try:
            status = parse_choice(
                item.get("decision_status"), DECISION_STATUSES, "decision_status", where=where
            )
            raw_margin = item.get("gross_margin_pct")
            margin = (
                Decimal(0)
                if raw_margin is None
                else to_decimal(raw_margin, "gross_margin_pct", where=where, maximum=100)
            )
        except EngineError as error:
            raise EngineError(
                f"{field}[{index}].{error.field}", error.message, index=index
            ) from None
        rows.append((item, status, round_money(margin)))
    return rows


def weekly_metrics(quotes: Any) -> dict[str, Any]:
    rows = _decision_rows(quotes)
    created = closed = 0
    for index, (item, _, _) in enumerate(rows):
        where = f" in quote {index}"
        try:
            created += _parse_bool(item.get("exception_created"), "exception_created", where)
            closed += _parse_bool(item.get("exception_closed"), "exception_closed", where)
        except EngineError as error:
            raise EngineError(
                f"quotes[{index}].{error.field}", error.message, index=index
            ) from None
    approved = sum(status == "approved" for _, status, _ in rows)
    return {
        "total_quotes": len(rows),
        "approved_count": approved,
        "escalated_count": len(rows) - approved,
        "approval_rate": _ratio(approved, len(rows)),
        "avg_margin_pct": _mean([margin for _, _, margin in rows]),
        "exceptions_created": created,
        "exceptions_closed": closed,
    }


def relative_change(current: Decimal, previous: Decimal) -> Decimal | None:
    """(current - previous) / previous x 100 (2 dp); from 0: 0 if still 0, else None ("new")."""
    if previous == 0:
        return round_money(Decimal(0)) if current == 0 else None
    return round_money((current - previous) / previous * _HUNDRED)


def _week(values: Mapping[str, Any], prefix: str) -> dict[str, Decimal]:
    if not isinstance(values, Mapping):
        raise EngineError(prefix, f"{prefix} must be an object")
    return {
        "total_quotes": Decimal(parse_count(values.get("total_quotes"), f"{prefix}_total_quotes")),
        "approval_rate": to_decimal(
            values.get("approval_rate"), f"{prefix}_approval_rate", minimum=0, maximum=1
        ),
        "avg_margin_pct": to_decimal(
            values.get("avg_margin_pct"), f"{prefix}_avg_margin_pct", maximum=100
        ),
        "exceptions_created": Decimal(
            parse_count(values.get("exceptions_created"), f"{prefix}_exceptions_created")
        ),
    }


def weekly_comparison(current: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """Compare two weeks given as ``{total_quotes, approval_rate, avg_margin_pct,
    exceptions_created}`` (``weekly_metrics`` output fits; errors name ``current_*``/``prev_*``)."""
    curr, prev = _week(current, "current"), _week(previous, "prev")
    changes = {
        f"{name}_change": relative_change(curr[key], prev[key])
        for name, key in (
            ("total_quotes", "total_quotes"),
            ("approval_rate", "approval_rate"),
            ("avg_margin", "avg_margin_pct"),
            ("exceptions_created", "exceptions_created"),
        )
    }
    shifts = []
    rules = (
        ("approval_rate_change", "Approval rate shifted", True, Decimal(15)),
        ("avg_margin_change", "Average margin shifted", True, Decimal(10)),
        ("exceptions_created_change", "Exception creation up", False, Decimal(50)),
    )
    for key, text, both_ways, limit in rules:
        change = changes[key]
        if change is None:
            shifts.append(f"{text} new")
        elif (abs(change) if both_ways else change) > limit:
            shifts.append(f"{text} {render_number(change)}%")
    return {
        "week_over_week_changes": changes,
        "significant_shifts": shifts,
        "requires_review": bool(shifts),
    }


# --- Experiments (§10.8) --------------------------------------------------------------------------


def experiment_summary(quotes: Any) -> dict[str, Any]:
    rows = _decision_rows(quotes)
    groups: dict[str, list[tuple[str, Decimal]]] = {variant: [] for variant in VARIANTS}
    for index, (item, status, margin) in enumerate(rows):
        try:
            variant = parse_choice(
                item.get("variant"), VARIANTS, "variant", where=f" in quote {index}"
            )
        except EngineError as error:
            raise EngineError(f"quotes[{index}].variant", error.message, index=index) from None
        groups[variant].append((status, margin))
    stats = {
        variant: {
            "count": len(group),
            "approval_rate": _ratio(sum(s == "approved" for s, _ in group), len(group)),
            "avg_margin_pct": _mean([margin for _, margin in group]),
        }
        for variant, group in groups.items()
    }
    control, test = stats["control"], stats["test"]
    complete = control["count"] > 0 and test["count"] > 0
    if not complete:
        recommendation = "inconclusive"
    elif (
        test["avg_margin_pct"] > control["avg_margin_pct"]
        and test["approval_rate"] >= Decimal("0.9") * control["approval_rate"]
    ):
        recommendation = "roll_out"
    elif (
        test["approval_rate"] < Decimal("0.8") * control["approval_rate"]
        or test["avg_margin_pct"] < Decimal("0.9") * control["avg_margin_pct"]
    ):
        recommendation = "discard"
    else:
        recommendation = "inconclusive"
    return {
        "status": "complete" if complete else "in_progress",
        "control": control,
        "test": test,
        "recommendation": recommendation,
        "min_sample_met": min(control["count"], test["count"]) >= MIN_EXPERIMENT_SAMPLE,
    }


# --- Batch quotes, health, status, report (§10.9) -------------------------------------------------


def batch_quotes(
    model: Any,
    estimated_input: Any = 1000,
    estimated_output: Any = 500,
    complexity: Any = "medium",
    delivery_type: Any = "task",
    rate_card: RateCard = DEFAULT_RATE_CARD,
    policy: Policy = DEFAULT_POLICY,
) -> dict[str, Any]:
    """One quote per segment (enterprise, mid_market, smb, startup); ties go to the first."""
    delivery_type = parse_choice(delivery_type, DELIVERY_TYPES, "delivery_type")
    quotes = {
        segment: quote(
            model, estimated_input, estimated_output, complexity, segment, rate_card, policy
        )
        for segment in SEGMENTS
    }
    first = next(iter(quotes.values()))
    best_value = min(SEGMENTS, key=lambda s: quotes[s].recommended_price)
    best_margin = max(SEGMENTS, key=lambda s: quotes[s].gross_margin_pct)
    return {
        "input_params": {
            "model": first.model,
            "complexity": first.complexity,
            "estimated_input": first.estimated_input_tokens,
            "estimated_output": first.estimated_output_tokens,
            "delivery_type": delivery_type,
        },
        "quotes_by_segment": {
            segment: {
                "quote": item.as_dict(),
                "guardrail_check": guardrail(item, delivery_type, policy).as_dict(),
            }
            for segment, item in quotes.items()
        },
        "comparison": {
            "best_value_segment": best_value,
            "best_value_price": quotes[best_value].recommended_price,
            "highest_margin_segment": best_margin,
            "highest_margin_pct": quotes[best_margin].gross_margin_pct,
        },
    }


def pricing_health(
    daily_cost: Any,
    daily_budget: Any,
    tasks_completed: Any,
    by_model: Mapping[str, Mapping[str, Any]],
    reserved: Any = 0,
) -> dict[str, Any]:
    """Health from today's ledger: ``by_model`` maps model -> ``{cost, calls}``; ``reserved``
    (open reservations) counts toward utilization as in §8.1, 0 when the budget is 0."""
    cost = round_cost(to_decimal(daily_cost, "daily_cost", minimum=0))
    budget = round_money(to_decimal(daily_budget, "daily_budget", minimum=0))
    held = to_decimal(reserved, "reserved", minimum=0)
    tasks = parse_count(tasks_completed, "tasks_completed")
    utilization = round_money((cost + held) / budget * _HUNDRED) if budget > 0 else Decimal("0.00")
    per_task = round_cost(cost / tasks) if tasks else round_cost(Decimal(0))
    status, issues = "healthy", []
    if utilization > 80:
        status = "critical" if utilization >= 100 else "warning"
        issues.append(f"High daily cost: ${round_money(cost):.2f}")
    if per_task > HIGH_COST_PER_TASK:
        status = "warning" if status == "healthy" else status
        issues.append(f"High avg cost per task: ${render_number(per_task)}")
    if not isinstance(by_model, Mapping):
        raise EngineError("by_model", "by_model must be an object")
    models = {}
    for name, row in by_model.items():
        if not isinstance(row, Mapping):
            raise EngineError(f"by_model.{name}", f"by_model.{name} must be an object")
        model_cost = round_cost(to_decimal(row.get("cost"), f"by_model.{name}.cost", minimum=0))
        calls = parse_count(row.get("calls"), f"by_model.{name}.calls")
        per_call = round_cost(model_cost / calls) if calls else round_cost(Decimal(0))
        models[name] = {"cost": model_cost, "calls": calls, "avg_per_call": per_call}
    return {
        "status": status,
        "daily_cost": cost,
        "daily_budget": budget,
        "budget_utilization_pct": utilization,
        "tasks_completed": tasks,
        "avg_cost_per_task": per_task,
        "issues": issues,
        "by_model": models,
    }


STATUS_EXAMPLES = {
    "mid_market": ("k2p5", 1200, 600, "medium"),
    "enterprise": ("sonnet", 2000, 1000, "high"),
    "smb": ("k2p5", 1000, 400, "low"),
}
REPORT_SAMPLE = ("k2p5", 1500, 600, "medium")
EXAMPLE_TASK = ("k2p5", 2000, "medium", "mid_market")
EXAMPLE_PORTFOLIO = (
    {"model": "k2p5", "estimated_tokens": 2000, "complexity": "medium"},
    {"model": "sonnet", "estimated_tokens": 3500, "complexity": "high"},
    {"model": "opus", "estimated_tokens": 5000, "complexity": "high"},
)


def example_task_quote(
    rate_card: RateCard = DEFAULT_RATE_CARD, policy: Policy = DEFAULT_POLICY
) -> Quote:
    """The orchestrator status sample (k2p5, 2000 tokens, medium, mid_market)."""
    return quote_from_tokens(*EXAMPLE_TASK, rate_card=rate_card, policy=policy)


def pricing_status(
    rate_card: RateCard = DEFAULT_RATE_CARD, policy: Policy = DEFAULT_POLICY
) -> dict[str, Any]:
    examples = {
        segment: quote(model, tokens_in, tokens_out, complexity, segment, rate_card, policy)
        for segment, (model, tokens_in, tokens_out, complexity) in STATUS_EXAMPLES.items()
    }
    return {
        "pricing_policy": policy.as_dict(),
        "example_quotes": {segment: item.as_dict() for segment, item in examples.items()},
        "guardrail_check": guardrail(examples["mid_market"], "task", policy).as_dict(),
    }


def pricing_report(
    health: Mapping[str, Any],
    generated_at: datetime,
    rate_card: RateCard = DEFAULT_RATE_CARD,
    policy: Policy = DEFAULT_POLICY,
) -> dict[str, Any]:
    """The daily report around a ``pricing_health`` result."""
    model, tokens_in, tokens_out, complexity = REPORT_SAMPLE
    return {
        "generated_at": render_time(generated_at),
        "period": "daily",
        "health": {key: value for key, value in health.items() if key != "by_model"},
        "by_model": health.get("by_model", {}),
        "sample_quotes_by_segment": {
            segment: quote(
                model, tokens_in, tokens_out, complexity, segment, rate_card, policy
            ).as_dict()
            for segment in SEGMENTS
        },
        "pricing_policy": policy.as_dict(),
    }
