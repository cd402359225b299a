"""`manage.py up` (what `make run` calls): web + worker + beat, healthy, stopped by Ctrl-C."""

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
