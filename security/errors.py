"""What the security app refuses, each a named error in the one envelope (semantics §2)."""

from __future__ import annotations

from j1msky.errors import (
    AuthenticationFailed,
    Conflict,
    Forbidden,
    InsufficientScope,
    NotFound,
    TooManyRequests,
)


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


class KeyNotSuspended(Conflict):
    code = "key_not_suspended"
    message = "Key is not suspended"


class KeySuspended(Forbidden):
    """403 `key_suspended`: a protection suspended the key (a cost spike, semantics §12.7)."""

    code = "key_suspended"
    message = "API key suspended"

    def __init__(self, *, reason: str, suspended_at: str) -> None:
        super().__init__(
            f"API key suspended ({reason}); an administrator must reinstate it",
            reason=reason,
            suspended_at=suspended_at,
        )


class IpNotAllowed(Forbidden):
    """403: the address is outside the allowlist (semantics §12.2; the reference's text)."""

    code = "ip_not_allowed"
    message = "IP not whitelisted"

    def __init__(self, *, your_ip: str) -> None:
        super().__init__(your_ip=your_ip)


class IpBlocked(Forbidden):
    code = "ip_blocked"
    message = "IP blocked"

    def __init__(self, *, your_ip: str, blocked_until: str | None) -> None:
        super().__init__(your_ip=your_ip, blocked_until=blocked_until)


class AllowlistLocksOutCaller(Conflict):
    """409: the change would refuse the address the request came from (semantics §12.2)."""

    code = "ip_lockout_refused"

    def __init__(self, *, your_ip: str, what: str) -> None:
        super().__init__(
            f"This {what} would lock out your own IP ({your_ip}); include it first",
            your_ip=your_ip,
        )


class BlockNotFound(NotFound):
    code = "block_not_found"

    def __init__(self, block_id: str) -> None:
        super().__init__(f"Block {block_id} not found")


class BlockNotActive(Conflict):
    code = "block_not_active"
    message = "The block has already expired or been lifted"


class SignatureRefused(AuthenticationFailed):
    """401: a request signature is missing, malformed, stale, wrong or replayed (§12.4)."""

    code = "invalid_signature"
    message = "Invalid request signature"


class SignatureRequired(SignatureRefused):
    code = "signature_required"
    message = "This request must be signed (X-Timestamp and X-Signature)"


class SignatureExpired(SignatureRefused):
    code = "signature_expired"
    message = "Request timestamp is outside the 300 s window"


class SignatureReplayed(SignatureRefused):
    code = "signature_replayed"
    message = "Request signature already used"
