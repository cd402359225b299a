"""`Agency`: the Python client of one J1MSKY server.

from j1msky import Agency

agency = Agency(api_key="dev_sk_…", base_url="http://localhost:8080")
agent = agency.spawn(model="k2p5", task="Write a haiku about budgets", priority="normal")
result = agent.wait_for_completion()
print(result.output, result.cost)
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import httpx

from .agents import Agent, agent_path
from .errors import APIError, ConfigurationError, error_class_for
from .records import Record
from .resources import Keys, Pricing, Security, Webhooks, iterate_list, payload
from .transport import Response, Transport

DEFAULT_BASE_URL = "http://localhost:8080"


class Agency:
    """A client of one J1MSKY server, holding one API key.

    `api_key` defaults to `J1MSKY_API_KEY`, `base_url` to `J1MSKY_BASE_URL` (else
    `http://localhost:8080`; `/api` is appended unless the URL ends in `/api` or `/api/v1`), and
    `signing_secret` to `J1MSKY_SIGNING_SECRET` (requests are signed only when one is set).
    `timeout` bounds each HTTP request; `max_retries` and `max_retry_wait` bound the automatic
    retries of 429 and 503 answers (see `j1msky.sdk.transport`).
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        signing_secret: str | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        api_key = api_key or os.environ.get("J1MSKY_API_KEY")
        if not api_key:
            raise ConfigurationError("No API key: pass api_key= or set J1MSKY_API_KEY")
        self.transport = Transport(
            api_key=api_key,
            base_url=base_url or os.environ.get("J1MSKY_BASE_URL") or DEFAULT_BASE_URL,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            signing_secret=signing_secret or os.environ.get("J1MSKY_SIGNING_SECRET"),
            http_client=http_client,
        )
        self.pricing = Pricing(self)
        self.webhooks = Webhooks(self)
        self.keys = Keys(self)
        self.security = Security(self)

    # --- plumbing ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API root requests go to (`…/api/`)."""
        return self.transport.root

    @property
    def last_response(self) -> Response | None:
        """The last answer received: `status`, `headers` (rate-limit headers), `request_id`."""
        return self.transport.last_response

    def _request(self, method: str, path: str, **kwargs: Any) -> Response:
        return self.transport.request(method, path, **kwargs)

    def _get(self, path: str, params: dict | None = None) -> Any:
        return self._request("GET", path, params=params).body

    def _post(self, path: str, body: dict, idempotency_key: str | None = None) -> Any:
        return self._request("POST", path, json_body=body, idempotency_key=idempotency_key).body

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Agency:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- agents -----------------------------------------------------------------------------

    def spawn(
        self,
        model: str | None = None,
        task: str | None = None,
        priority: str | None = None,
        timeout: int | None = None,
        *,
        max_tokens: int | None = None,
        fallback: bool | None = None,
        metadata: dict | None = None,
        privacy: dict | None = None,
        idempotency_key: str | None = None,
    ) -> Agent:
        """Spawn one agent (`POST /spawn`); the server defaults model k2p5, priority normal,
        timeout 300 s. Returns an `Agent` to `wait_for_completion()` on."""
        if task is None:
            raise TypeError("spawn() missing required argument: 'task'")
        body = payload(
            model=model,
            task=task,
            priority=priority,
            timeout=timeout,
            max_tokens=max_tokens,
            fallback=fallback,
            metadata=metadata,
            privacy=privacy,
        )
        return Agent(self, self._post("spawn", body, idempotency_key))

    def spawn_team(
        self,
        team: str,
        task: str,
        priority: str | None = None,
        timeout: int | None = None,
        *,
        max_tokens: int | None = None,
        fallback: bool | None = None,
        metadata: dict | None = None,
        idempotency_key: str | None = None,
    ) -> Agent:
        """Deploy a team (`POST /spawn-team`): one agent whose steps run the team's models."""
        body = payload(
            team=team,
            task=task,
            priority=priority,
            timeout=timeout,
            max_tokens=max_tokens,
            fallback=fallback,
            metadata=metadata,
        )
        return Agent(self, self._post("spawn-team", body, idempotency_key))

    def spawn_batch(
        self, agents: list[dict], *, idempotency_key: str | None = None
    ) -> list[Agent | APIError]:
        """Spawn up to 50 agents (`POST /spawn-batch`), each admitted on its own.

        Returns one entry per item, in order: an `Agent`, or the typed error (not raised) that
        refused that item, e.g. `RateLimitError` or `BudgetExceededError`.
        """
        items = [payload(**item) for item in agents]
        body = self._post("spawn-batch", {"agents": items}, idempotency_key)
        return [_batch_item(self, result) for result in body["results"]]

    def get(self, agent_id: str) -> Agent:
        """One agent with every field of `GET /agent/{id}`."""
        return Agent(self, self._get(agent_path(agent_id)))

    def list(
        self,
        *,
        status: str | None = None,
        model: str | None = None,
        team: str | None = None,
        sort: str | None = None,
        filter: dict | None = None,
        page_size: int = 100,
        **filters: Any,
    ) -> Iterator[Record]:
        """Every agent matching the filters, across all pages (`GET /agents`, cursor pages).

        Filters as the server takes them: `status="running"`, `cost_gt=0.5`,
        `created_after="2026-02-01"`, `model_in=["k2p5", "sonnet"]`, or `filter={…}`.
        """
        params = dict(status=status, model=model, team=team, sort=sort, filter=filter, **filters)
        return iterate_list(self, "agents", params, page_size)

    def list_page(self, *, limit: int = 20, offset: int = 0, **filters: Any) -> Record:
        """One offset page of `GET /agents` as the server sends it (`data`, `pagination`,
        `links`, `meta` with `total_cost` and `by_model`)."""
        return self._get("agents", dict(filters, limit=limit, offset=offset))

    def active(self) -> Record:
        """`GET /agents/active`: `agents`, `count`, `total_cost_today`."""
        return self._get("agents/active")

    def cancel(
        self, agent_id: str, *, purge: bool = False, idempotency_key: str | None = None
    ) -> Record:
        """Cancel an agent (`DELETE /agent/{id}`): `{success, message, agent_id, status,
        refund}`; 202 `Agent cancelling` when its worker has not stopped yet."""
        return self._request(
            "DELETE",
            agent_path(agent_id),
            params={"purge": True} if purge else None,
            idempotency_key=idempotency_key,
        ).body

    def purge(self, agent_id: str, *, idempotency_key: str | None = None) -> Record:
        """Erase an agent's task and result now (`DELETE /agent/{id}?purge=true`), cancelling
        it first if it has not ended; its cost stays."""
        return self.cancel(agent_id, purge=True, idempotency_key=idempotency_key)

    def privacy_export(self) -> Record:
        """`GET /privacy/export`: every record of the key's owner, by kind (`records`)."""
        return self._get("privacy/export")

    def events(
        self,
        *,
        type: str | None = None,
        agent_id: str | None = None,
        follow: bool = False,
        poll_interval: float = 2.0,
        after_id: int | None = None,
        page_size: int = 100,
        **filters: Any,
    ) -> Iterator[Record]:
        """The event feed, oldest first, following its cursor (`GET /events`).

        With `follow=True` the iterator does not end: once caught up it polls every
        `poll_interval` seconds for events after the last one seen. `after_id` starts after a
        known event id (resume a feed).
        """
        last_id = after_id
        while True:
            params = dict(type=type, agent_id=agent_id, id_gt=last_id, **filters)
            for event in iterate_list(self, "events", params, page_size):
                last_id = event["id"]
                yield event
            if not follow:
                return
            time.sleep(poll_interval)

    # --- status, limits, billing ------------------------------------------------------------

    def health(self) -> Record:
        """`GET /health` (public)."""
        return self._get("health")

    def status(self) -> Record:
        """`GET /orchestrator/status`: budget, provider windows, model mix, previews."""
        return self._get("orchestrator/status")

    def system(self) -> Record:
        """`GET /system`: host load, memory, disk and active agents."""
        return self._get("system")

    def rate_limits(self) -> Record:
        """`GET /rate-limits`: `{limits: {provider: {used, limit, remaining, reset_at}}}`."""
        return self._get("rate-limits")

    def metrics(self) -> str:
        """`GET /metrics`: Prometheus text."""
        return self._request("GET", "metrics").body

    def recommend_model(
        self,
        task_type: str | None = None,
        complexity: str | None = None,
        priority: str | None = None,
        estimated_tokens: int | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Record:
        """`POST /orchestrator/recommend-model`: a model that fits the day's budget."""
        body = payload(
            task_type=task_type,
            complexity=complexity,
            priority=priority,
            estimated_tokens=estimated_tokens,
        )
        return self._post("orchestrator/recommend-model", body, idempotency_key)

    def usage(self, start: str | None = None, end: str | None = None) -> Record:
        """`GET /billing/usage`: `period`, `total_cost`, `by_model`, `by_day` (dates YYYY-MM-DD)."""
        return self._get("billing/usage", {"start": start, "end": end})

    def budget(self) -> Record:
        """`GET /billing/budget`: today's budget, spend, reservations and remaining."""
        return self._get("billing/budget")

    def set_daily_budget(self, daily_budget: Any, *, idempotency_key: str | None = None) -> Record:
        """`PUT /billing/budget` (admin:write, staff owner)."""
        return self._request(
            "PUT",
            "billing/budget",
            json_body={"daily_budget": daily_budget},
            idempotency_key=idempotency_key,
        ).body

    def quote(self, *args: Any, **fields: Any) -> Record:
        """`POST /pricing/quote`: `quote(model, estimated_input, estimated_output, complexity,
        delivery_type, segment, *, estimated_tokens)`, as `agency.pricing.quote`."""
        return self.pricing.quote(*args, **fields)


def _batch_item(agency: Agency, result: Record) -> Agent | APIError:
    if result.get("success") is False or "error" in result:
        error = result.get("error") or {}
        status = int(error.get("code") or 400)
        cls = error_class_for(status, error.get("type"))
        return cls(
            error.get("message") or f"HTTP {status}",
            status=status,
            type=error.get("type"),
            request_id=error.get("request_id"),
            details=error.get("details"),
            retry_after=error.get("retry_after"),
            body=result,
        )
    return Agent(agency, result)
