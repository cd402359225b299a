"""Shared set-up for benchmarks: a throwaway database on the backend the environment names.

SQLite (default): a temporary J1MSKY_DATA_DIR. PostgreSQL (DATABASE_URL set): a database named
`<database>_bench_<name>` after the one DATABASE_URL names (`j1msky_bench_<name>` when it names
none), created on the same server and dropped at the end, so runs against different databases
never drop each other's.
"""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bootstrap(name: str) -> dict[str, str]:
    """Point this process at a fresh benchmark database, migrate it; return the child env."""
    data_dir = tempfile.mkdtemp(prefix=f"j1msky-bench-{name}-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ["J1MSKY_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.pop("J1MSKY_SQLITE_PATH", None)
    url = os.environ.get("DATABASE_URL")
    if url:
        import psycopg

        parts = urlsplit(url)
        db_name = f"{parts.path.strip('/') or 'j1msky'}_bench_{name}"
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db_name}"')

        def drop():
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')

        atexit.register(drop)
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{db_name}"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    env = os.environ.copy()
    env["PYTHONPATH"] = str(ROOT)
    return env


def backend() -> str:
    from django.conf import settings
    from django.db import connection

    broker = "redis" if settings.REDIS_URL else "filesystem"
    return f"{connection.vendor} + {broker} broker"


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(samples: list[float]) -> str:
    p50, p99 = percentile(samples, 50) * 1000, percentile(samples, 99) * 1000
    p100 = max(samples) * 1000
    return (
        f"p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  p100 {p100:7.2f} ms  "
        f"mean {statistics.fmean(samples) * 1000:7.2f} ms"
    )


def _proc_children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants."""
    tree, found, todo = _proc_children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += tree.get(pid, [])
    return found


def pid_by_cmdline(fragment: str) -> int:
    """The pid of the process whose command line contains `fragment` (the oldest one)."""
    pids = sorted(
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and fragment in _cmdline(int(p.name))
    )
    if not pids:
        raise LookupError(fragment)
    return pids[0]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes used so far: unlike wall time, it barely depends on
    what else the machine runs, so it compares two code paths fairly on a loaded machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def spawning_key():
    """The `bench` owner and a key of theirs that may spawn without a concurrency limit that
    matters: (owner, secret). Call after `bootstrap`."""
    from django.contrib.auth import get_user_model

    from security.services import api_key_create

    owner = get_user_model().objects.create_user("bench")
    _, secret = api_key_create(
        owner=owner,
        name="bench",
        scopes=["agents:read", "agents:write"],
        max_concurrent_agents=100_000,
    )
    return owner, secret
