"""What the security app refuses, each a named error in the one envelope (semantics §2)."""

from __future__ import annotations

from j1msky.errors import Conflict, Forbidden, InsufficientScope, NotFound, TooManyRequests


class AuthLockedOut(Forbidden):
    """403: too many failed authentications from one address (semantics §6, §12.7)."""

    code = "auth_locked_out"
    message = "Too many failed authentications from this IP"

    def __init__(self, *, retry_after: int, your_ip: str) -> None:
        retry_after = max(int(retry_after), 1)
        super().__init__(
            retry_after=retry_after, your_ip=your_ip, headers={"Retry-After": str(retry_after)}
        )


class IpRateLimited(TooManyRequests):
    code = "ip_rate_limited"


class KeyNotFound(NotFound):
    code = "key_not_found"

    def __init__(self, key_id: str) -> None:
        super().__init__(f"API key {key_id} not found")


class KeyAlreadyRevoked(Conflict):
    code = "key_already_revoked"
    message = "Key is already revoked"


class KeyNotActive(Conflict):
    code = "key_not_active"
    message = "Only an active key can be rotated"


class ScopeNotGrantable(InsufficientScope):
    """A key may grant (create, rotate) only scopes it holds itself (semantics §3)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"A key cannot grant scopes it does not hold: {', '.join(missing)}",
            details={"scopes": [f"Not held by the calling key: {s}" for s in missing]},
        )
