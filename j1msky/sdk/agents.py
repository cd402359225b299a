"""An agent as the client sees it: a handle to refresh, wait for and cancel."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .errors import AgentFailedError, WaitTimeoutError
from .records import TERMINAL_STATUSES, AgentResult, Record

if TYPE_CHECKING:
    from .client import Agency

# Polling without an explicit interval starts fast and slows down: 0.25 s, ×1.5 each time, up to
# 5 s, so short runs return at once and long ones spend little of the key's hourly request limit.
FIRST_POLL_SECONDS = 0.25
MAX_POLL_SECONDS = 5.0


def agent_path(agent_id: str) -> str:
    return "agent/" + quote(str(agent_id), safe="")


class Agent:
    """A spawned agent. Its fields (`agent_id`, `model`, `status`, `estimated_cost`, and after a
    `refresh()` everything `GET /agent/{id}` shows) read as attributes; `data` holds them all."""

    def __init__(self, agency: Agency, data: Record) -> None:
        self._agency = agency
        self.data = data

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "data":
            raise AttributeError(name)
        try:
            return self.data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"Agent(agent_id={self.data.get('agent_id')!r}, status={self.data.get('status')!r})"

    @property
    def done(self) -> bool:
        """True once the agent is `completed`, `failed` or `cancelled` (as last seen)."""
        return self.data.get("status") in TERMINAL_STATUSES

    def refresh(self) -> Agent:
        """Reload the agent from `GET /agent/{id}`; returns itself."""
        self.data = self._agency._request("GET", agent_path(self.data["agent_id"])).body
        return self

    def cancel(self, *, purge: bool = False) -> Record:
        """Cancel the agent (`DELETE /agent/{id}`); the answer carries `refund`."""
        return self._agency.cancel(self.data["agent_id"], purge=purge)

    def wait_for_completion(
        self,
        timeout: float | None = 600.0,
        poll_interval: float | None = None,
        *,
        on_progress: Callable[[Agent], None] | None = None,
        raise_on_failure: bool = True,
    ) -> AgentResult:
        """Poll until the agent ends and return its `AgentResult`.

        `timeout` is how long to wait in seconds (None: until it ends; the server ends every agent
        at its own `timeout`); past it `WaitTimeoutError` is raised and the agent keeps running.
        `poll_interval` fixes the polling period (default: 0.25 s growing to 5 s).
        `on_progress(agent)` is called after every poll. An agent that ends `failed` or
        `cancelled` raises `AgentFailedError` (its `.result` holds the details) unless
        `raise_on_failure=False`, which returns the result whatever the status.
        """
        started = time.monotonic()
        deadline = None if timeout is None else started + timeout
        interval = poll_interval or FIRST_POLL_SECONDS
        while True:
            self.refresh()
            if on_progress is not None:
                on_progress(self)
            if self.done:
                break
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                raise WaitTimeoutError(self, now - started)
            time.sleep(interval if deadline is None else min(interval, deadline - now))
            if poll_interval is None:
                interval = min(interval * 1.5, MAX_POLL_SECONDS)
        result = AgentResult(self.data)
        if raise_on_failure and not result.succeeded:
            raise AgentFailedError(result)
        return result
