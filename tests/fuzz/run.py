"""Schemathesis against a real J1MSKY: the published schema must be the truth about the server.

Starts gunicorn on a fresh embedded-default data directory, issues full-scope keys for a staff
operator, and runs ``st run`` with every check, positive and negative data, and all four phases
against ``/api/schema/``. Passes when schemathesis reports nothing and the server logged no
traceback.

Two passes: the main one without the operations that would disarm the fuzzer (a fuzzer that
revokes its own key, or sets the day's budget to 0, spends the rest of its time on 401s and
402s), then those operations alone with a key of their own.

    python -m tests.fuzz.run                      # the CI budget (about 4 minutes)
    python -m tests.fuzz.run --max-time 1800      # the release run (docs/reliability.md)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
# Operations that take the fuzzer's own means away (its key revoked or rotated, the day's
# budget set to 0): fuzzed last, in a pass of their own with a key of their own.
DISARMING = ("keys_destroy", "keys_rotate_create", "billing_budget_update")
UNLIMITED = str(10**9)


@dataclass
class Result:
    passes: list[tuple[str, int, str]]
    server_log: str

    @property
    def ok(self) -> bool:
        return all(rc == 0 for _, rc, _ in self.passes) and "Traceback" not in self.server_log

    def summary(self) -> str:
        lines = []
        for name, rc, output in self.passes:
            shown = output if rc else "\n".join(output.rstrip().splitlines()[-12:])
            lines.append(f"--- {name}: exit {rc}\n{shown[-30_000:]}")
        if "Traceback" in self.server_log:
            lines.append("--- server log has a traceback:\n" + self.server_log[-4000:])
        return "\n".join(lines)


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="j1msky.settings",
        PYTHONPATH=str(ROOT),
        J1MSKY_DATA_DIR=str(data_dir),
        J1MSKY_SQLITE_PATH=str(data_dir / "j1msky.sqlite3"),
        # The fuzzer is one client on 127.0.0.1 sending thousands of requests: the per-key and
        # per-IP limits are tested elsewhere and would only turn its budget into 429s.
        J1MSKY_IP_RATE_LIMIT=UNLIMITED,
        J1MSKY_AUTH_FAILURE_LIMIT=UNLIMITED,
        J1MSKY_RATE_LIMIT_DEFAULT=UNLIMITED,
        J1MSKY_RATE_LIMIT_SPAWN=UNLIMITED,
        J1MSKY_RATE_LIMIT_AGENTS_LIST=UNLIMITED,
        J1MSKY_RATE_LIMIT_AGENT_READ=UNLIMITED,
        J1MSKY_RATE_LIMIT_SYSTEM=UNLIMITED,
    )
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stderr[-4000:]}")
    return done.stdout


def _key(env: dict[str, str], name: str) -> str:
    from j1msky.api.permissions import SCOPES

    out = _manage(env, "create_api_key", "--name", name, "--scopes", ",".join(SCOPES))
    return out.strip().splitlines()[-1]


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            *(str(BIN / "gunicorn"), "j1msky.wsgi", "-b", f"127.0.0.1:{port}"),
            *("-w", "2", "--threads", "4", "--log-level", "warning", "--timeout", "60"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
            return proc
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + log.read_text()[-4000:]) from None
            time.sleep(0.2)


def _st(base: str, key: str, max_time: int, filters: list[str], seed: int | None) -> tuple:
    command = [
        str(BIN / "st"),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{base}/api/schema/",
        "--header",
        f"Authorization: Bearer {key}",
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-time",
        str(max_time),
        # One worker: Hypothesis parses lambda sources with `ast`, which CPython 3.11 cannot do
        # from two threads at once ("AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        *filters,
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the hooks module
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=max_time * 4 + 120
    )
    return done.returncode, done.stdout + done.stderr


def run(*, max_time: int = 200, key_time: int = 40, seed: int | None = None) -> Result:
    from tests.processes import free_port

    with tempfile.TemporaryDirectory(prefix="j1msky-fuzz-") as tmp:
        data_dir = Path(tmp)
        env = _env(data_dir)
        _manage(env, "migrate", "--noinput")
        main_key, keys_key = _key(env, "fuzz"), _key(env, "fuzz-keys")
        port = free_port()
        log = data_dir / "server.log"
        server = _serve(env, port, log)
        base = f"http://127.0.0.1:{port}"
        try:
            passes = []
            exclude = [arg for op in DISARMING for arg in ("--exclude-operation-id", op)]
            rc, out = _st(base, main_key, max_time, exclude, seed)
            passes.append(("every operation but the disarming ones", rc, out))
            only = [arg for op in DISARMING for arg in ("--include-operation-id", op)]
            rc, out = _st(base, keys_key, key_time, only, seed)
            passes.append(("the disarming operations: " + ", ".join(DISARMING), rc, out))
        finally:
            server.terminate()
            server.wait(timeout=30)
        return Result(passes=passes, server_log=log.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-time", type=int, default=200, help="seconds for the main pass")
    parser.add_argument(
        "--key-time", type=int, default=40, help="seconds for the disarming operations"
    )
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "j1msky.settings")
    import django

    django.setup()
    result = run(max_time=args.max_time, key_time=args.key_time, seed=args.seed)
    for name, rc, output in result.passes:
        print(f"=== {name}: exit {rc}\n{output}")
    if "Traceback" in result.server_log:
        print("=== server log has a traceback:\n" + result.server_log)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
