"""Faults, on real processes: after each, no job stuck, no charge doubled or lost, no event lost.

- A Celery worker killed with SIGKILL mid-run is proven elsewhere, not repeated here:
  `tests/agents/test_worker.py::test_killed_worker_leaves_no_agent_running_and_no_double_charge`
  (and its pool-process twin), and mid-burst in
  `tests/agents/test_burst.py::test_a_worker_killed_mid_burst_leaves_nothing_stuck`.
- Provider replies that hang, reset the connection or are garbage are classified by the adapters
  in `tests/agents/test_providers.py`; here they reach a real worker, in one run after another.
- A web process killed mid-request, Redis restarted empty, PostgreSQL stopped in `immediate` mode
  (a crash: no checkpoint, recovery from the WAL) and started again.

`books()` is what every test checks at the end, read from the database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import psutil
import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from agents.models import Agent, KeyConcurrency
from billing.models import BudgetDay, LedgerEntry, Reservation
from j1msky.models import Event, IdempotencyRecord
from tests.agents.test_worker import provider_env
from tests.fakeprovider import drop, hang, malformed, ok, reset, slow
from tests.processes import (
    BIN,
    celery_beat,
    celery_worker,
    free_port,
    gunicorn_server,
    process_stop,
    run_python,
    subprocess_env,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TERMINAL = ("completed", "failed", "cancelled")


def books(agent_ids: list[str]) -> dict:
    """Everything the faults must not break, for these agents and the day, from the database:
    their states, ledger rows and events; the day's money; what is still held."""
    agents = dict(Agent.objects.filter(agent_id__in=agent_ids).values_list("agent_id", "status"))
    errors = dict(
        Agent.objects.filter(agent_id__in=agent_ids, status="failed").values_list(
            "agent_id", "error_type"
        )
    )
    rows = dict(
        LedgerEntry.objects.filter(agent_id__in=agent_ids)
        .values("agent_id")
        .annotate(n=Count("pk"))
        .values_list("agent_id", "n")
    )
    events: dict[str, list[str]] = {a: [] for a in agent_ids}
    for agent_id, kind in (
        Event.objects.filter(agent_id__in=agent_ids).order_by("id").values_list("agent_id", "type")
    ):
        events[agent_id].append(kind)
    ledger = LedgerEntry.objects.aggregate(s=Sum("cost_micros"))["s"] or 0
    days = list(BudgetDay.objects.values_list("reserved_micros", "spent_micros"))
    return {
        "status": agents,
        "errors": errors,
        "ledger_rows": rows,
        "events": events,
        "ledger_micros": ledger,
        "days": days,
        "open_reservations": Reservation.objects.filter(state="open").count(),
        "key_slots": sorted(set(KeyConcurrency.objects.values_list("running", "waiting"))),
    }


def assert_books_balance(b: dict, agent_ids: list[str]) -> None:
    """Every agent known and terminal, each with its lifecycle's events once and in order; the
    day's spend is the ledger's sum and nothing is left reserved or holding a slot."""
    assert set(b["status"]) == set(agent_ids)
    assert set(b["status"].values()) <= set(TERMINAL), b["status"]
    for agent_id, status in b["status"].items():
        types = b["events"][agent_id]
        assert types[0] == "agent.spawned" and types[-1] == f"agent.{status}", (agent_id, types)
        assert types[1:-1] in ([], ["agent.running"]), (agent_id, types)
    assert [spent for _, spent in b["days"]] == [b["ledger_micros"]] or (
        b["days"] == [] and b["ledger_micros"] == 0
    )
    assert [reserved for reserved, _ in b["days"]] in ([0], [])
    assert b["open_reservations"] == 0
    assert b["key_slots"] in ([], [[0, 0]], [(0, 0)])


def spawn(base: str, secret: str, task: str, **extra) -> httpx.Response:
    headers = {"Authorization": f"Bearer {secret}", **extra.pop("headers", {})}
    body = {"task": task, "model": "k2p5", "fallback": False, **extra}
    return httpx.post(f"{base}/api/v1/spawn", json=body, headers=headers, timeout=60)


def calls_per_task(fake, tasks: list[str]) -> Counter:
    """How many provider requests carried each task (as its prompt)."""
    seen: Counter = Counter()
    for request in fake.requests:
        raw = request.raw_body.decode()
        for task in tasks:
            if task in raw:
                seen[task] += 1
    return seen


# --- a web process killed mid-request -----------------------------------------------------------


def test_a_web_process_killed_mid_spawn_gives_one_agent_and_one_charge(make_client, live_providers):
    """The spawn is held inside its transaction (the test holds the day's budget row on
    PostgreSQL, the write lock on SQLite), and the gunicorn worker serving it is killed. The
    client sees the connection drop; nothing of the request was committed but, on PostgreSQL,
    its idempotency claim. A retry with the same key is refused 409 while the claim is fresh,
    is admitted once the claim is stale, and replays from then on: one agent, one charge."""
    writer = make_client(["agents:read", "agents:write"])
    env = subprocess_env(**provider_env(live_providers))
    key = "killed-web-1"
    with (
        gunicorn_server(workers=1, threads=4, env=env) as base,
        celery_worker(env=env, concurrency=1, name="web-kill"),
    ):
        first = spawn(base, writer.secret, "before the kill")
        assert first.status_code == 201, first.content
        outcome: dict = {}

        def doomed() -> None:
            try:
                outcome["response"] = spawn(
                    base, writer.secret, "killed mid-request", headers={"Idempotency-Key": key}
                )
            except httpx.TransportError as exc:
                outcome["error"] = exc

        (web_worker,) = psutil.Process(base.proc.pid).children()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                BudgetDay.objects.select_for_update().get()
            else:  # an IMMEDIATE transaction holds SQLite's write lock
                Agent.objects.filter(pk=first.json()["agent_id"]).update(metadata={})
            client = threading.Thread(target=doomed)
            client.start()
            if connection.vendor == "postgresql":
                wait_for(lambda: IdempotencyRecord.objects.filter(key=key).exists())
            time.sleep(1.0)  # well inside the request: it waits for the lock
            web_worker.kill()
            client.join(timeout=30)
        assert "error" in outcome, outcome  # the client saw the connection drop, no answer
        assert Agent.objects.filter(owner=writer.user).count() == 1

        # A new web worker replaces it; the retry either meets the fresh claim or takes it.
        def retry() -> httpx.Response:
            return spawn(
                base, writer.secret, "killed mid-request", headers={"Idempotency-Key": key}
            )

        again = wait_for(lambda: _answered(retry), timeout=30, message="a new web worker")
        if connection.vendor == "postgresql":
            assert again.status_code == 409, again.content
            assert again.json()["error"]["type"] == "idempotency_key_in_use"
        if again.status_code == 409:
            # The claim's request is dead: once it is older than STALE_CLAIM it is taken over.
            IdempotencyRecord.objects.filter(key=key).update(
                claimed_at=timezone.now() - timedelta(minutes=6)
            )
            again = retry()
        assert again.status_code == 201, again.content
        replay = retry()
        assert replay.status_code == 201 and replay.headers["Idempotency-Replayed"] == "true"
        assert replay.json()["agent_id"] == again.json()["agent_id"]

        ids = [first.json()["agent_id"], again.json()["agent_id"]]
        wait_for(
            lambda: Agent.objects.filter(agent_id__in=ids, status="completed").count() == 2,
            timeout=30,
            message="both agents completed",
        )
    assert Agent.objects.filter(owner=writer.user).count() == 2
    b = books(ids)
    assert_books_balance(b, ids)
    assert b["ledger_rows"] == {ids[0]: 1, ids[1]: 1}
    assert calls_per_task(live_providers, ["before the kill", "killed mid-request"]) == {
        "before the kill": 1,
        "killed mid-request": 1,
    }


def _answered(send) -> httpx.Response | None:
    try:
        return send()
    except httpx.TransportError:
        return None


# --- provider faults at a real worker -----------------------------------------------------------


def test_provider_faults_on_a_real_worker_end_every_run_and_charge_what_was_used(
    make_client, live_providers
):
    """One worker process runs five agents in turn against a provider that resets the
    connection, cuts a stream midway, answers garbage and hangs: transient faults are retried
    (each attempt charged for what it used), permanent ones fail, the hang ends at the run's
    timeout. Every run ends, the books balance."""
    writer = make_client(["agents:read", "agents:write"])
    live_providers.enqueue(
        reset(),  # 1: transient, retried:
        ok("after the reset", input_tokens=10, output_tokens=20),
        drop("x" * 200, after_chunks=5, input_tokens=30),  # 2: cut midway, retried:
        ok("after the drop", input_tokens=10, output_tokens=20),
        malformed(),  # 3: permanent
        hang(seconds=60),  # 4: nothing comes back until the timeout
        hang(after_headers=True, seconds=60),  # 5: the stream starts, then silence
    )
    env = subprocess_env(**provider_env(live_providers))
    tasks = [f"provider fault {n}" for n in range(1, 6)]
    with celery_worker(env=env, concurrency=1, name="faulty-provider"):
        ids = []
        for task in tasks:  # one after another: the worker meets the faults in this order
            response = writer.post(
                "/api/v1/spawn",
                {"task": task, "model": "k2p5", "fallback": False, "timeout": 10},
                format="json",
            )
            assert response.status_code == 201, response.content
            ids.append(response.json()["agent_id"])
        started = time.monotonic()
        wait_for(
            lambda: Agent.objects.filter(agent_id__in=ids, status__in=TERMINAL).count() == 5,
            timeout=60,
            message="every run ended",
        )
        took = time.monotonic() - started

    b = books(ids)
    assert_books_balance(b, ids)
    status = [b["status"][a] for a in ids]
    errors = [b["errors"].get(a) for a in ids]
    assert status == ["completed", "completed", "failed", "failed", "failed"], (status, errors)
    assert errors[2:] == ["provider_error", "timeout", "timeout"]
    results = dict(Agent.objects.filter(agent_id__in=ids).values_list("agent_id", "result"))
    assert (results[ids[0]], results[ids[1]]) == ("after the reset", "after the drop")
    # Provider requests per run: the reset and the cut were retried once; the others once.
    assert [calls_per_task(live_providers, tasks)[t] for t in tasks] == [2, 2, 1, 1, 1]
    # Ledger rows: the reset reached no answer (nothing to charge), then its retry; the cut
    # stream's tokens, then the retry's; the garbage reply reported nothing; each hang is
    # charged for the prompt it sent (estimated: the provider never reported usage).
    rows = [b["ledger_rows"].get(a, 0) for a in ids]
    assert rows == [1, 2, 0, 1, 1], rows
    cut = LedgerEntry.objects.filter(agent_id=ids[1]).order_by("id").first()
    # The OpenAI wire reports usage only at the end: what arrived is counted (estimated).
    assert cut.input_tokens > 0 and cut.output_tokens > 0
    assert took < 40, took
    print(f"\nprovider faults: 5 runs ended in {took:.1f} s; ledger rows {rows}")


# --- Redis restarted empty ----------------------------------------------------------------------


@contextmanager
def redis_server(port: int, directory: Path):
    """A throwaway redis-server on 127.0.0.1:port, no persistence: a restart is a flush."""
    proc = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""),
            *("--appendonly", "no", "--dir", str(directory), "--loglevel", "warning"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        wait_for(lambda: _pings(client), timeout=10, message="redis-server up")
        proc.client = client
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _pings(client) -> bool:
    import redis

    try:
        return client.ping()
    except redis.ConnectionError:
        return False


@pytest.mark.postgres_only  # Redis is the broker of the scaled-out deployment, on PostgreSQL
@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")
def test_redis_restarted_empty_loses_no_agent_and_no_charge(make_client, live_providers, tmp_path):
    """Redis is the broker, the cache and the rate counters. Killed (SIGKILL) and started again
    empty twice: while two runs stream (they finish, charged once), and while six agents wait
    with their run messages in Redis and no worker runs. A new worker alone leaves those six
    waiting (their messages are gone); the beat's reaper sends new ones and they run, once each.
    Spawns after the restarts work at once."""
    writer = make_client(["agents:read", "agents:write"])
    port = free_port()
    env = subprocess_env(
        **provider_env(live_providers),
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        J1MSKY_REAPER_SECONDS="1",
        J1MSKY_REQUEUE_AFTER_SECONDS="2",
    )
    live_providers.enqueue(slow("r" * 120, chunk_delay=0.1), slow("r" * 120, chunk_delay=0.1))
    tasks: list[str] = []

    def spawned(base: str, n: int) -> list[str]:
        ids = []
        for _ in range(n):
            tasks.append(f"redis fault {len(tasks)}")
            response = spawn(base, writer.secret, tasks[-1])
            assert response.status_code == 201, response.content
            ids.append(response.json()["agent_id"])
        return ids

    t0 = time.monotonic()
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        marks[name] = round(time.monotonic() - t0, 1)

    redis = redis_server(port, tmp_path)
    server = redis.__enter__()
    try:
        with gunicorn_server(workers=1, threads=4, env=env) as base:
            # 1. Two runs stream while Redis dies and comes back empty.
            with celery_worker(env=env, concurrency=2, name="redis-a"):
                mark("worker a up")
                running = spawned(base, 2)
                wait_for(lambda: sum(r.chunks_sent > 3 for r in live_providers.requests) == 2)
                redis.__exit__(None, None, None)
                redis = redis_server(port, tmp_path)
                server = redis.__enter__()
                wait_for(
                    lambda: (
                        Agent.objects.filter(agent_id__in=running, status="completed").count() == 2
                    ),
                    timeout=30,
                    message="the two runs completed across the restart",
                )
            # 2. Six agents wait, their messages in Redis, no worker; Redis dies again.
            mark("two runs done")
            waiting = spawned(base, 6)
            assert server.client.llen("celery") == 6
            redis.__exit__(None, None, None)
            redis = redis_server(port, tmp_path)
            server = redis.__enter__()
            assert server.client.llen("celery") == 0
            with celery_worker(env=env, concurrency=2, name="redis-b"):
                time.sleep(3)  # a worker with nothing to consume: the six stay waiting
                mark("stranded checked")
                assert set(
                    Agent.objects.filter(agent_id__in=waiting).values_list("status", flat=True)
                ) == {"spawning"}
                with celery_beat(env=env, schedule=tmp_path / "beat-schedule"):
                    wait_for(
                        lambda: (
                            Agent.objects.filter(agent_id__in=waiting, status="completed").count()
                            == 6
                        ),
                        timeout=45,
                        message="the reaper's new messages ran the six",
                    )
                # 3. A spawn after the restarts runs at once on its own message.
                mark("six requeued")
                after = spawned(base, 2)
                wait_for(
                    lambda: (
                        Agent.objects.filter(agent_id__in=after, status="completed").count() == 2
                    ),
                    timeout=20,
                    message="spawns after the restart run",
                )
    finally:
        redis.__exit__(None, None, None)

    mark("end")
    print(f"\nredis restarts: {marks}")
    ids = running + waiting + after
    b = books(ids)
    assert_books_balance(b, ids)
    assert set(b["status"].values()) == {"completed"}
    assert b["ledger_rows"] == dict.fromkeys(ids, 1)
    assert dict(calls_per_task(live_providers, tasks)) == dict.fromkeys(tasks, 1)


# --- PostgreSQL stopped in immediate mode -------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@contextmanager
def own_postgres_cluster():
    """A fresh cluster in a temporary directory on a free port, run by the `postgres` system
    user when the tests run as root (PostgreSQL refuses to run as root). Yields (pg_ctl, data
    directory, port, the command prefix that runs as that user)."""
    bindir = _pg_bin()
    assert bindir is not None
    root = Path(tempfile.mkdtemp(prefix="j1msky-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    run = lambda *cmd: subprocess.run(  # noqa: E731
        [*as_user, *cmd], check=True, capture_output=True, text=True, timeout=120
    )
    run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
    pg_ctl = lambda *args: run(str(bindir / "pg_ctl"), "-D", str(data), "-w", *args)  # noqa: E731
    pg_ctl("-o", opts, "-l", str(root / "log"), "start")
    try:
        yield pg_ctl, opts, root, port
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.postgres_only
@pytest.mark.skipif(_pg_bin() is None, reason="needs PostgreSQL's initdb and pg_ctl")
def test_postgres_stopped_immediately_and_restarted_loses_no_agent_and_no_charge(
    make_client, live_providers
):
    """The test database is copied into a cluster of its own; a web server and a worker run on
    it. PostgreSQL is stopped in `immediate` mode (no shutdown checkpoint: a crash) while two
    runs stream and four agents wait, kept down for two seconds, and started again (recovery
    from the WAL). Requests during the outage are refused, never half-done; afterwards every
    agent ends, each run's charge is recorded once, and the books balance."""
    writer = make_client(["agents:read", "agents:write"])
    with own_postgres_cluster() as (pg_ctl, opts, root, port):
        db = connection.settings_dict
        dump = subprocess.run(
            [
                *(str(_pg_bin() / "pg_dump"), "-h", db["HOST"] or "127.0.0.1"),
                *("-p", str(db["PORT"] or 5432), "-U", db["USER"] or "postgres"),
                *("--no-owner", db["NAME"]),
            ],
            env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
            check=True,
            capture_output=True,
            timeout=120,
        ).stdout
        psql = [str(_pg_bin() / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-q"]
        subprocess.run([*psql, "-c", "CREATE DATABASE j1msky"], check=True, capture_output=True)
        subprocess.run(
            [*psql, "-d", "j1msky", "-v", "ON_ERROR_STOP=1"],
            input=dump,
            check=True,
            capture_output=True,
            timeout=120,
        )
        env = subprocess_env(
            **provider_env(live_providers),
            J1MSKY_REAPER_SECONDS="1",
            J1MSKY_REQUEUE_AFTER_SECONDS="2",
            J1MSKY_WORKER_LOST_AFTER_SECONDS="5",
        )
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{port}/j1msky"
        live_providers.enqueue(*[slow("p" * 160, chunk_delay=0.05) for _ in range(2)])
        tasks = [f"postgres fault {n}" for n in range(8)]
        with (
            gunicorn_server(workers=1, threads=4, env=env) as base,
            _worker_on(env, port) as _,
            celery_beat(env=env, schedule=root / "beat-schedule"),
        ):
            ids = []
            for task in tasks[:6]:
                response = spawn(base, writer.secret, task)
                assert response.status_code == 201, response.content
                ids.append(response.json()["agent_id"])
            wait_for(lambda: sum(r.chunks_sent > 3 for r in live_providers.requests) >= 2)
            pg_ctl("-m", "immediate", "stop")
            during = [_status_or_error(lambda: spawn(base, writer.secret, "during the outage"))]
            time.sleep(2)
            pg_ctl("-o", opts, "-l", str(root / "log"), "start")
            for task in tasks[6:]:
                response = wait_for(
                    lambda task=task: _created(spawn(base, writer.secret, task)),
                    timeout=30,
                    message="spawns work again",
                )
                ids.append(response.json()["agent_id"])
            last: list[dict] = []
            try:
                b = wait_for(lambda: _settled(env, ids, last), timeout=90, interval=1)
            except AssertionError:
                raise AssertionError(f"not every agent ended: {last}") from None
    assert_books_balance(b, ids)
    assert all(code in (500, 503) or code == "error" for code in during), during
    print(f"\npostgres restart: statuses {Counter(b['status'].values())}, during {during}")
    calls = calls_per_task(live_providers, tasks)
    for agent_id, task in zip(ids, tasks, strict=True):
        # Every provider call the run made is in the ledger, once.
        assert calls[task] == b["ledger_rows"].get(agent_id, 0), (task, b["status"][agent_id])
    assert "during the outage" not in calls


@contextmanager
def _worker_on(env, port):
    """A worker whose start is confirmed on the other cluster (celery_worker looks in the test
    database for its heartbeat)."""
    proc = subprocess.Popen(
        [
            *(str(BIN / "celery"), "-A", "j1msky", "worker", "--pool", "prefork"),
            *("--concurrency", "2", "--loglevel", "WARNING", "--without-gossip"),
            *("--without-mingle", "--hostname", f"pg-{port}@127.0.0.1"),
        ],
        env=env,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: (
                "1"
                in run_python(
                    "from j1msky.models import WorkerHeartbeat as W;"
                    "print(int(W.objects.filter(stopped_at__isnull=True).exists()))",
                    env=env,
                )
            ),
            timeout=60,
            interval=0.5,
            message="worker up",
        )
        yield proc
    finally:
        process_stop(proc, timeout=30)


def _status_or_error(send):
    try:
        return send().status_code
    except httpx.TransportError:
        return "error"


def _created(response: httpx.Response) -> httpx.Response | None:
    return response if response.status_code == 201 else None


def _settled(env, ids, last: list) -> dict | None:
    out = run_python(
        "import json\nfrom tests.platform.test_faults import books\n"
        f"print(json.dumps(books({ids!r})))",
        env=env,
    )
    b = json.loads(out.strip().splitlines()[-1])
    last[:] = [b]
    return b if set(b["status"].values()) <= set(TERMINAL) else None
