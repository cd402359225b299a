"""Memory of `manage.py up` (what `make run` starts, at its defaults) after 1,000 completed runs.

Starts `manage.py up` on a free port (2 web processes x 4 threads, a worker of 2 processes, beat:
the defaults), with every provider pointed at the zero-latency fake provider server; spawns 1,000
agents over HTTP (`POST /api/spawn`, the spawn rate limit raised for the run) and waits until
all completed; then prints the proportional set size (Pss in /proc/<pid>/smaps_rollup: shared
pages divided among the processes that share them, so the figures add up) of web, worker and
beat, each the sum over its process tree, and their total against the 400 MB target.

    .venv/bin/python bench/bench_memory.py           # SQLite + filesystem broker
    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/bench_memory.py
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, backend, bootstrap, spawning_key

TARGET_MB = 400


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int, tree: dict[int, list[int]]) -> list[int]:
    found = [pid]
    for child in tree.get(pid, []):
        found += descendants(child, tree)
    return found


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def roles(up_pid: int) -> dict[str, list[int]]:
    """The process tree of each of web, worker and beat under `manage.py up`."""
    tree = children()
    found: dict[str, list[int]] = {"web": [], "worker": [], "beat": []}
    for child in tree.get(up_pid, []):
        line = cmdline(child)
        role = "web" if "gunicorn" in line else "beat" if " beat" in line else "worker"
        found[role] += descendants(child, tree)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()

    env = bootstrap("memory")
    import httpx

    from agents.models import Agent, Provider
    from tests.fakeprovider import fake_provider_server
    from tests.processes import wait_for

    _, secret = spawning_key()
    Provider.objects.update(hourly_limit=100 * args.runs)  # the provider windows hold them all
    port = free_port()
    env.update(
        DJANGO_SETTINGS_MODULE="j1msky.settings",
        J1MSKY_BIND=f"127.0.0.1:{port}",
        J1MSKY_RATE_LIMIT_SPAWN=str(10 * args.runs),
        J1MSKY_IP_RATE_LIMIT=str(10 * args.runs),
        J1MSKY_MAX_WAITING_AGENTS_PER_KEY=str(10 * args.runs),
        J1MSKY_DAILY_BUDGET="1000000",
    )
    env.pop("J1MSKY_WEB_WORKERS", None)
    env.pop("J1MSKY_WORKER_CONCURRENCY", None)
    with fake_provider_server() as fake:
        env.update(fake.provider_env(api_key="sk-bench"))
        log = open(Path(env["J1MSKY_DATA_DIR"]) / "up.log", "wb")  # noqa: SIM115
        up = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "up"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            measure(up, port, secret, args.runs, httpx, Agent, wait_for)
        finally:
            os.killpg(up.pid, signal.SIGTERM)
            try:
                up.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(up.pid, signal.SIGKILL)
            log.close()


def measure(up, port, secret, runs, httpx, Agent, wait_for) -> None:
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:

        def ready() -> bool:
            if up.poll() is not None:
                raise RuntimeError(f"manage.py up exited with {up.returncode}")
            try:
                return http.get("/api/health").status_code < 500
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=120, interval=0.2, message="manage.py up to serve")
        body = json.dumps({"task": "Write a haiku about queues", "model": "k2p5"}).encode()
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            codes = list(
                pool.map(lambda _: http.post("/api/spawn", content=body).status_code, range(runs))
            )
        assert set(codes) == {201}, sorted(codes)[-1]
        wait_for(
            lambda: Agent.objects.filter(status="completed").count() >= runs,
            timeout=600,
            interval=0.5,
            message=f"{runs} runs to complete",
        )
        elapsed = time.monotonic() - start
        failed = Agent.objects.exclude(status="completed").count()
    found = roles(up.pid)
    print(
        f"memory of manage.py up on {backend()} after {runs} runs "
        f"({elapsed:.0f} s, {failed} not completed)"
    )
    total = 0
    for role, pids in found.items():
        kb = sum(pss_kb(pid) for pid in pids)
        total += kb
        print(f"  {role:7s} {kb / 1024:7.1f} MB PSS  ({len(pids)} processes)")
    supervisor = pss_kb(up.pid)
    print(f"  manage.py up (the supervisor) {supervisor / 1024:.1f} MB PSS, not counted")
    verdict = "met" if total / 1024 < TARGET_MB else "NOT met"
    print(f"  web + worker + beat {total / 1024:7.1f} MB PSS (target < {TARGET_MB} MB: {verdict})")


if __name__ == "__main__":
    main()
