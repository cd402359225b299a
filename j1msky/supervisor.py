"""The process supervisor behind `manage.py up`: web, worker and beat, stopped cleanly.

Each service runs in a process group of its own, so the terminal's Ctrl-C reaches only the
supervisor, which then stops every service once and in order: SIGTERM to each service's main
process (gunicorn and the Celery worker shut down warmly), a grace period, then SIGKILL to every
process left in each group. A second Ctrl-C kills at once. A service whose supervisor dies is
sent SIGTERM by the kernel (Linux), so no child outlives it holding the port.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

STOP_GRACE_SECONDS = 8
POLL_SECONDS = 0.2
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: the kernel sends SIGTERM when the supervisor dies."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member we may not signal still exists
        return True
    return True


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


class Supervisor:
    """Runs named commands until one exits or a stop signal arrives; `run()` returns the exit
    code (0 after a requested stop, the failing service's code otherwise)."""

    def __init__(self, commands: Mapping[str, Sequence[str]], *, say=print) -> None:
        self.commands = dict(commands)
        self.say = say
        self.procs: dict[str, subprocess.Popen] = {}
        self.stop_requests = 0

    def _on_signal(self, signum, frame) -> None:
        self.stop_requests += 1
        if self.stop_requests > 1:  # a second Ctrl-C: no more waiting
            for proc in self.procs.values():
                _signal_group(proc.pid, signal.SIGKILL)

    def run(self) -> int:
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, command in self.commands.items():
                self.procs[name] = subprocess.Popen(
                    command, start_new_session=True, preexec_fn=_die_with_parent
                )
            return self._watch()
        finally:
            self.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _watch(self) -> int:
        while not self.stop_requests:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    self.say(f"{name} exited with {proc.returncode}; stopping all")
                    return proc.returncode or 1
            time.sleep(POLL_SECONDS)
        return 0

    def stop(self) -> None:
        """SIGTERM each service's main process, wait for the grace period, then SIGKILL every
        process left in each service's group and reap them all."""
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline and any(
            _group_alive(proc.pid) for proc in self.procs.values()
        ):
            for proc in self.procs.values():
                proc.poll()  # reap the main process as soon as it exits
            if self.stop_requests > 1:
                break
            time.sleep(POLL_SECONDS)
        for name, proc in self.procs.items():
            if _group_alive(proc.pid):
                self.say(f"{name} did not stop within {STOP_GRACE_SECONDS} s: killed")
                _signal_group(proc.pid, signal.SIGKILL)
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        *first, last = list(self.procs)
        self.say(f"stopped {', '.join(first)} and {last}" if first else f"stopped {last}")
