"""Admission across real processes: no overshoot, crash recovery, and state that survives restarts.

Every claim here runs against the database pytest created (SQLite file or PostgreSQL), from
child processes that set Django up themselves (tests/billing/children.py).
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from django.db.models import Min, Sum
from django.utils import timezone

from agents.models import Provider
from billing.models import BudgetDay, LedgerEntry, LedgerModelDay, ProviderWindow, Reservation
from billing.services import budget_reserve, budget_set, reservation_reap
from tests.processes import PYTHON, ROOT, gunicorn_server, subprocess_env

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("catalogue"),
]

WORKERS = 4
D = Decimal


def _start(command: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "tests.billing.children", command, *args],
        cwd=ROOT,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_workers(command: str, *args: str, timeout: float = 600) -> list[dict]:
    """Start WORKERS children together (they meet at file barriers); their JSON results."""
    procs = [
        _start(command, "--worker", str(i), "--workers", str(WORKERS), *args)
        for i in range(WORKERS)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err[-4000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _run_one(command: str, *args: str) -> dict:
    proc = _start(command, *args)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-4000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.slow
def test_200_concurrent_reservations_admit_exactly_37_every_time(tmp_path):
    """4 processes × 50 reservations of 0.10 against a 3.70 budget, 20 times: exactly 37.

    3.70 / 0.10 is also the case binary floats get wrong (37 × 0.1 > 3.7), so this proves the
    arithmetic is exact as well as atomic.
    """
    reps, per_worker = 20, 50
    budget_set(daily_budget=Decimal("3.70"))
    base = datetime(2031, 1, 1, 12, tzinfo=UTC)

    results = _run_workers(
        "reserve",
        *("--reps", str(reps), "--count", str(per_worker), "--amount", "0.10"),
        *("--base", base.replace(tzinfo=None).isoformat(), "--barrier", str(tmp_path)),
    )

    assert [r["errors"] for r in results] == [[]] * WORKERS
    for rep in range(reps):
        day = (base + timedelta(days=rep)).date()
        admitted = sum(r["admitted"][rep] for r in results)
        refused = sum(r["refused"][rep] for r in results)
        assert (admitted, refused) == (37, 163), f"repetition {rep}"
        # Counted from the database, not from what the children say.
        assert Reservation.objects.filter(day=day).count() == 37
        row = BudgetDay.objects.get(day=day)
        assert row.reserved == Decimal("3.7")
        assert row.spent == 0
        overshoot = row.reserved - row.limit
        assert overshoot == 0, f"repetition {rep} overshot by {overshoot}"
    # Every process got some of the admissions over the run: they really ran concurrently.
    assert all(sum(r["admitted"]) > 0 for r in results)


def test_per_key_budget_holds_under_concurrency(tmp_path, make_client):
    """The key's budget (2.50) binds before the global one (3.70): exactly 25 of 200."""
    client = make_client(["billing:read"], daily_budget=Decimal("2.5"))
    budget_set(daily_budget=Decimal("3.70"))
    base = datetime(2031, 6, 1, 12, tzinfo=UTC)

    results = _run_workers(
        "reserve",
        *("--count", "50", "--amount", "0.10", "--api-key", str(client.key.pk)),
        *("--base", base.replace(tzinfo=None).isoformat(), "--barrier", str(tmp_path)),
    )

    assert [r["errors"] for r in results] == [[]] * WORKERS
    assert sum(r["admitted"][0] for r in results) == 25
    assert Reservation.objects.filter(day=base.date(), api_key=client.key).count() == 25
    assert BudgetDay.objects.get(day=base.date()).reserved == Decimal("2.5")


@pytest.mark.slow
def test_2l_concurrent_window_takes_admit_exactly_l(tmp_path):
    """4 processes share 2L takes on a provider with limit L, in 5 different hours: L each."""
    limit, reps = 50, 5
    Provider.objects.filter(pk="anthropic").update(hourly_limit=limit)
    base = datetime(2031, 2, 1, 8, 30, tzinfo=UTC)

    results = _run_workers(
        "window",
        *("--reps", str(reps), "--count", str(2 * limit // WORKERS), "--provider", "anthropic"),
        *("--base", base.replace(tzinfo=None).isoformat(), "--barrier", str(tmp_path)),
    )

    assert [r["errors"] for r in results] == [[]] * WORKERS
    for rep in range(reps):
        assert sum(r["taken"][rep] for r in results) == limit
        assert sum(r["refused"][rep] for r in results) == limit
        start = (base + timedelta(hours=rep)).replace(minute=0)
        window = ProviderWindow.objects.get(provider="anthropic", window_start=start)
        assert (window.used, window.hourly_limit) == (limit, limit)


@pytest.mark.slow
def test_the_first_takes_of_a_new_window_are_never_refused_for_want_of_its_row(tmp_path):
    """4 processes open each of 20 fresh hours together, well under the limit: every take is
    admitted. A take that raced the row's creation once read the new row as a refusal."""
    reps = 20
    Provider.objects.filter(pk="anthropic").update(hourly_limit=1000)
    base = datetime(2031, 3, 1, 8, 30, tzinfo=UTC)

    results = _run_workers(
        "window",
        *("--reps", str(reps), "--count", "3", "--provider", "anthropic"),
        *("--base", base.replace(tzinfo=None).isoformat(), "--barrier", str(tmp_path)),
    )

    assert [r["errors"] for r in results] == [[]] * WORKERS
    assert [sum(r["refused"][rep] for r in results) for rep in range(reps)] == [0] * reps
    assert {w.used for w in ProviderWindow.objects.filter(window_start__gte=base)} == {3 * WORKERS}


def test_calls_recorded_while_another_process_settles_are_each_counted_once(tmp_path):
    """3 processes record calls against a reservation while a 4th settles it midway: calls
    before the settle are in its actual, calls after are charged directly; none lost or doubled.
    """
    reservation = budget_reserve(amount=D("5"))
    run = ("--reservation", str(reservation.pk), "--barrier", str(tmp_path))
    procs = [
        _start("record", "--worker", str(i), "--workers", "4", "--count", "10", *run)
        for i in range(3)
    ]
    procs.append(_start("settle_midway", "--worker", "3", "--workers", "4", *run))
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-4000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    actual = results[-1]["actual_micros"]

    reservation.refresh_from_db()
    day = BudgetDay.objects.get(day=reservation.day)
    entries = LedgerEntry.objects.filter(reservation=reservation)
    assert entries.count() == sum(r["recorded"] for r in results[:3])
    ledger = entries.aggregate(s=Sum("cost_micros"))["s"]
    assert reservation.state == Reservation.State.SETTLED
    assert reservation.actual_micros == actual == reservation.charged_micros
    assert 0 < actual < ledger  # settled midway: some calls came after it
    assert day.spent_micros == ledger
    assert day.reserved_micros == 0
    # The (day, model) rollup took every call of the three processes, once.
    rollup = LedgerModelDay.objects.get(day=reservation.day, model="sonnet")
    assert (rollup.calls, rollup.cost_micros) == (entries.count(), ledger)
    assert rollup.first_at == entries.aggregate(first=Min("created_at"))["first"]


def test_killed_holder_is_released_by_the_reaper_and_the_day_adds_up():
    lease = 30
    proc = _start("hold", "--amount", "1.00", "--lease", str(lease))
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()[-4000:]
        held = json.loads(line)
        proc.kill()  # SIGKILL between reserve and settle: no cleanup runs
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()

    reservation = Reservation.objects.get(pk=held["reservation"])
    day = BudgetDay.objects.get(day=reservation.day)
    assert reservation.state == Reservation.State.OPEN
    assert (day.spent, day.reserved) == (0, Decimal("1.00"))

    now = timezone.now()
    assert reservation_reap(now=now) == 0  # the lease is still running
    assert reservation_reap(now=reservation.lease_expires_at + timedelta(seconds=1)) == 1
    assert reservation_reap(now=reservation.lease_expires_at + timedelta(seconds=2)) == 0

    reservation.refresh_from_db()
    day.refresh_from_db()
    ledger = LedgerEntry.objects.filter(day=reservation.day).aggregate(s=Sum("cost_micros"))["s"]
    assert reservation.state == Reservation.State.RELEASED
    assert reservation.close_reason == "lease_expired"
    # The provider call it made before dying is still charged; the rest went back.
    assert reservation.actual == Decimal("0.018")  # 1000 × 0.003 + 1000 × 0.015, per 1K
    assert reservation.refund == Decimal("0.982")
    assert day.spent_micros == ledger
    assert day.reserved == 0
    assert not Reservation.objects.filter(day=reservation.day, state="open").exists()


def _wait_out_hour_boundary(margin: int = 90) -> None:
    """Keep a test that uses the real clock inside one hour (and so one budget day)."""
    now = datetime.now(UTC)
    to_next_hour = 3600 - (now.minute * 60 + now.second)
    if to_next_hour < margin:
        time.sleep(to_next_hour + 1)


def test_counters_survive_restarting_every_process(make_client):
    _wait_out_hour_boundary()
    client = make_client(["billing:read", "agents:read"], daily_budget=Decimal("5"))

    written = _run_one("workload", "--api-key", str(client.key.pk))  # that process is gone now
    fresh = _run_one("snapshot")  # a new process reads the rows
    assert fresh == written

    today = date.fromisoformat(written["days"][0][0])
    assert written["budget"] == {
        "daily_budget": "12.5000",
        # settled: k2p5 1234/567 → 0.0015, sonnet 89/1011 → 0.0154; codex 777/333 → 0.0036
        "today_spend": "0.0205",
        "reserved": "1.3333",
    }
    assert written["limits"]["kimi-coding"][0] == 5
    assert written["limits"]["minimax-portal"][0] == 3
    assert written["limits"]["openai-codex"][0] == 2
    assert written["key_days"][0][2:] == ["5000000", "20500", "1333300"]
    assert [r[1] for r in written["reservations"]] == ["settled", "released", "open"]

    def over_http(base: str) -> dict:
        headers = {"Authorization": f"Bearer {client.secret}"}
        budget = httpx.get(f"{base}/api/billing/budget", headers=headers, timeout=10).json()
        limits = httpx.get(f"{base}/api/rate-limits", headers=headers, timeout=10).json()
        return {"budget": budget, "limits": limits}

    with gunicorn_server(workers=1, threads=1) as base:
        first = over_http(base)
    with gunicorn_server(workers=2, threads=2) as base:  # every web process restarted
        second = over_http(base)

    assert first == second
    assert first["budget"]["daily_budget"] == 12.5
    assert first["budget"]["today_spend"] == 0.0205
    assert first["budget"]["reserved"] == 1.3333
    assert first["budget"]["key_budget"]["today_spend"] == 0.0205
    assert first["limits"]["limits"]["kimi-coding"]["used"] == 5
    assert _run_one("snapshot") == written
    assert today == BudgetDay.objects.get().day
