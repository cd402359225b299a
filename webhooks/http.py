"""One webhook delivery attempt over HTTP(S), pinned to the addresses the SSRF guard checked.

`webhook_post` runs the guard (one DNS lookup), then connects to a checked IP address while
sending the original `Host` header and using the host name for TLS SNI and certificate checks.
The network backend refuses any address the guard did not pass, so no socket is ever opened to
one. Redirects are not followed (a 3xx is a failed attempt); the whole attempt, from lookup to
the last byte read, fits in `DeliveryTimeout.total`; at most `read_limit` bytes of the response
body are read. No Django import.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

import certifi
import httpcore

from webhooks.ssrf import CheckedUrl, Resolver, SsrfPolicy, UrlRefused, address_refusal, url_check

DEFAULT_READ_LIMIT = 4096
USER_AGENT = "J1MSKY-Webhooks/1"

_TIMEOUTS = (httpcore.TimeoutException, TimeoutError)
_FAILURES = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    ssl.SSLError,
    OSError,
)


@dataclass(frozen=True)
class DeliveryTimeout:
    connect: float = 5.0  # seconds to open the connection (and finish TLS)
    total: float = 15.0  # seconds for the whole attempt, lookup included


@dataclass(frozen=True)
class DeliveryResult:
    status_code: int | None  # None when no response arrived
    duration_ms: int
    excerpt: str  # the start of the response body (at most read_limit bytes), for the log
    error: str  # empty when the receiver answered without transport trouble
    address: str = ""  # the checked IP address the attempt connected to

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error


class AddressRefused(httpcore.ConnectError):
    """The network backend was asked for an address the guard did not pass."""


def webhook_post(
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    policy: SsrfPolicy,
    resolver: Resolver = socket.getaddrinfo,
    timeout: DeliveryTimeout = DeliveryTimeout(),
    read_limit: int = DEFAULT_READ_LIMIT,
    ssl_context: ssl.SSLContext | None = None,
) -> DeliveryResult:
    """POST `body` to `url`; never raises for network trouble, which lands in `error`."""
    started = time.monotonic()
    deadline = started + timeout.total
    try:
        checked = url_check(url, policy=policy, resolver=resolver)
    except UrlRefused as exc:
        return DeliveryResult(None, _elapsed_ms(started), "", f"refused: {exc.reason}")
    result = DeliveryResult(None, 0, "", "no address to connect to")
    for index, address in enumerate(checked.addresses):
        status, excerpt, error = _post_to(
            checked,
            address,
            body=body,
            headers=headers,
            policy=policy,
            connect_timeout=timeout.connect,
            deadline=deadline,
            read_limit=read_limit,
            ssl_context=ssl_context,
        )
        result = DeliveryResult(status, _elapsed_ms(started), excerpt, error, address)
        connect_failed = status is None and error.startswith(("connection failed", "connect "))
        more = index + 1 < len(checked.addresses) and time.monotonic() < deadline
        if not (connect_failed and more):
            break
    return result


def _extensions(checked: CheckedUrl, *, connect_timeout: float, deadline: float) -> dict:
    """The attempt's timeouts (each bounded by what is left of its deadline) and its SNI name."""
    remaining = max(deadline - time.monotonic(), 0.001)
    extensions: dict[str, object] = {
        "timeout": {
            "connect": min(connect_timeout, remaining),
            "read": remaining,
            "write": remaining,
            "pool": remaining,
        }
    }
    if checked.scheme == "https" and not checked.host_is_ip:
        extensions["sni_hostname"] = checked.host
    return extensions


def _post_to(
    checked: CheckedUrl,
    address: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    policy: SsrfPolicy,
    connect_timeout: float,
    deadline: float,
    read_limit: int,
    ssl_context: ssl.SSLContext | None,
) -> tuple[int | None, str, str]:
    """(status, excerpt, error) of one attempt against one address, on a connection of its own
    that is closed at the end. httpcore without an httpx client: no redirects, cookies, proxies
    or pooling are wanted, and the client's work per request was most of an attempt's CPU."""
    backend = PinnedNetworkBackend([address], policy=policy, deadline=deadline)
    scheme = checked.scheme.encode("ascii")
    origin = httpcore.Origin(scheme, address.encode("ascii"), checked.port)
    connection = httpcore.HTTPConnection(
        origin, ssl_context=ssl_context or _default_ssl_context(), network_backend=backend
    )
    request = httpcore.Request(
        b"POST",
        httpcore.URL(
            scheme=scheme, host=origin.host, port=checked.port, target=_ascii(checked.target)
        ),
        headers=_request_headers(checked, headers, len(body)),
        content=body,
        extensions=_extensions(checked, connect_timeout=connect_timeout, deadline=deadline),
    )
    status: int | None = None
    excerpt = bytearray()  # kept even when reading stops half-way
    try:
        response = connection.handle_request(request)
        try:
            status = response.status
            _read_into(excerpt, response.stream, read_limit)
        finally:
            response.close()
        if 300 <= status < 400:
            location = _header(response.headers, b"location")[:200] or "?"
            return status, _text(excerpt), f"redirect not followed (to {location})"
    except httpcore.ConnectTimeout:
        return status, _text(excerpt), "connect timed out"
    except _TIMEOUTS:
        return status, _text(excerpt), "timed out"
    except _FAILURES as exc:
        stage = "connection failed" if status is None else "reading the response failed"
        return status, _text(excerpt), f"{stage}: {_describe(exc)}"
    finally:
        connection.close()
    return status, _text(excerpt), ""


# Set by the attempt itself: a caller's headers of these names are dropped.
_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "accept-encoding"})


def _request_headers(
    checked: CheckedUrl, headers: Mapping[str, str], length: int
) -> list[tuple[bytes, bytes]]:
    """The request's headers: the URL's host (never a caller's), the body's length, no
    compression asked for, our User-Agent unless the caller names one, then the caller's."""
    given = [(name.lower(), value) for name, value in headers.items()]
    names = {name for name, _ in given}
    own = [
        (b"Host", checked.host_header.encode("ascii")),
        (b"Accept-Encoding", b"identity"),
        (b"Content-Length", str(length).encode("ascii")),
    ]
    for name, default in (("Accept", "*/*"), ("User-Agent", USER_AGENT)):
        if name.lower() not in names:
            own.append((name.encode("ascii"), default.encode("ascii")))
    return own + [
        (name.encode("ascii"), value.encode("utf-8"))
        for name, value in given
        if name not in _OWN_HEADERS
    ]


def _ascii(target: str) -> bytes:
    """The request target as HTTP carries it: characters outside ASCII percent-encoded as UTF-8
    (the guard let no space or control character through)."""
    return "".join(c if c.isascii() else quote(c) for c in target).encode("ascii")


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str:
    """The first value of header `name` (lower-case) in a response, or ""."""
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _read_into(kept: bytearray, chunks: Iterable[bytes], limit: int) -> None:
    """Append chunks to `kept` until it holds `limit` bytes; the rest is never read."""
    for chunk in chunks:
        kept += chunk[: limit - len(kept)]
        if len(kept) >= limit:
            break


class PinnedNetworkBackend(httpcore.NetworkBackend):
    """Connects only to the given, re-checked addresses, and only until `deadline` (monotonic)."""

    def __init__(self, addresses: Iterable[str], *, policy: SsrfPolicy, deadline: float) -> None:
        self._addresses = {str(ipaddress.ip_address(a)) for a in addresses}
        self._policy = policy
        self._deadline = deadline
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise AddressRefused(f"{host} is not a checked address") from None
        reason = address_refusal(address, self._policy.allowed_networks)
        if str(address) not in self._addresses or reason is not None:
            raise AddressRefused(f"{host} is not a checked address ({reason or 'not pinned'})")
        stream = self._backend.connect_tcp(
            str(address),
            port,
            timeout=_within(self._deadline, timeout, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise AddressRefused("unix sockets are not webhook targets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class DeadlineStream(httpcore.NetworkStream):
    """Caps every socket operation at the time left before the attempt's deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within(self._deadline, timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within(self._deadline, timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _within(self._deadline, timeout, httpcore.ConnectTimeout)
        stream = self._stream.start_tls(ssl_context, server_hostname, left)
        return DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


def _within(deadline: float, timeout: float | None, error: type[Exception]) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the delivery's total timeout is spent")
    return left if timeout is None else min(timeout, left)


@lru_cache(maxsize=1)
def _default_ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:300]


def _text(data: bytes | bytearray) -> str:
    return data.decode("utf-8", errors="replace")


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
