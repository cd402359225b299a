"""Child processes for the billing concurrency and durability tests.

Run as `python -m tests.billing.children <command> [args]` with `tests.processes.subprocess_env()`
so the child uses the test database. Each command prints one JSON line with what it did.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import django


def _barrier(folder: Path, name: str, worker: int, workers: int) -> None:
    """Wait until all `workers` processes reached barrier `name` (files in a shared folder)."""
    (folder / f"{name}.w{worker}").touch()
    deadline = time.monotonic() + 60
    while len(list(folder.glob(f"{name}.w*"))) < workers:
        if time.monotonic() > deadline:
            raise TimeoutError(f"barrier {name} not reached")
        time.sleep(0.0005)


def reserve(args) -> dict:
    """Per repetition: wait for everyone, then try `count` reservations as fast as possible."""
    from billing.errors import BudgetExceeded
    from billing.services import budget_reserve
    from security.models import ApiKey

    key = ApiKey.objects.get(pk=args.api_key) if args.api_key else None
    base = datetime.fromisoformat(args.base).replace(tzinfo=UTC)
    admitted, refused, errors = [], [], []
    for rep in range(args.reps):
        now = base + timedelta(days=rep)
        ok = no = 0
        _barrier(Path(args.barrier), f"rep{rep}", args.worker, args.workers)
        for _ in range(args.count):
            try:
                budget_reserve(
                    amount=Decimal(args.amount), api_key=key, holder=f"w{args.worker}", now=now
                )
                ok += 1
            except BudgetExceeded:
                no += 1
            except Exception as exc:  # reported, and the test fails on any
                errors.append(f"{type(exc).__name__}: {exc}")
        admitted.append(ok)
        refused.append(no)
    return {"admitted": admitted, "refused": refused, "errors": errors}


def window(args) -> dict:
    from billing.errors import ProviderRateLimited
    from tests.ledger import window_take

    base = datetime.fromisoformat(args.base).replace(tzinfo=UTC)
    taken, refused, errors = [], [], []
    for rep in range(args.reps):
        now = base + timedelta(hours=rep)
        ok = no = 0
        _barrier(Path(args.barrier), f"rep{rep}", args.worker, args.workers)
        for _ in range(args.count):
            try:
                window_take(provider=args.provider, now=now)
                ok += 1
            except ProviderRateLimited:
                no += 1
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
        taken.append(ok)
        refused.append(no)
    return {"taken": taken, "refused": refused, "errors": errors}


def hold(args) -> None:
    """Reserve, record one provider call against it, say so, then hang until killed."""
    from tests.ledger import admission_reserve, ledger_record

    reservation = admission_reserve(
        owner=None,
        api_key=None,
        amount=Decimal(args.amount),
        provider_slots={"anthropic": 1},
        holder=f"pid:{os.getpid()}",
        lease_seconds=args.lease,
    )
    ledger_record(
        owner=None,
        api_key=None,
        model_alias="sonnet",
        input_tokens=1000,
        output_tokens=1000,
        reservation=reservation,
    )
    print(json.dumps({"reservation": reservation.pk, "pid": os.getpid()}), flush=True)
    time.sleep(600)


def record(args) -> dict:
    """Record provider calls against `--reservation` until it has been closed, then `count`
    more (so some land before and some after the close, however the processes interleave)."""
    from billing.models import Reservation
    from tests.ledger import ledger_record

    reservation = Reservation.objects.get(pk=args.reservation)
    _barrier(Path(args.barrier), "start", args.worker, args.workers)
    recorded, after_close = 0, 0
    while after_close < args.count and recorded < 5000:
        ledger_record(
            owner=None,
            api_key=None,
            model_alias="sonnet",
            input_tokens=100 + recorded,
            output_tokens=7 * recorded,
            reservation=reservation,
        )
        recorded += 1
        if after_close or not Reservation.objects.filter(pk=reservation.pk, state="open").exists():
            after_close += 1
    return {"recorded": recorded}


def settle_midway(args) -> dict:
    """Settle `--reservation` as soon as some calls were charged to it, while others record."""
    from billing.models import Reservation
    from billing.services import budget_settle

    _barrier(Path(args.barrier), "start", args.worker, args.workers)
    deadline = time.monotonic() + 60
    while not Reservation.objects.filter(pk=args.reservation, charged_micros__gt=0).exists():
        if time.monotonic() > deadline:
            raise TimeoutError("nothing was charged")
        time.sleep(0.001)
    settled = budget_settle(reservation=Reservation.objects.get(pk=args.reservation))
    return {"actual_micros": settled.actual_micros}


def snapshot(args) -> dict:
    """Every billing counter as rows say, plus what the selectors derive from them."""
    from agents.selectors import provider_limits
    from billing.models import BudgetDay, BudgetSetting, KeyBudgetDay, ProviderWindow, Reservation
    from billing.selectors import budget_status, provider_window_list

    def rows(queryset, *fields):
        return [[str(v) for v in row] for row in queryset.values_list(*fields)]

    status = budget_status()
    return {
        "setting": rows(BudgetSetting.objects.order_by("pk"), "daily_budget_micros"),
        "days": rows(
            BudgetDay.objects.order_by("day"),
            "day",
            "limit_micros",
            "spent_micros",
            "reserved_micros",
        ),
        "key_days": rows(
            KeyBudgetDay.objects.order_by("api_key_id", "day"),
            "api_key_id",
            "day",
            "limit_micros",
            "spent_micros",
            "reserved_micros",
        ),
        "reservations": rows(
            Reservation.objects.order_by("pk"),
            "pk",
            "state",
            "amount_micros",
            "charged_micros",
            "actual_micros",
            "lease_expires_at",
        ),
        "windows": rows(
            ProviderWindow.objects.order_by("provider", "window_start"),
            "provider",
            "window_start",
            "used",
            "hourly_limit",
        ),
        "budget": {
            "daily_budget": str(status.daily_budget),
            "today_spend": str(status.today_spend),
            "reserved": str(status.reserved),
        },
        "limits": {
            w.provider: [w.used, w.limit] for w in provider_window_list(providers=provider_limits())
        },
    }


def workload(args) -> dict:
    """A little of everything: a budget change, reservations settled, released and left open,
    ledger rows with and without a reservation, and provider window slots."""
    from billing.services import budget_release, budget_set, budget_settle
    from security.models import ApiKey
    from tests.ledger import admission_reserve, ledger_record, window_take

    key = ApiKey.objects.get(pk=args.api_key)
    budget_set(daily_budget=Decimal("12.5"))
    settled = admission_reserve(
        owner=key.owner,
        api_key=key,
        amount=Decimal("0.5"),
        provider_slots={"kimi-coding": 1, "anthropic": 1},
        holder="workload",
        lease_seconds=3600,
    )
    for alias, tokens_in, tokens_out in (("k2p5", 1234, 567), ("sonnet", 89, 1011)):
        ledger_record(
            owner=key.owner,
            api_key=key,
            model_alias=alias,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            reservation=settled,
        )
    budget_settle(reservation=settled)
    released = admission_reserve(
        owner=key.owner,
        api_key=key,
        amount=Decimal("0.25"),
        provider_slots={"openai-codex": 2},
        holder="workload",
        lease_seconds=3600,
    )
    budget_release(reservation=released)
    admission_reserve(
        owner=key.owner,
        api_key=key,
        amount=Decimal("1.3333"),
        provider_slots={"minimax-portal": 3},
        holder="workload",
        lease_seconds=3600,
    )
    ledger_record(
        owner=key.owner, api_key=key, model_alias="codex", input_tokens=777, output_tokens=333
    )
    window_take(provider="kimi-coding", n=4)
    return snapshot(args)


COMMANDS = {
    "record": record,
    "reserve": reserve,
    "settle_midway": settle_midway,
    "window": window,
    "hold": hold,
    "snapshot": snapshot,
    "workload": workload,
}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--worker", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--amount", default="0.1")
    parser.add_argument("--base", default="2031-01-01T12:00:00")
    parser.add_argument("--barrier", default=".")
    parser.add_argument("--provider", default="anthropic")
    parser.add_argument("--api-key", type=int, default=0)
    parser.add_argument("--lease", type=int, default=60)
    parser.add_argument("--reservation", type=int, default=0)
    args = parser.parse_args(argv)
    django.setup()
    result = COMMANDS[args.command](args)
    if result is not None:
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
