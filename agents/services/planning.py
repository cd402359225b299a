"""Cost planning for a run (semantics §7.1): the estimate and the worst case a spawn reserves.

Input tokens are estimated as ⌈characters / 4⌉; the estimate expects 500 output tokens, the
worst case the run's `max_tokens`. A later team step also reads the review prompt and the
previous step's output (at most its `max_tokens`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from agents.models import ModelAlias
from j1msky.money import token_cost

EXPECTED_OUTPUT_TOKENS = 500
REVIEW_PROMPT = (
    "You are step {step} of {steps} in a team. Review the previous answer to the task below, "
    "fix its mistakes and improve it. Reply with the improved answer only.\n\n"
    "Task:\n{task}\n\nPrevious answer:\n{previous}"
)
REVIEW_PROMPT_TOKENS = math.ceil(
    len(REVIEW_PROMPT.format(step=9, steps=9, task="", previous="")) / 4
)


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _cost(tokens_in: int, tokens_out: int, alias: ModelAlias) -> Decimal:
    return token_cost(
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        input_rate=alias.input_rate,
        output_rate=alias.output_rate,
    )


@dataclass(frozen=True)
class Plan:
    """The models an admitted run will call, with its cost estimate and worst case."""

    models: list[ModelAlias]
    estimated_cost: Decimal
    worst_case: Decimal
    max_tokens: int

    @property
    def provider_calls(self) -> dict[str, int]:
        """Planned calls per provider id (a team: one per step, on each step's provider)."""
        calls: dict[str, int] = {}
        for alias in self.models:
            calls[alias.provider_id] = calls.get(alias.provider_id, 0) + 1
        return calls


def plan_costs(models: list[ModelAlias], task: str, max_tokens: int | None) -> Plan:
    """semantics §7.1: input ⌈chars/4⌉; estimate with 500 output tokens; worst case max_tokens.

    A later team step also reads the previous step's output (at most its max_tokens) and the
    review prompt, so its worst-case input grows by those.
    """
    task_tokens = estimate_tokens(task)
    estimated = Decimal(0)
    worst = Decimal(0)
    previous_max = 0
    for position, alias in enumerate(models):
        limit = max_tokens or alias.default_max_tokens
        extra_in = 0 if position == 0 else REVIEW_PROMPT_TOKENS + previous_max
        estimated += _cost(
            task_tokens + (0 if position == 0 else REVIEW_PROMPT_TOKENS + EXPECTED_OUTPUT_TOKENS),
            EXPECTED_OUTPUT_TOKENS,
            alias,
        )
        worst += _cost(task_tokens + extra_in, limit, alias)
        previous_max = limit
    return Plan(
        models=models,
        estimated_cost=estimated,
        worst_case=worst,
        max_tokens=max_tokens or models[0].default_max_tokens,
    )
