"""Recording provider calls in tests: priced from the seeded rate card, as a run prices them."""

from __future__ import annotations

from agents.models import ModelAlias, Provider
from billing.services import ledger_record as billing_ledger_record


def ledger_record(*, model_alias: str, provider: str | None = None, **fields):
    """`billing.services.ledger_record` for a model alias of the catalogue (its provider and
    rates looked up), the way agents/runner.py records each call."""
    alias = ModelAlias.objects.get(pk=model_alias)
    return billing_ledger_record(
        model=alias.alias,
        provider=provider or alias.provider_id,
        input_rate=alias.input_rate,
        output_rate=alias.output_rate,
        **fields,
    )


def window_take(*, provider: str, **fields):
    """`billing.services.window_take` with the provider's hourly limit from the catalogue, as
    the agents app passes it."""
    from billing.services import window_take as billing_window_take

    provider_id = getattr(provider, "pk", provider)
    limit = Provider.objects.values_list("hourly_limit", flat=True).get(pk=provider_id)
    return billing_window_take(provider=provider_id, hourly_limit=limit, **fields)


def admission_reserve(*, provider_slots: dict[str, int], **fields):
    """`billing.services.admission_reserve` with each provider's limit from the catalogue."""
    from billing.services import WindowSlots
    from billing.services import admission_reserve as billing_admission_reserve

    limits = dict(Provider.objects.values_list("id", "hourly_limit"))
    windows = [WindowSlots(p, n, limits[p]) for p, n in provider_slots.items() if n]
    return billing_admission_reserve(windows=windows, **fields)
