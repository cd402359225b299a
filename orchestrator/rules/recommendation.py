"""`POST /orchestrator/recommend-model` (semantics §8.2, ref table).

The walk, in order:

1. `preferred`: the first available model of the task type's preferred list;
2. `fallback`: else, for each preferred model in turn, the first available model along its
   fallback chain (the catalogue's; ref opus → sonnet → k2p5 → minimax-m2.5 → codex → sonnet),
   never visiting a model twice;
3. `default`: else sonnet, available or not.

If the choice does not fit the budget:

4. `budget_downgrade`: the first available model in the cost order that fits;
5. `no_model_fits`: else the first available model in the cost order (the choice itself counts
   last when it is not in the cost order), and `budget_available` is false;
6. `none_available`: else (no model is available at all) the choice stays, sonnet.

A model is available when it is enabled, its provider's window has a free slot and its
provider's breaker is closed (`model_available`). `fits(m)` ⇔ today_spend + reserved +
blended_rate(m) × estimated_tokens / 1000 ≤ budget, exact; a model without a rate never fits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .budget import BudgetFigures, budget_remaining
from .numbers import exact, round_cost

TASK_PREFERENCES: dict[str, tuple[str, ...]] = {
    "architecture": ("opus", "k2p5"),
    "strategy": ("opus",),
    "complex_reasoning": ("opus",),
    "implementation": ("sonnet", "minimax-m2.5"),
    "documentation": ("sonnet",),
    "coding": ("k2p5", "minimax-m2.5", "codex"),
    "fast_coding": ("minimax-m2.5", "k2p5"),
    "api_integration": ("codex", "k2p5"),
    "specialized_coding": ("codex",),
    "ui_design": ("sonnet", "minimax-m2.5"),
    "business_analysis": ("opus", "sonnet"),
}
DEFAULT_MODEL = "sonnet"
OTHER_TASKS = "other task types"  # how a reason names a task type outside the table
COST_ORDER = ("k2p5", "minimax-m2.5", "sonnet", "codex", "opus")
DEFAULT_ESTIMATED_TOKENS = 1000


class RecommendationPath(StrEnum):
    PREFERRED = "preferred"
    FALLBACK = "fallback"
    DEFAULT = "default"
    BUDGET_DOWNGRADE = "budget_downgrade"
    NO_MODEL_FITS = "no_model_fits"
    NONE_AVAILABLE = "none_available"


REASONS: dict[RecommendationPath, str] = {
    RecommendationPath.PREFERRED: "{model} is the first available preferred model for {task}",
    RecommendationPath.FALLBACK: (
        "No preferred model for {task} is available; {model} is the first available fallback"
        " of {preferred}"
    ),
    RecommendationPath.DEFAULT: (
        "No preferred model for {task} nor any fallback is available; defaulting to {model}"
    ),
    RecommendationPath.BUDGET_DOWNGRADE: (
        "{choice} would exceed the daily budget; {model} is the first available model in cost"
        " order that fits"
    ),
    RecommendationPath.NO_MODEL_FITS: (
        "No available model fits the daily budget; {model} is the first available model in"
        " cost order"
    ),
    RecommendationPath.NONE_AVAILABLE: (
        "No model is available and {model} does not fit the daily budget"
    ),
}


def model_available(*, enabled: bool, window_remaining: int, breaker_state: str) -> bool:
    """Enabled, a free slot in the provider's hourly window, and the breaker `closed` (§8.2).

    A half-open breaker is still recovering, so its models are not recommended.
    """
    return enabled and window_remaining > 0 and breaker_state == "closed"


@dataclass(frozen=True)
class ModelRoute:
    """One model alias as the recommendation sees it: its blended rate (USD per 1K tokens,
    rate card §10.1), whether it is available now, and its fallback in the catalogue."""

    alias: str
    blended_rate: Decimal
    available: bool
    fallback: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "blended_rate", exact(self.blended_rate, "blended_rate"))


@dataclass(frozen=True)
class Recommendation:
    recommended_model: str
    budget_available: bool
    daily_budget: Decimal
    today_spend: Decimal
    budget_remaining: Decimal
    reason: str
    path: RecommendationPath

    def as_dict(self) -> dict[str, Any]:
        """The response body, in the reference's key order plus `reason`."""
        return {
            "recommended_model": self.recommended_model,
            "budget_available": self.budget_available,
            "daily_budget": self.daily_budget,
            "today_spend": self.today_spend,
            "budget_remaining": self.budget_remaining,
            "reason": self.reason,
        }


def fallback_walk(model: str, routes: Mapping[str, ModelRoute]) -> Iterator[str]:
    """The models after `model` along its fallback chain, never one twice (§7.5)."""
    seen = {model}
    route = routes.get(model)
    while route is not None and route.fallback and route.fallback not in seen:
        seen.add(route.fallback)
        yield route.fallback
        route = routes.get(route.fallback)


def model_fits(route: ModelRoute | None, estimated_tokens: int, budget: BudgetFigures) -> bool:
    """today_spend + reserved + blended_rate × estimated_tokens / 1000 ≤ budget (exact)."""
    if route is None:
        return False
    cost = route.blended_rate * estimated_tokens / 1000
    return budget.committed + cost <= budget.daily_budget


def _choice(
    task_type: str, routes: Mapping[str, ModelRoute]
) -> tuple[str, RecommendationPath, str]:
    """Steps 1-3: `(model, path, the preferred model whose fallback it is, or "")`."""
    preferred = TASK_PREFERENCES.get(task_type, (DEFAULT_MODEL,))
    for model in preferred:
        if _available(model, routes):
            return model, RecommendationPath.PREFERRED, ""
    for model in preferred:
        for fallback in fallback_walk(model, routes):
            if _available(fallback, routes):
                return fallback, RecommendationPath.FALLBACK, model
    return DEFAULT_MODEL, RecommendationPath.DEFAULT, ""


def _available(model: str, routes: Mapping[str, ModelRoute]) -> bool:
    route = routes.get(model)
    return route is not None and route.available


def recommend_model(
    task_type: str,
    models: Sequence[ModelRoute],
    budget: BudgetFigures,
    estimated_tokens: int = DEFAULT_ESTIMATED_TOKENS,
) -> Recommendation:
    """The budget-aware recommendation (§8.2); see the module docstring for the walk."""
    if isinstance(estimated_tokens, bool) or not isinstance(estimated_tokens, int):
        raise ValueError("estimated_tokens must be an integer")
    if estimated_tokens < 0:
        raise ValueError("estimated_tokens must not be negative")
    routes = {route.alias: route for route in models}
    choice, path, preferred = _choice(task_type, routes)
    model = choice

    def fits(alias: str) -> bool:
        return model_fits(routes.get(alias), estimated_tokens, budget)

    if not fits(choice):
        order = COST_ORDER if choice in COST_ORDER else (*COST_ORDER, choice)
        available = [alias for alias in order if _available(alias, routes)]
        fitting = [alias for alias in available if fits(alias)]
        if fitting:
            model, path = fitting[0], RecommendationPath.BUDGET_DOWNGRADE
        elif available:
            model, path = available[0], RecommendationPath.NO_MODEL_FITS
        else:
            path = RecommendationPath.NONE_AVAILABLE
    task = task_type if task_type in TASK_PREFERENCES else OTHER_TASKS
    reason = REASONS[path].format(model=model, task=task, preferred=preferred, choice=choice)
    return Recommendation(
        recommended_model=model,
        budget_available=fits(model),
        daily_budget=round_cost(budget.daily_budget),
        today_spend=round_cost(budget.today_spend),
        budget_remaining=budget_remaining(budget),
        reason=reason,
        path=path,
    )
