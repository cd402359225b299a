"""The rate card and the pricing policy (semantics §10.1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import EngineError, unsupported
from .numbers import round_money

COMPLEXITIES = ("low", "medium", "high")
SEGMENTS = ("enterprise", "mid_market", "smb", "startup")
DELIVERY_TYPES = ("task", "subscription", "enterprise")


@dataclass(frozen=True)
class ModelRate:
    """Dollars per 1K tokens; ``blended`` prices a single token count."""

    input: Decimal
    output: Decimal
    blended: Decimal


@dataclass(frozen=True)
class RateCard:
    """The models that can be quoted, in catalogue order (codex only while it is enabled)."""

    rates: Mapping[str, ModelRate]

    def rate(self, model: Any, *, where: str = "") -> ModelRate:
        """The model's rates; a model not on the card is ``Unsupported model{where}: …``."""
        if not isinstance(model, str) or model not in self.rates:
            raise EngineError("model", unsupported("model", model, where))
        return self.rates[model]


DEFAULT_RATE_CARD = RateCard(
    {
        "k2p5": ModelRate(Decimal("0.0005"), Decimal("0.0015"), Decimal("0.001")),
        "sonnet": ModelRate(Decimal("0.003"), Decimal("0.015"), Decimal("0.003")),
        "opus": ModelRate(Decimal("0.015"), Decimal("0.075"), Decimal("0.015")),
        "minimax-m2.5": ModelRate(Decimal("0.0001"), Decimal("0.0001"), Decimal("0.001")),
        "codex": ModelRate(Decimal("0.002"), Decimal("0.006"), Decimal("0.002")),
    }
)


def _table(table: Mapping[str, Decimal], keys: tuple[str, ...], field: str) -> dict[str, Decimal]:
    """The table in ``keys`` order; it must have exactly those keys."""
    if set(table) != set(keys):
        raise EngineError(field, f"{field} must have exactly the keys {', '.join(keys)}")
    return {key: table[key] for key in keys}


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
            object.__setattr__(self, name, _table(getattr(self, name), keys, name))
        if self.healthy_band_pct > self.strong_band_pct:
            raise EngineError(
                "healthy_band_pct", "healthy_band_pct must not exceed strong_band_pct"
            )

    def as_dict(self, form: str = "status") -> dict[str, Any]:
        """``status`` form (/pricing/status, report) or ``orchestrator`` form (min/target/max,
        the orchestrator status's ``pricing_policy``)."""
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
