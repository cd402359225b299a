"""Pricing policy versions (semantics §10.1): every change is a new, audited version."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from j1msky.errors import Conflict, InvalidInput
from j1msky.events import event_emit
from pricing import engine
from pricing.errors import engine_errors
from pricing.models import PricingPolicy
from pricing.selectors import pricing_policy_current
from security.models import ApiKey
from security.services import actor_of, audit_record

# --- policy -----------------------------------------------------------------------------------

# table -> (lowest, highest) accepted value
POLICY_BOUNDS: dict[str, tuple[Decimal, Decimal]] = {
    "complexity_markup": (Decimal("0.01"), Decimal(100)),
    "segment_adjustments": (Decimal(-100), Decimal(100)),
    "margin_thresholds": (Decimal(0), Decimal(100)),
    "margin_bands": (Decimal(0), Decimal(100)),
    "minimum_price": (Decimal(0), Decimal(1_000_000)),
}
MIN_FINAL_MARKUP = Decimal(1)


def _policy_number(value: Any, field: str, table: str) -> Decimal:
    low, high = POLICY_BOUNDS[table]
    number = engine.to_decimal(value, field, minimum=low, maximum=high)
    if number != number.quantize(Decimal("0.01")):
        raise engine.EngineError(field, f"{field} must have at most 2 decimal places")
    return number.quantize(Decimal("0.01"))


def _policy_merge(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in current.items()}
    for table, value in changes.items():
        if table == "minimum_price":
            merged[table] = _policy_number(value, table, table)
            continue
        if table not in PricingPolicy.TABLES:
            allowed = ", ".join([*PricingPolicy.TABLES, "minimum_price"])
            raise engine.EngineError(table, f"Unknown policy field {table}. Allowed: {allowed}")
        if not isinstance(value, dict):
            raise engine.EngineError(table, f"{table} must be an object")
        for key, number in value.items():
            if key not in PricingPolicy.TABLES[table]:
                allowed = ", ".join(PricingPolicy.TABLES[table])
                raise engine.EngineError(
                    f"{table}.{key}", f"Unknown key {table}.{key}. Allowed: {allowed}"
                )
            merged[table][key] = _policy_number(number, f"{table}.{key}", table)
    for complexity, markup in merged["complexity_markup"].items():
        for segment, adjustment in merged["segment_adjustments"].items():
            if markup + adjustment < MIN_FINAL_MARKUP:
                field = f"segment_adjustments.{segment}"
                raise engine.EngineError(
                    field,
                    f"complexity_markup.{complexity} + {field} is {markup + adjustment}; a final "
                    f"markup below {MIN_FINAL_MARKUP} would price under cost",
                )
    bands = merged["margin_bands"]
    if bands["healthy"] > bands["strong"]:
        raise engine.EngineError(
            "margin_bands.healthy", "margin_bands.healthy must not exceed margin_bands.strong"
        )
    return merged


def pricing_policy_validate(*, current: PricingPolicy, changes: dict[str, Any]) -> dict[str, Any]:
    """`current`'s values with `changes` applied, checked: bounds, 2 dp, every final markup
    (complexity + segment) at least 1, healthy band at most strong. Raises `InvalidInput`."""
    if not isinstance(changes, dict):
        raise InvalidInput("The policy must be an object")
    with engine_errors():
        return _policy_merge(current.values(), changes)


def _flatten(values: dict[str, Any]) -> dict[str, Decimal]:
    flat = {}
    for table, value in values.items():
        if isinstance(value, dict):
            flat.update({f"{table}.{key}": number for key, number in value.items()})
        else:
            flat[table] = value
    return flat


@transaction.atomic
def pricing_policy_update(
    *,
    actor=None,
    changes: dict[str, Any],
    note: str = "",
    expected_version: int | None = None,
    actor_key: ApiKey | None = None,
) -> tuple[PricingPolicy, bool]:
    """Apply `changes` (the tables and fields they name; the rest stay) as a new policy version.

    Returns `(policy, created)`; a change that changes nothing creates nothing. Every new version
    is audited (`config.change`) and emits `pricing.policy_changed`. `expected_version` (the
    version the caller edited) turns a concurrent edit into a 409 instead of a silent overwrite.
    """
    # Serialize writers on one fixed row (the first version; versions are never deleted), then
    # read the latest: a writer that waited sees the version the other one committed.
    PricingPolicy.objects.select_for_update().order_by("version").first()
    current = pricing_policy_current()
    if expected_version is not None and expected_version != current.version:
        raise Conflict(
            f"The policy is at version {current.version}, not {expected_version}",
            code="policy_version_conflict",
        )
    merged = pricing_policy_validate(current=current, changes=changes)
    before, after = _flatten(current.values()), _flatten(merged)
    diff = {
        field: (before[field], after[field]) for field in after if before[field] != after[field]
    }
    if not diff:
        return current, False
    columns = {
        column: merged[table][key]
        for table, keys in PricingPolicy.TABLES.items()
        for key, column in keys.items()
    }
    try:
        with transaction.atomic():
            policy = PricingPolicy.objects.create(
                version=current.version + 1,
                minimum_price=merged["minimum_price"],
                note=(note or "").strip()[:500],
                created_by=actor,
                **columns,
            )
    except IntegrityError:
        raise Conflict(
            "The policy changed while this change was applied; retry",
            code="policy_version_conflict",
        ) from None
    audit_record(
        event="config.change",
        owner=actor,
        api_key=actor_key,
        actor=actor_of(api_key=actor_key, user=actor),
        resource_type="pricing_policy",
        resource_id=f"v{policy.version}",
        details={
            "version": policy.version,
            "previous_version": current.version,
            "changes": {field: [str(old), str(new)] for field, (old, new) in diff.items()},
            "note": policy.note,
        },
    )
    event_emit(
        type="pricing.policy_changed",
        owner=actor,
        data={
            "version": policy.version,
            "previous_version": current.version,
            "changes": {field: {"from": old, "to": new} for field, (old, new) in diff.items()},
            "pricing_policy": policy.to_engine().as_dict(),
            "note": policy.note,
        },
    )
    return policy, True
