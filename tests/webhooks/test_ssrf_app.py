"""The SSRF guard at registration (through the API) and again at every delivery: hostile URLs
are refused without a socket opened, a name that resolves elsewhere later is refused then, the
connection goes to the address checked, and a redirect is not followed."""

from __future__ import annotations

import socket

import pytest

from j1msky.models import Event
from tests.webhooks.conftest import deliver, register
from tests.webhooks.receivers import http_receiver, respond_with, tcp_listener
from tests.webhooks.test_ssrf import DNS, HOSTILE, FakeDns, answer
from webhooks.models import Delivery, WebhookEndpoint
from webhooks.services import webhook_create

pytestmark = pytest.mark.django_db

# The guard's hostile URLs that need no made-up DNS answer (literals, numeric forms, schemes,
# shapes), plus names the real resolver answers for: the API sees them as a user would send them.
API_HOSTILE = [
    (url, reason)
    for url, reason in HOSTILE
    if not any(f"//{name}" in url.lower().rstrip(".") for name in DNS if name != "localhost")
    and "unknown.example.test" not in url
] + [
    ("https://localhost:8443/hook", "loopback"),
    ("https://LocalHost./x", "loopback"),
    ("https://[::ffff:7f00:1]/", "IPv4-mapped"),
    ("https://[::ffff:a9fe:a9fe]/latest/meta-data/", "metadata"),
    ("https://169.254.169.254:80/computeMetadata/v1/", "metadata"),
    ("https://0x7f.1/", "four decimal numbers"),
    ("https://3232235777/", "four decimal numbers"),  # 192.168.1.1 as one decimal number
]


@pytest.fixture
def sockets(monkeypatch):
    """Every outgoing connection this process attempts, whatever opens it (all go through
    the socket's connect)."""
    opened: list[object] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self, address):
        opened.append(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        opened.append(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return opened


def test_there_are_at_least_forty_hostile_urls_for_the_api():
    assert len(API_HOSTILE) >= 40


@pytest.mark.parametrize(("url", "reason"), API_HOSTILE, ids=[u[:50] for u, _ in API_HOSTILE])
def test_registration_refuses_a_hostile_url_without_opening_a_socket(owner, sockets, url, reason):
    for kind, events in (("agent", None), ("pricing", ["pricing.quote_generated"])):
        response = register(owner, url, events, kind=kind)
        assert response.status_code == 400, (url, response.content)
        error = response.json()["error"]
        assert error["type"] in ("webhook_url_refused", "validation_error"), error
        if error["type"] == "webhook_url_refused":
            assert reason in error["message"] and error["details"]["url"]
    assert sockets == []
    assert not WebhookEndpoint.objects.exists()


def test_loopback_allowed_by_the_settings_still_refuses_other_private_ranges(
    owner, loopback_allowed
):
    assert register(owner, "http://127.0.0.1:9/").status_code == 201
    for url in (
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/",
        "http://[fd00::1]/",
    ):
        assert register(owner, url).status_code == 400, url


def test_a_name_resolving_to_loopback_is_refused_at_registration(owner):
    dns = FakeDns({"hooks.example.test": answer("93.184.216.34", "127.0.0.1")})
    with pytest.raises(Exception, match=r"127\.0\.0\.1, a loopback address"):
        webhook_create(
            owner=owner.user,
            kind="agent",
            url="https://hooks.example.test/in",
            events=["agent.completed"],
            resolver=dns,
        )
    assert dns.calls == ["hooks.example.test"]


def test_every_delivery_checks_again_and_opens_no_socket_to_a_refused_address(
    owner, loopback_allowed, settings, sockets
):
    with http_receiver() as receiver:
        register(owner, f"http://127.0.0.1:{receiver.port}/")
        settings.J1MSKY_WEBHOOK_ALLOWED_NETWORKS = []  # loopback no longer allowed
        Event.objects.create(type="agent.completed", owner=owner.user, data={})
        deliver()
    assert receiver.requests == [] and sockets == []
    attempt = Delivery.objects.get().attempts.get()
    assert attempt.status_code is None
    assert attempt.error == "refused: URL points to 127.0.0.1, a loopback address"
    assert attempt.next_retry_at is not None


def test_a_name_that_now_resolves_to_a_private_address_is_refused_at_delivery(
    owner, loopback_allowed, sockets
):
    with http_receiver() as receiver:
        url = f"http://hooks.example.test:{receiver.port}/"
        dns = FakeDns({"hooks.example.test": answer("127.0.0.1")})
        webhook_create(
            owner=owner.user, kind="agent", url=url, events=["agent.completed"], resolver=dns
        )
        Event.objects.create(type="agent.completed", owner=owner.user, data={})
        deliver(resolver=FakeDns({"hooks.example.test": answer("10.0.0.7")}))
    assert receiver.requests == [] and sockets == []
    error = Delivery.objects.get().attempts.get().error
    assert error == "refused: host hooks.example.test resolves to 10.0.0.7, a private address"


class Rebinding(FakeDns):
    """Answers the allowed address first and a metadata address on every later question."""

    def __call__(self, host, port, *args, **kwargs):
        self.calls.append(host)
        return answer("127.0.0.1" if len(self.calls) == 1 else "169.254.169.254")


def test_a_dns_answer_that_changes_after_the_check_is_never_asked_again(
    owner, loopback_allowed, sockets
):
    with http_receiver() as receiver:
        url = f"http://rebind.example.test:{receiver.port}/"
        webhook_create(
            owner=owner.user,
            kind="agent",
            url=url,
            events=["agent.completed"],
            resolver=FakeDns({"rebind.example.test": answer("127.0.0.1")}),
        )
        Event.objects.create(type="agent.completed", owner=owner.user, data={})
        dns = Rebinding({})
        deliver(resolver=dns)
    assert dns.calls == ["rebind.example.test"]  # one lookup: checked, then connected to
    assert sockets == [("127.0.0.1", receiver.port)]
    [request] = receiver.requests
    assert request.headers["host"] == f"rebind.example.test:{receiver.port}"
    assert Delivery.objects.get().status == "delivered"


def test_a_redirect_to_loopback_is_not_followed(owner, loopback_allowed):
    with tcp_listener() as target:
        location = f"http://127.0.0.1:{target.port}/internal"
        with http_receiver(respond_with(302, Location=location)) as receiver:
            register(owner, f"http://127.0.0.1:{receiver.port}/")
            Event.objects.create(type="agent.completed", owner=owner.user, data={})
            deliver()
    assert target.connections == 0
    attempt = Delivery.objects.get().attempts.get()
    assert attempt.status_code == 302
    assert attempt.error == f"redirect not followed (to {location})"
    assert Delivery.objects.get().status == "pending"  # a 3xx is a failed attempt, retried
