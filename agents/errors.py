"""What the agents app refuses, each a named error in the one envelope (semantics §2, §7)."""

from __future__ import annotations

from j1msky.errors import Conflict, DomainError, InvalidInput, NotFound, TooManyRequests


class InvalidModel(InvalidInput):
    def __init__(self, alias: str, allowed: list[str]) -> None:
        names = ", ".join(allowed)
        super().__init__(
            f"Invalid model: {alias}. Allowed: {names}",
            details={"model": [f"Must be one of: {names}"]},
        )


class UnknownTeam(InvalidInput):
    def __init__(self, team: str, allowed: list[str]) -> None:
        names = ", ".join(allowed)
        super().__init__(
            f"Unknown team: {team}. Allowed: {names}", details={"team": [f"One of: {names}"]}
        )


class AgentNotFound(NotFound):
    code = "agent_not_found"

    def __init__(self, agent_id: str) -> None:
        super().__init__(f"Agent {agent_id} not found")


class AgentNotCancellable(Conflict):
    code = "agent_not_cancellable"

    def __init__(self, agent_id: str, status: str) -> None:
        super().__init__(f"Agent {agent_id} is already {status}")


class ConcurrencyLimited(TooManyRequests):
    """429: the key's queue of waiting agents is full (semantics §7.1)."""

    code = "concurrency_limited"

    def __init__(self, *, max_waiting: int, max_concurrent: int) -> None:
        super().__init__(
            f"This key already has {max_waiting} agents waiting to run",
            retry_after=5,
            details={"max_waiting_agents": max_waiting, "max_concurrent_agents": max_concurrent},
        )


class ProviderUnavailable(TooManyRequests):
    """429: every provider that could serve the request has its circuit breaker open."""

    code = "provider_unavailable"

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(
            "Every provider for this request has its circuit breaker open", retry_after=retry_after
        )


class EndpointSunset(DomainError):
    """410: a v3 endpoint past its sunset (semantics §13), naming its v4 successor."""

    http_status = 410
    code = "endpoint_sunset"

    def __init__(self, *, endpoint: str, successor: str, sunset: str) -> None:
        super().__init__(
            f"The v3 endpoint {endpoint} was retired on {sunset}; use {successor}",
            successor=successor,
            sunset=sunset,
        )
