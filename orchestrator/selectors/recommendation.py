"""`POST /orchestrator/recommend-model` (semantics §8.2): the catalogue as the rule sees it.

Every model alias of the catalogue, enabled or not (a disabled one is unavailable, and the
fallback walk goes on through it), with its blended rate, whether it is available now (enabled,
a free slot in its provider's window, the breaker closed) and its fallback.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from agents.catalogue import breaker_reported_state
from agents.models import ModelAlias
from orchestrator.rules import ModelRoute, Recommendation, model_available, recommend_model
from orchestrator.selectors.usage import budget_today, provider_windows


def model_routes(*, now: datetime) -> list[ModelRoute]:
    remaining = {w.provider: max(w.limit - w.used, 0) for w in provider_windows(now=now)}
    aliases = ModelAlias.objects.select_related("provider").order_by("position", "alias")
    states: dict[str, str] = {}
    routes = []
    for alias in aliases:
        if alias.provider_id not in states:
            states[alias.provider_id] = breaker_reported_state(alias.provider, now=now)
        available = model_available(
            enabled=alias.enabled,
            window_remaining=remaining.get(alias.provider_id, 0),
            breaker_state=states[alias.provider_id],
        )
        routes.append(
            ModelRoute(
                alias=alias.alias,
                blended_rate=alias.blended_rate,
                available=available,
                fallback=alias.fallback_id,
            )
        )
    return routes


def model_recommendation(
    *, task_type: str, estimated_tokens: int, now: datetime | None = None
) -> Recommendation:
    now = now or timezone.now()
    _, figures = budget_today(now=now)
    return recommend_model(task_type, model_routes(now=now), figures, estimated_tokens)
