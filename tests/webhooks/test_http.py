"""Deliveries against real receivers on loopback addresses: pinned addresses, Host and SNI,
no redirects, read limits, timeouts, and no socket to a refused address."""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.webhooks.receivers import (
    behaviour_drip,
    behaviour_hang,
    http_receiver,
    respond_with,
    tcp_listener,
)
from tests.webhooks.test_ssrf import FakeDns, answer
from tests.webhooks.tls import pki_create
from webhooks.http import (
    AddressRefused,
    DeliveryResult,
    DeliveryTimeout,
    PinnedNetworkBackend,
    webhook_post,
)
from webhooks.signing import signature_headers
from webhooks.ssrf import SsrfPolicy

LOCAL = SsrfPolicy.from_values(allow_http=True, allowed_networks=["127.0.0.0/8", "::1/128"])
HTTP_NO_LOCAL = SsrfPolicy(allow_http=True)
BODY = json.dumps({"event": "agent.completed", "data": {"agent_id": "a1"}}).encode()
HEADERS = {"Content-Type": "application/json"}
QUICK = DeliveryTimeout(connect=2.0, total=5.0)


@pytest.fixture
def connections(monkeypatch):
    """Every TCP connection the process opens, recorded on its way to the real socket call."""
    opened: list[tuple[str, int]] = []
    real = socket.create_connection

    def recording(address, *args, **kwargs):
        opened.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", recording)
    return opened


@pytest.fixture
def lookups(monkeypatch):
    """Every name the process asks the system resolver about."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def recording(host, *args, **kwargs):
        asked.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    return asked


def test_delivery_arrives_with_the_original_host_header_and_body(connections):
    dns = FakeDns({"hooks.example.test": answer("127.0.0.1")})
    headers = {
        **HEADERS,
        **signature_headers(secret="s3cret", message_id="evt_1", timestamp=1, body=BODY),
    }
    with http_receiver(respond_with(204)) as receiver:
        url = f"http://hooks.example.test:{receiver.port}/in/hook?x=1"
        result = webhook_post(url, body=BODY, headers=headers, policy=LOCAL, resolver=dns)
    assert result.delivered, result
    assert (result.status_code, result.error, result.address) == (204, "", "127.0.0.1")
    assert dns.calls == ["hooks.example.test"]
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/in/hook?x=1"
    assert request.headers["host"] == f"hooks.example.test:{receiver.port}"
    assert request.body == BODY
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "evt_1"
    assert request.headers["webhook-signature"] == headers["webhook-signature"]
    assert request.headers["user-agent"].startswith("J1MSKY-Webhooks/")
    assert connections == [("127.0.0.1", receiver.port)]


def test_a_caller_cannot_override_the_host_header():
    with http_receiver() as receiver:
        result = webhook_post(
            f"http://127.0.0.1:{receiver.port}/",
            body=BODY,
            headers={"Host": "internal.example"},
            policy=LOCAL,
        )
    assert result.delivered
    assert receiver.requests[0].headers["host"] == f"127.0.0.1:{receiver.port}"


def test_a_path_outside_ascii_is_sent_percent_encoded():
    with http_receiver() as receiver:
        result = webhook_post(
            f"http://127.0.0.1:{receiver.port}/hooks/bücher?q=é",
            body=BODY,
            headers=HEADERS,
            policy=LOCAL,
        )
    assert result.delivered, result
    assert receiver.requests[0].path == "/hooks/b%C3%BCcher?q=%C3%A9"


def test_delivery_over_ipv6_loopback_when_allowed():
    with http_receiver(host="::1") as receiver:
        result = webhook_post(
            f"http://[::1]:{receiver.port}/v6", body=BODY, headers=HEADERS, policy=LOCAL
        )
    assert result.delivered, result
    assert result.address == "::1"
    assert receiver.requests[0].headers["host"] == f"[::1]:{receiver.port}"


def test_an_error_status_is_a_failed_attempt_with_the_body_excerpt():
    with http_receiver(respond_with(500, b"upstream exploded")) as receiver:
        result = webhook_post(
            f"http://127.0.0.1:{receiver.port}/", body=BODY, headers=HEADERS, policy=LOCAL
        )
    assert (result.status_code, result.excerpt, result.error) == (500, "upstream exploded", "")
    assert not result.delivered
    assert result.duration_ms >= 0


def test_a_redirect_to_another_local_port_is_not_followed():
    with http_receiver() as target:
        location = f"http://127.0.0.1:{target.port}/stolen"
        with http_receiver(respond_with(302, b"moved", Location=location)) as first:
            result = webhook_post(
                f"http://127.0.0.1:{first.port}/", body=BODY, headers=HEADERS, policy=LOCAL
            )
    assert result.status_code == 302
    assert not result.delivered
    assert result.error == f"redirect not followed (to {location})"
    assert len(first.requests) == 1
    assert target.requests == []


def test_a_body_larger_than_the_read_limit_is_cut():
    big = b"x" * 1_000_000
    with http_receiver(respond_with(200, big)) as receiver:
        result = webhook_post(
            f"http://127.0.0.1:{receiver.port}/",
            body=BODY,
            headers=HEADERS,
            policy=LOCAL,
            read_limit=1000,
        )
    assert result.delivered
    assert result.excerpt == "x" * 1000


def test_a_receiver_that_hangs_hits_the_total_timeout():
    with tcp_listener(behaviour_hang) as listener:
        started = time.monotonic()
        result = webhook_post(
            f"http://127.0.0.1:{listener.port}/",
            body=BODY,
            headers=HEADERS,
            policy=LOCAL,
            timeout=DeliveryTimeout(connect=1.0, total=1.0),
        )
        elapsed = time.monotonic() - started
    assert (result.status_code, result.error) == (None, "timed out")
    assert not result.delivered
    assert 0.9 <= elapsed < 3.0
    assert 900 <= result.duration_ms < 3000
    assert listener.connections == 1


def test_a_receiver_that_drips_bytes_cannot_stretch_the_total_timeout():
    """Each read gets a byte well inside any per-read timeout; only the total stops it."""
    with tcp_listener(behaviour_drip) as listener:
        started = time.monotonic()
        result = webhook_post(
            f"http://127.0.0.1:{listener.port}/",
            body=BODY,
            headers=HEADERS,
            policy=LOCAL,
            timeout=DeliveryTimeout(connect=1.0, total=1.0),
        )
        elapsed = time.monotonic() - started
    assert result.error == "timed out"
    assert elapsed < 3.0


def test_https_connects_to_the_pinned_address_and_verifies_the_host_name(tmp_path, lookups):
    pki = pki_create(tmp_path, hostname="hooks.example.test")
    dns = FakeDns({"hooks.example.test": answer("127.0.0.1")})
    with http_receiver(tls=pki.server_context()) as receiver:
        result = webhook_post(
            f"https://hooks.example.test:{receiver.port}/secure",
            body=BODY,
            headers=HEADERS,
            policy=LOCAL,
            resolver=dns,
            ssl_context=pki.client_context(),
        )
    assert result.delivered, result
    assert receiver.server_names == ["hooks.example.test"]  # SNI carried the name
    assert receiver.requests[0].headers["host"] == f"hooks.example.test:{receiver.port}"
    assert receiver.requests[0].body == BODY
    assert dns.calls == ["hooks.example.test"]
    assert "hooks.example.test" not in lookups  # the system resolver never saw the name


def test_https_refuses_a_certificate_for_another_name(tmp_path):
    pki = pki_create(tmp_path, hostname="other.example.test")
    dns = FakeDns({"hooks.example.test": answer("127.0.0.1")})
    with http_receiver(tls=pki.server_context()) as receiver:
        result = webhook_post(
            f"https://hooks.example.test:{receiver.port}/",
            body=BODY,
            headers=HEADERS,
            policy=LOCAL,
            resolver=dns,
            ssl_context=pki.client_context(),
        )
    assert result.status_code is None
    assert "certificate verify failed" in result.error.lower()
    assert receiver.requests == []


def test_https_refuses_a_certificate_from_an_untrusted_authority(tmp_path):
    pki = pki_create(tmp_path, hostname="hooks.example.test")
    dns = FakeDns({"hooks.example.test": answer("127.0.0.1")})
    with http_receiver(tls=pki.server_context()) as receiver:
        result = webhook_post(
            f"https://hooks.example.test:{receiver.port}/",
            body=BODY,
            headers=HEADERS,
            policy=LOCAL,
            resolver=dns,
        )
    assert "certificate verify failed" in result.error.lower()
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("url_of", "dns"),
    [
        (lambda port: f"http://127.0.0.1:{port}/", FakeDns({})),
        (lambda port: f"http://[::ffff:127.0.0.1]:{port}/", FakeDns({})),
        (lambda port: f"http://0x7f000001:{port}/", FakeDns({})),
        (lambda port: f"http://127.1:{port}/", FakeDns({})),
        (
            lambda port: f"http://hooks.example.test:{port}/",
            FakeDns({"hooks.example.test": answer("127.0.0.1")}),
        ),
        (
            lambda port: f"http://hooks.example.test:{port}/",
            FakeDns({"hooks.example.test": answer("93.184.216.34", "127.0.0.1")}),
        ),
    ],
    ids=["literal", "mapped", "hex", "short", "name", "public-and-loopback"],
)
def test_no_socket_is_opened_to_a_refused_address(url_of, dns, connections):
    with tcp_listener() as listener:
        result = webhook_post(
            url_of(listener.port), body=BODY, headers=HEADERS, policy=HTTP_NO_LOCAL, resolver=dns
        )
    assert result == DeliveryResult(None, result.duration_ms, "", result.error, "")
    assert result.error.startswith("refused: ")
    assert listener.connections == 0
    assert connections == []


def test_the_network_backend_itself_refuses_unchecked_addresses(connections):
    with tcp_listener() as listener:
        deadline = time.monotonic() + 5
        unguarded = PinnedNetworkBackend(["127.0.0.1"], policy=HTTP_NO_LOCAL, deadline=deadline)
        with pytest.raises(AddressRefused, match="loopback"):
            unguarded.connect_tcp("127.0.0.1", listener.port)
        pinned = PinnedNetworkBackend(["127.0.0.1"], policy=LOCAL, deadline=deadline)
        with pytest.raises(AddressRefused, match="not pinned"):
            pinned.connect_tcp("127.0.0.2", listener.port)
        with pytest.raises(AddressRefused):
            pinned.connect_tcp("localhost", listener.port)
        with pytest.raises(AddressRefused):
            pinned.connect_unix_socket("/tmp/anything.sock")
    assert listener.connections == 0
    assert connections == []


class ChangingDns:
    """Answers 127.0.0.1 the first time and 127.0.0.2 afterwards (DNS rebinding)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, host, port, *args, **kwargs):
        self.calls += 1
        return answer("127.0.0.1" if self.calls == 1 else "127.0.0.2")


def test_the_name_is_resolved_once_and_the_checked_address_is_used(lookups, connections):
    only_first = SsrfPolicy.from_values(allow_http=True, allowed_networks=["127.0.0.1/32"])
    dns = ChangingDns()
    with http_receiver(host="127.0.0.1") as checked, tcp_listener(host="127.0.0.2") as rebound:
        result = webhook_post(
            f"http://rebind.example.test:{checked.port}/",
            body=BODY,
            headers=HEADERS,
            policy=only_first,
            resolver=dns,
        )
    assert result.delivered, result
    assert dns.calls == 1
    assert len(checked.requests) == 1
    assert rebound.connections == 0
    assert connections == [("127.0.0.1", checked.port)]
    assert "rebind.example.test" not in lookups


def test_an_unreachable_address_falls_through_to_the_next_checked_one(connections):
    with http_receiver(host="127.0.0.1") as receiver:
        # Nothing listens on 127.0.0.3 (the receiver is bound to 127.0.0.1 only).
        dns = FakeDns({"multi.example.test": answer("127.0.0.3", "127.0.0.1")})
        result = webhook_post(
            f"http://multi.example.test:{receiver.port}/",
            body=BODY,
            headers=HEADERS,
            policy=LOCAL,
            resolver=dns,
        )
    assert result.delivered, result
    assert result.address == "127.0.0.1"
    assert len(receiver.requests) == 1
    assert connections == [("127.0.0.3", receiver.port), ("127.0.0.1", receiver.port)]


def test_a_connection_refused_is_reported_without_a_status():
    with tcp_listener() as closed:
        port = closed.port
    result = webhook_post(f"http://127.0.0.1:{port}/", body=BODY, headers=HEADERS, policy=LOCAL)
    assert result.status_code is None
    assert result.error.startswith("connection failed")
    assert not result.delivered


def behaviour_partial_body(conn, stop):
    """Answer 200 with ten of the promised hundred body bytes, then go quiet."""
    conn.settimeout(5)
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
    stop.wait(30)
    conn.close()


def test_a_body_that_stalls_after_a_2xx_is_a_failed_attempt_keeping_the_excerpt():
    with tcp_listener(behaviour_partial_body) as listener:
        result = webhook_post(
            f"http://127.0.0.1:{listener.port}/",
            body=BODY,
            headers=HEADERS,
            policy=LOCAL,
            timeout=DeliveryTimeout(connect=1.0, total=1.0),
        )
    assert (result.status_code, result.excerpt, result.error) == (200, "0123456789", "timed out")
    assert not result.delivered
