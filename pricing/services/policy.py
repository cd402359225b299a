"""Pricing policy versions (semantics §10.1): every change is a new, audited version."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from j1msky.errors import Conflict, InvalidInput
from j1msky.events import event_emit
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
CENT = Decimal("0.01")


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, details={field: [message]})


def _policy_number(number: Decimal, field: str, table: str) -> Decimal:
    low, high = POLICY_BOUNDS[table]
    if not low <= number <= high:
        raise _invalid(field, f"{field} must be between {low} and {high}")
    if number != number.quantize(CENT):
        raise _invalid(field, f"{field} must have at most 2 decimal places")
    return number.quantize(CENT)


def _policy_merge(current: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`current` with the changed tables' keys and the minimum price replaced."""
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in current.items()}
    for table, value in changes.items():
        if table == "minimum_price":
            merged[table] = _policy_number(value, table, table)
            continue
        for key, number in value.items():
            merged[table][key] = _policy_number(number, f"{table}.{key}", table)
    return merged


def _policy_check(merged: dict[str, Any]) -> None:
    """Every final markup (complexity + segment) at least 1; healthy band at most strong."""
    for complexity, markup in merged["complexity_markup"].items():
        for segment, adjustment in merged["segment_adjustments"].items():
            if markup + adjustment < MIN_FINAL_MARKUP:
                field = f"segment_adjustments.{segment}"
                raise _invalid(
                    field,
                    f"complexity_markup.{complexity} + {field} is {markup + adjustment}; a final "
                    f"markup below {MIN_FINAL_MARKUP} would price under cost",
                )
    bands = merged["margin_bands"]
    if bands["healthy"] > bands["strong"]:
        raise _invalid(
            "margin_bands.healthy", "margin_bands.healthy must not exceed margin_bands.strong"
        )


def pricing_policy_validate(
    *, current: PricingPolicy, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """`current`'s values with `changes` applied, checked: bounds, 2 dp, every final markup
    (complexity + segment) at least 1, healthy band at most strong. Raises `InvalidInput`.

    `changes` holds Decimals: `minimum_price` and, per table it changes, the changed keys
    (`{"complexity_markup": {"high": Decimal("6")}}`); the API and the admin check the shape."""
    merged = _policy_merge(current.values(), changes)
    _policy_check(merged)
    return merged


def _flatten(values: dict[str, Any]) -> dict[str, Decimal]:
    flat = {}
    for table, value in values.items():
        if isinstance(value, dict):
            flat.update({f"{table}.{key}": number for key, number in value.items()})
        else:
            flat[table] = value
    return flat


def _policy_version_create(
    *, current: PricingPolicy, merged: dict[str, Any], note: str, actor
) -> PricingPolicy:
    columns = {
        column: merged[table][key]
        for table, keys in PricingPolicy.TABLES.items()
        for key, column in keys.items()
    }
    try:
        with transaction.atomic():
            return PricingPolicy.objects.create(
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


def _policy_change_record(
    *,
    policy: PricingPolicy,
    previous: PricingPolicy,
    diff: dict[str, tuple[Decimal, Decimal]],
    actor,
    actor_key: ApiKey | None,
) -> None:
    """The audit row (`config.change`) and the `pricing.policy_changed` event of a version."""
    audit_record(
        event="config.change",
        owner=actor,
        api_key=actor_key,
        actor=actor_of(api_key=actor_key, user=actor),
        resource_type="pricing_policy",
        resource_id=f"v{policy.version}",
        details={
            "version": policy.version,
            "previous_version": previous.version,
            "changes": {field: [str(old), str(new)] for field, (old, new) in diff.items()},
            "note": policy.note,
        },
    )
    event_emit(
        type="pricing.policy_changed",
        owner=actor,
        data={
            "version": policy.version,
            "previous_version": previous.version,
            "changes": {field: {"from": old, "to": new} for field, (old, new) in diff.items()},
            "pricing_policy": policy.to_engine().as_dict(),
            "note": policy.note,
        },
    )


@transaction.atomic
def pricing_policy_update(
    *,
    actor=None,
    changes: Mapping[str, Any],
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
    policy = _policy_version_create(current=current, merged=merged, note=note, actor=actor)
    _policy_change_record(
        policy=policy, previous=current, diff=diff, actor=actor, actor_key=actor_key
    )
    return policy, True
