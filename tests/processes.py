"""Run real processes (web servers, workers, scripts) against the test database.

Concurrency claims are proven across processes, not threads of one interpreter: these helpers
point a child process at the database pytest-django created, on SQLite or PostgreSQL alike.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a child process that must use the current test database."""
    env = os.environ.copy()
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["J1MSKY_SQLITE_PATH"] = str(db["NAME"])
        env.pop("DATABASE_URL", None)
    else:
        user = quote(db["USER"] or "")
        password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
        env["DATABASE_URL"] = (
            f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}"
        )
    env["DJANGO_SETTINGS_MODULE"] = "j1msky.settings"
    # Every child's requests come from 127.0.0.1: the per-IP guards are tested separately.
    env.setdefault("J1MSKY_IP_RATE_LIMIT", str(10**9))
    env.setdefault("J1MSKY_AUTH_FAILURE_LIMIT", str(10**9))
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerURL(str):
    """A server's base URL that also carries its main process (`.proc`)."""

    proc: subprocess.Popen


@contextlib.contextmanager
def gunicorn_server(*, workers: int = 2, threads: int = 4, env: dict[str, str] | None = None):
    """A real gunicorn serving the project on 127.0.0.1; yields its base URL (a `ServerURL`:
    `.proc` is gunicorn's main process, whose children are the web workers)."""
    port = free_port()
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "j1msky.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env or subprocess_env(),
    )
    base = ServerURL(f"http://127.0.0.1:{port}")
    base.proc = proc
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/api/health", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_python(code: str, *, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Run a Python snippet with Django set up against the test database; return its stdout."""
    prelude = "import django; django.setup()\n"
    done = subprocess.run(
        [PYTHON, "-c", prelude + code],
        cwd=ROOT,
        env=env or subprocess_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done.stdout


def process_stop(proc: subprocess.Popen, *, timeout: float, group: bool = True) -> None:
    """SIGTERM to a child that still runs, then SIGKILL (to its process group, or to it alone)
    if it has not exited within `timeout` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.wait()


@contextlib.contextmanager
def celery_worker(*, env: dict[str, str] | None = None, concurrency: int = 2, name: str = "w"):
    """A real Celery worker process (prefork pool) on the project's broker; yields the Popen.

    It is stopped with SIGTERM to its main process (warm shutdown) at the end unless the test
    already killed it. Not to its process group: a pool process killed while it waits for work
    holds the pool's queue lock, and the main process then hangs at exit waiting for that lock.
    """
    import uuid

    hostname = f"{name}-{uuid.uuid4().hex[:8]}@127.0.0.1"
    proc = subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "j1msky",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "--hostname",
            hostname,
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env or subprocess_env(),
        start_new_session=True,
    )
    proc.hostname = hostname
    try:
        deadline = time.monotonic() + 60
        from j1msky.models import WorkerHeartbeat

        while not WorkerHeartbeat.objects.filter(
            hostname=hostname, stopped_at__isnull=True
        ).exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("celery worker did not start")
            time.sleep(0.2)
        yield proc
    finally:
        process_stop(proc, timeout=30)


@contextlib.contextmanager
def celery_beat(*, env: dict[str, str] | None = None, schedule: Path):
    """The one Celery beat, its schedule file at `schedule`; yields the Popen (stopped with
    SIGTERM at the end)."""
    proc = subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "j1msky",
            "beat",
            "--loglevel",
            "WARNING",
            "--schedule",
            str(schedule),
        ],
        cwd=ROOT,
        env=env or subprocess_env(),
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        process_stop(proc, timeout=20, group=False)


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.1, message: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message or predicate}")
        time.sleep(interval)
