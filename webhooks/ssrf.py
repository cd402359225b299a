"""SSRF guard for webhook URLs: shape checks, one resolution, every resolved address checked.

Applied when an endpoint is registered and again before every delivery. `url_check` returns the
addresses it checked; the caller connects to one of them and never looks the name up again, so a
DNS answer that changes between the check and the connection (rebinding) cannot reach anything.

An address passes when it is public, or when it falls inside one of the policy's allowed networks
(`J1MSKY_WEBHOOK_ALLOWED_NETWORKS`). Cloud metadata addresses never pass. IPv6 addresses that carry
an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) are judged in both forms.
Standard library only.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

MAX_URL_LENGTH = 2048
MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 63
TRUE_VALUES = frozenset({"true", "on", "ok", "y", "yes", "1"})

_net = ipaddress.ip_network

# Refused even inside an allowed network: instance credentials live behind these.
METADATA_NETWORKS: tuple[IPNetwork, ...] = tuple(
    _net(n)
    for n in (
        "169.254.169.254/32",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle, Hetzner, ...
        "169.254.169.253/32",  # AWS VPC DNS
        "169.254.169.123/32",  # AWS time sync
        "169.254.170.2/32",  # AWS ECS task metadata
        "169.254.170.23/32",  # AWS EKS pod identity
        "168.63.129.16/32",  # Azure WireServer (a public address)
        "100.100.100.200/32",  # Alibaba Cloud
        "192.0.0.192/32",  # Oracle Cloud (legacy)
        "fd00:ec2::254/128",  # AWS IMDS over IPv6
        "fd00:ec2::253/128",  # AWS VPC DNS over IPv6
        "fd00:ec2::123/128",  # AWS time sync over IPv6
        "fd00:ec2::23/128",  # AWS EKS pod identity over IPv6
        "fd20:ce::254/128",  # GCP metadata over IPv6
    )
)

# Most specific first: the first match names the reason.
BLOCKED_NETWORKS: tuple[tuple[IPNetwork, str], ...] = tuple(
    (_net(n), reason)
    for n, reason in (
        ("0.0.0.0/8", "an unspecified ('this network') address"),
        ("10.0.0.0/8", "a private address"),
        ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address"),
        ("172.16.0.0/12", "a private address"),
        ("192.0.0.0/24", "an IETF protocol assignment address"),
        ("192.0.2.0/24", "a documentation address"),
        ("192.88.99.0/24", "a 6to4 relay address"),
        ("192.168.0.0/16", "a private address"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("224.0.0.0/4", "a multicast address"),
        ("255.255.255.255/32", "the broadcast address"),
        ("240.0.0.0/4", "a reserved address"),
        ("::/128", "the unspecified address"),
        ("::1/128", "a loopback address"),
        ("::/96", "an IPv4-compatible address (deprecated)"),
        ("::ffff:0:0:0/96", "an IPv4-translated address"),
        ("64:ff9b:1::/48", "a local-use NAT64 address"),
        ("100::/64", "a discard-only address"),
        ("2001::/32", "a Teredo address"),
        ("2001:2::/48", "a benchmarking address"),
        ("2001:db8::/32", "a documentation address"),
        ("2001::/23", "an IETF protocol assignment address"),
        ("2002::/16", "a 6to4 address"),
        ("3fff::/20", "a documentation address"),
        ("5f00::/16", "a segment-routing address"),
        ("fc00::/7", "a unique-local address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local address (deprecated)"),
        ("ff00::/8", "a multicast address"),
    )
)

_MAPPED = _net("::ffff:0:0/96")
_NAT64 = _net("64:ff9b::/96")
_NAT64_LOCAL = _net("64:ff9b:1::/48")
_COMPATIBLE = _net("::/96")
_TRANSLATED = _net("::ffff:0:0:0/96")
# Wrappers that are exactly their IPv4 address on the wire: the IPv4 form decides.
_TRANSPARENT = (_MAPPED, _NAT64)

_LABEL = re.compile(r"^[a-z0-9_-]+$")
_DECIMAL_OCTET = re.compile(r"^(0|[1-9][0-9]{0,2})$")
_HEX_NUMBER = re.compile(r"^0x[0-9a-f]*$")


class UrlRefused(ValueError):
    """The URL may not be used as a webhook target; `reason` is fit for a 400 message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SsrfPolicy:
    allow_http: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_values(cls, *, allow_http: bool, allowed_networks: Iterable[str]) -> SsrfPolicy:
        """Parse CIDRs (or single addresses); a bad entry raises ValueError naming it."""
        networks = []
        for entry in allowed_networks:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(f"not a network: {entry!r}") from None
        return cls(allow_http=allow_http, allowed_networks=tuple(networks))


def policy_from_env(environ: Mapping[str, str] = os.environ) -> SsrfPolicy:
    """`J1MSKY_WEBHOOK_ALLOW_HTTP` (bool) and `J1MSKY_WEBHOOK_ALLOWED_NETWORKS` (CIDRs, comma
    or space separated)."""
    allow_http = environ.get("J1MSKY_WEBHOOK_ALLOW_HTTP", "").strip().lower() in TRUE_VALUES
    raw = environ.get("J1MSKY_WEBHOOK_ALLOWED_NETWORKS", "")
    entries = [e for e in re.split(r"[,\s]+", raw) if e]
    return SsrfPolicy.from_values(allow_http=allow_http, allowed_networks=entries)


@dataclass(frozen=True)
class CheckedUrl:
    """A URL that passed the guard, with the addresses to connect to (in resolver order)."""

    scheme: str
    host: str  # lower-case ASCII host name, or an IP address without brackets
    port: int
    target: str  # path and query, as given; starts with "/"
    addresses: tuple[str, ...]

    @property
    def host_is_ip(self) -> bool:
        return _parse_ip(self.host) is not None

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def url_check(
    url: str, *, policy: SsrfPolicy, resolver: Resolver = socket.getaddrinfo
) -> CheckedUrl:
    """Check the URL's shape, resolve its host once, check every address; raise UrlRefused."""
    scheme, host, port, target = _url_parts(url, policy)
    literal = _parse_ip(host)
    if literal is not None:
        addresses: tuple[IPAddress, ...] = (literal,)
    else:
        addresses = _resolve(host, port, resolver)
    for address in addresses:
        reason = address_refusal(address, policy.allowed_networks)
        if reason is not None:
            where = "URL points to" if literal is not None else f"host {host} resolves to"
            raise UrlRefused(f"{where} {reason}")
    return CheckedUrl(scheme, host, port, target, tuple(str(a) for a in addresses))


def address_refusal(address: IPAddress, allowed: Sequence[IPNetwork] = ()) -> str | None:
    """Why `address` may not be connected to, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return f"{address}, a scoped IPv6 address"
        for kind, embedded in embedded_ipv4(address):
            reason = _plain_refusal(embedded, allowed)
            if reason is not None:
                return f"{address}, which embeds {embedded} ({kind}), {reason}"
        if any(address in net for net in _TRANSPARENT):
            return None
    reason = _plain_refusal(address, allowed)
    return None if reason is None else f"{address}, {reason}"


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, each with the name of its wrapping."""
    value = int(address)
    low32 = ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        return [("IPv4-mapped", address.ipv4_mapped)]
    if address in _NAT64:
        return [("NAT64", low32)]
    if address in _NAT64_LOCAL:  # RFC 6052 /48: octets in bits 48-63 and 72-87
        high, low = (value >> 64) & 0xFFFF, (value >> 40) & 0xFFFF
        return [("local-use NAT64", ipaddress.IPv4Address((high << 16) | low))]
    if address.sixtofour is not None:
        return [("6to4", address.sixtofour)]
    if address.teredo is not None:
        server, client = address.teredo
        return [("Teredo server", server), ("Teredo client", client)]
    if address in _TRANSLATED:
        return [("IPv4-translated", low32)]
    if address in _COMPATIBLE and value > 1:
        return [("IPv4-compatible", low32)]
    return []


def _plain_refusal(address: IPAddress, allowed: Sequence[IPNetwork]) -> str | None:
    if any(address in net for net in METADATA_NETWORKS if net.version == address.version):
        return "a cloud metadata address"
    if any(address in net for net in allowed if net.version == address.version):
        return None
    for net, reason in BLOCKED_NETWORKS:
        if net.version == address.version and address in net:
            return reason
    if not address.is_global or address.is_multicast or address.is_reserved:
        return "not a public address"
    return None


def _url_parts(url: str, policy: SsrfPolicy) -> tuple[str, str, int, str]:
    if not isinstance(url, str) or not url:
        raise UrlRefused("URL is required")
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"URL is longer than {MAX_URL_LENGTH} characters")
    if any(c <= " " or c == "\x7f" or c == "\\" for c in url):
        raise UrlRefused("URL must not contain spaces, backslashes or control characters")
    if "#" in url:
        raise UrlRefused("URL must not contain a fragment (#...)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"URL is malformed: {exc}") from None
    allowed_schemes = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme not in allowed_schemes:
        raise UrlRefused("URL must use https" if not policy.allow_http else "URL must use http(s)")
    if "@" in parts.netloc:
        raise UrlRefused("URL must not contain credentials (user:password@)")
    if not parts.netloc or not parts.hostname:
        raise UrlRefused("URL must name a host")
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    elif not 1 <= port <= 65535:
        raise UrlRefused("URL port must be between 1 and 65535")
    bracketed = parts.netloc.startswith("[")
    host = _host_normalise(parts.hostname, bracketed=bracketed)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not target.startswith("/"):
        raise UrlRefused("URL path must start with /")
    return parts.scheme, host, port, target


def _host_normalise(host: str, *, bracketed: bool) -> str:
    if bracketed:
        if "%" in host:
            raise UrlRefused("URL must not carry an IPv6 zone (%...)")
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            raise UrlRefused("URL host is not a valid IPv6 address") from None
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise UrlRefused("URL host is not a valid domain name") from None
    host = host.lower().removesuffix(".")
    if len(host) > MAX_HOST_LENGTH:
        raise UrlRefused(f"URL host is longer than {MAX_HOST_LENGTH} characters")
    labels = host.split(".")
    for label in labels:
        if not _LABEL.match(label):
            raise UrlRefused("URL host contains an empty label or invalid characters")
        if len(label) > MAX_LABEL_LENGTH:
            raise UrlRefused(f"URL host has a label longer than {MAX_LABEL_LENGTH} characters")
    if _looks_numeric(labels[-1]) and not _is_dotted_decimal(labels):
        # Browsers and inet_aton read such hosts as IPv4 (hex, octal, short forms): only the
        # plain dotted-decimal form is accepted, and it is then checked as an address.
        raise UrlRefused("URL IP address must be written as four decimal numbers (a.b.c.d)")
    return host


def _looks_numeric(label: str) -> bool:
    return label.isdigit() or _HEX_NUMBER.match(label) is not None


def _is_dotted_decimal(labels: list[str]) -> bool:
    return len(labels) == 4 and all(_DECIMAL_OCTET.match(x) and int(x) < 256 for x in labels)


def _parse_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _resolve(host: str, port: int, resolver: Resolver) -> tuple[IPAddress, ...]:
    try:
        answers = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UrlRefused(f"host {host} does not resolve") from None
    addresses: list[IPAddress] = []
    for family, *_rest, sockaddr in answers:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        text = str(sockaddr[0])
        scope = sockaddr[3] if family == socket.AF_INET6 and len(sockaddr) > 3 else 0
        if scope and "%" not in text:
            text = f"{text}%{scope}"
        address = _parse_ip(text)
        if address is None:
            raise UrlRefused(f"host {host} resolves to something that is not an IP address")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UrlRefused(f"host {host} does not resolve")
    return tuple(addresses)
