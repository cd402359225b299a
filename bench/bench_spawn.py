"""Spawn throughput and latency, pickup time, and runs per worker process.

Measured in one run, on one database, next to a bare DRF create endpoint (validate, INSERT one
row, serialize; no auth, no admission) served by the same gunicorn:

- spawn requests per second and p50/p99 latency (8 concurrent clients, 2 web processes);
- spawn-to-`running` pickup time with an idle worker (each spawn after a random pause, so it
  lands anywhere in the worker's polling interval, not always at the same point of it);
- completed runs per second per worker process against a zero-latency fake provider, from the
  first run's start to the last one's end (the runs' own timestamps, not this script's polling);
- pickup of a burst: 100 spawns sent at once (8 clients) to an idle worker of 4 processes, each
  agent's spawn-to-`running` time, p50 / p99 / p100 (the last agent waits for the 99 before it).

    .venv/bin/python bench/bench_spawn.py            # SQLite + filesystem broker
    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/bench_spawn.py
    .venv/bin/python bench/bench_spawn.py --burst-only   # only the burst's pickup
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (
    backend,
    bootstrap,
    cpu_seconds,
    percentile,
    pid_by_cmdline,
    process_tree,
    spawning_key,
    summary,
)

REQUESTS = 300
CLIENTS = 8
PICKUPS = 20
BURST = 100
BURST_WORKER_PROCESSES = 4
IDLE_PAUSE = (0.2, 0.5)  # seconds the worker sits idle before each pickup spawn


def hammer(http, path: str, body: bytes) -> tuple[float, list[float], list[int]]:
    def one(_):
        start = time.perf_counter()
        response = http.post(path, content=body)
        return time.perf_counter() - start, response.status_code

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(one, range(REQUESTS)))
    elapsed = time.perf_counter() - start
    return REQUESTS / elapsed, [r[0] for r in results], [r[1] for r in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--burst-only", action="store_true", help="measure only the burst")
    burst_only = parser.parse_args().burst_only
    env = bootstrap("spawn")
    import httpx
    from django.db.models import Max, Min

    from agents.models import Agent, Provider
    from tests.fakeprovider import fake_provider_server
    from tests.processes import celery_worker, gunicorn_server, wait_for

    _, secret = spawning_key()
    Provider.objects.update(hourly_limit=1_000_000)
    env["J1MSKY_DAILY_BUDGET"] = "1000000"
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    spawn_body = json.dumps({"task": "Write a haiku about queues", "model": "k2p5"}).encode()
    bare_body = json.dumps({"event": "bench", "details": {"task": "x"}}).encode()

    with fake_provider_server() as fake:
        env.update(fake.provider_env(api_key="sk-bench"))
        env["J1MSKY_WORKER_HEARTBEAT_SECONDS"] = "2"

        print(
            f"spawn benchmark on {backend()}: {REQUESTS} requests, {CLIENTS} clients, "
            "gunicorn 2 workers x 4 threads"
        )
        with (
            gunicorn_server(workers=2, threads=4, env=env) as base,
            httpx.Client(base_url=base, headers=headers, timeout=60) as http,
        ):
            if burst_only:
                burst_pickup(http, env, spawn_body)
                return
            web = process_tree(pid_by_cmdline(f"gunicorn j1msky.wsgi -b {base.split('//')[1]}"))
            hammer(http, "/bench/bare-create", bare_body)  # warm up both paths
            cpu = cpu_seconds(web)
            bare_rps, bare_lat, bare_codes = hammer(http, "/bench/bare-create", bare_body)
            cpu, bare_cpu = cpu_seconds(web), cpu_seconds(web) - cpu
            spawn_rps, spawn_lat, spawn_codes = hammer(http, "/api/spawn", spawn_body)
            spawn_cpu = cpu_seconds(web) - cpu
            assert set(bare_codes) == {201}, set(bare_codes)
            assert set(spawn_codes) == {201}, set(spawn_codes)
            print(f"  bare DRF create (floor)  {bare_rps:8.1f} req/s  {summary(bare_lat)}")
            print(f"  POST /api/spawn          {spawn_rps:8.1f} req/s  {summary(spawn_lat)}")
            print(
                f"  web CPU per request: bare {bare_cpu / REQUESTS * 1000:.1f} ms, spawn "
                f"{spawn_cpu / REQUESTS * 1000:.1f} ms ({spawn_cpu / bare_cpu:.2f}x; wall-clock "
                "figures on a loaded machine mostly measure the load, CPU time does not)"
            )
            bare_p99, spawn_p99 = percentile(bare_lat, 99), percentile(spawn_lat, 99)
            print(
                f"  spawn / bare: throughput {spawn_rps / bare_rps:.2f}x (target >= 0.5x), "
                f"p99 {spawn_p99 / bare_p99:.2f}x (target <= 3x)"
            )

            waiting = Agent.objects.filter(status="spawning").count()
            with celery_worker(env=env, concurrency=1, name="bench") as worker:
                cpu = cpu_seconds(process_tree(worker.pid))
                wait_for(
                    lambda: not Agent.objects.filter(status__in=["spawning", "running"]).exists(),
                    timeout=600,
                    interval=0.05,
                    message="the queue to drain",
                )
                span = Agent.objects.aggregate(first=Min("started_at"), last=Max("completed_at"))
                drained = (span["last"] - span["first"]).total_seconds()
                failed = Agent.objects.exclude(status="completed").count()
                run_cpu = (cpu_seconds(process_tree(worker.pid)) - cpu) / waiting
                print(
                    f"  completed runs, 1 worker process: {waiting / drained:8.1f} runs/s "
                    f"({waiting} runs in {drained:.1f} s, {failed} not completed; target >= 100)"
                )
                print(
                    f"  worker CPU per completed run: {run_cpu * 1000:.1f} ms "
                    f"(so at most {1 / run_cpu:.0f} runs/s on one free core)"
                )

                pickups = []
                for _ in range(PICKUPS):
                    time.sleep(random.uniform(*IDLE_PAUSE))
                    agent_id = http.post("/api/spawn", content=spawn_body).json()["agent_id"]
                    wait_for(
                        lambda agent_id=agent_id: Agent.objects.filter(
                            pk=agent_id, status="completed"
                        ).exists(),
                        timeout=60,
                        interval=0.02,
                    )
                    agent = Agent.objects.get(pk=agent_id)
                    pickups.append((agent.started_at - agent.created_at).total_seconds())
                print(f"  spawn-to-running pickup, idle worker: {summary(pickups)}")
                print("  (target: pickup p50 < 50 ms)")

            burst_pickup(http, env, spawn_body)


def burst_pickup(http, env: dict[str, str], spawn_body: bytes) -> None:
    from agents.models import Agent
    from tests.processes import celery_worker, wait_for

    with celery_worker(env=env, concurrency=BURST_WORKER_PROCESSES, name="burst"):
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            ids = list(
                pool.map(
                    lambda _: http.post("/api/spawn", content=spawn_body).json()["agent_id"],
                    range(BURST),
                )
            )
        burst = Agent.objects.filter(agent_id__in=ids)
        wait_for(
            lambda: not burst.exclude(status="completed").exists(),
            timeout=120,
            interval=0.05,
            message="the burst to complete",
        )
        rows = list(burst.values_list("created_at", "started_at", "completed_at"))
        pickups = [(started - created).total_seconds() for created, started, _ in rows]
        admitted = (max(r[0] for r in rows) - min(r[0] for r in rows)).total_seconds()
        drained = (max(r[2] for r in rows) - min(r[0] for r in rows)).total_seconds()
        print(
            f"  pickup of a burst of {BURST} spawns, idle worker of "
            f"{BURST_WORKER_PROCESSES} processes: {summary(pickups)} (target p100 < 2 s; "
            f"admissions spanned {admitted:.2f} s, first admission to last end {drained:.2f} s)"
        )


if __name__ == "__main__":
    main()
