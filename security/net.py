"""The client's address (semantics §12.2): REMOTE_ADDR, unless it is a trusted proxy."""

import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _trusted_networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_trusted(ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in net for net in _trusted_networks(tuple(settings.J1MSKY_TRUSTED_PROXIES)))


def client_ip(request) -> str:
    """REMOTE_ADDR, or, behind trusted proxies, the right-most untrusted X-Forwarded-For entry."""
    remote = ip_normalise(request.META.get("REMOTE_ADDR", "") or "0.0.0.0")
    if not settings.J1MSKY_TRUSTED_PROXIES or not _is_trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote
        if not _is_trusted(hop):
            return ip_normalise(hop)
    return remote


def ip_normalise(ip: str) -> str:
    """An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket reports) as
    the IPv4 address it is; anything else unchanged."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped) if mapped else str(address)


@dataclass(frozen=True)
class Client:
    """Where the current request comes from, for the audit rows its services write."""

    ip: str | None
    user_agent: str = ""


current_client: ContextVar[Client | None] = ContextVar("current_client", default=None)
