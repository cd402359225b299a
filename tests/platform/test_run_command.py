"""`manage.py up` (what `make run` calls): web + worker + beat, healthy, stopped by Ctrl-C."""

import os
import re
import signal
import subprocess
import time

import httpx
import psutil
import pytest

from tests.processes import PYTHON, ROOT, free_port, subprocess_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_up_runs_web_worker_and_beat_until_ctrl_c(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [
            PYTHON,
            "manage.py",
            "up",
            "--bind",
            f"127.0.0.1:{port}",
            "--web-workers",
            "1",
            "--worker-concurrency",
            "1",
        ],
        cwd=ROOT,
        env=subprocess_env(J1MSKY_DATA_DIR=str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        while not any("first API key" in line or "API keys:" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        output = "".join(lines)
        assert f"http://localhost:{port}/api/" in output
        assert re.search(r"admin login: admin / \S+", output)
        key = re.search(r"first API key \(all scopes, shown once\): (\S+)", output).group(1)

        deadline, body = time.monotonic() + 60, {}
        while time.monotonic() < deadline:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).json()
                if body.get("status") == "healthy":
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        assert body.get("status") == "healthy", body
        keys = httpx.get(
            f"http://127.0.0.1:{port}/api/keys", headers={"Authorization": f"Bearer {key}"}
        )
        assert keys.status_code == 200

        children = psutil.Process(proc.pid).children()
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert "gunicorn" in names and "worker" in names and "beat" in names
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    assert "stopped web, worker and beat" in rest
    assert all(not c.is_running() or c.status() == psutil.STATUS_ZOMBIE for c in children)


def test_up_never_prints_a_password_the_operator_supplied(tmp_path):
    done = subprocess.run(
        [PYTHON, "manage.py", "up", "--prepare-only"],
        cwd=ROOT,
        env=subprocess_env(
            J1MSKY_DATA_DIR=str(tmp_path), J1MSKY_ADMIN_PASSWORD="operator-chose-this-1"
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "operator-chose-this-1" not in done.stdout + done.stderr
    assert "admin login: admin (" in done.stdout


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_ctrl_c_stops_everything_every_time(tmp_path):
    """Ten starts, each stopped by a terminal's Ctrl-C (SIGINT to the whole foreground process
    group): every process is gone within 10 s and the port is free again."""
    port = free_port()
    env = subprocess_env(J1MSKY_DATA_DIR=str(tmp_path))
    command = [PYTHON, "manage.py", "up", "--bind", f"127.0.0.1:{port}"]
    command += ["--web-workers", "2", "--worker-concurrency", "2"]
    for attempt in range(10):
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        family = _descendants(proc.pid)
        assert len(family) >= 5, (attempt, family)  # gunicorn master + 2 workers, worker, beat…
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
        stopped_at = time.monotonic()
        proc.wait(timeout=15)
        alive = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        while alive and time.monotonic() - stopped_at < 10:
            time.sleep(0.1)
            alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert alive == [], (attempt, [p.cmdline() for p in alive])
        assert time.monotonic() - stopped_at < 10, attempt
        assert proc.returncode == 0, attempt
        assert _port_free(port), attempt
