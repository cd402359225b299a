"""The IP allowlist and blocks (semantics §12.2, §12.3, §12.7): who may reach the service."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone

from j1msky.models import Event
from security.models import AuditLog, IpAllowlist, IpBlock
from security.tasks import security_expire
from tests.routes import api_routes, concrete

pytestmark = pytest.mark.django_db

HEALTH = {"/api/health", "/api/v1/health"}


def random_ip(prefix: str = "10") -> str:
    """A random IPv4 address starting with `prefix` (one or more octets)."""
    missing = 4 - len(prefix.split("."))
    return ".".join([prefix, *(str(secrets.randbelow(250) + 1) for _ in range(missing))])


@pytest.fixture
def proxy(settings):
    """A trusted reverse proxy: requests through it are judged by X-Forwarded-For."""
    address = random_ip("172.16")
    settings.J1MSKY_TRUSTED_PROXIES = [address]
    return address


def via(proxy: str, client_ip: str) -> dict[str, str]:
    return {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": f"{random_ip()}, {client_ip}"}


def allow(client, networks, *, from_ip: str, enforce=True, **extra):
    return client.put(
        "/api/security/ip-whitelist",
        {"allowed_ips": networks, "enforce": enforce, **extra},
        format="json",
        REMOTE_ADDR=from_ip,
    )


def every_request():
    """(method, path) for every served route, both base paths, and the pages outside the API."""
    for route, _view, methods in api_routes():
        for method in methods:
            yield method, concrete(route)
    for path in ("/admin/", "/admin/login/", "/static/admin/css/base.css", "/nowhere"):
        yield "GET", path


def test_outside_the_allowlist_every_route_but_health_is_403_with_your_ip(
    admin_client, anon_client, proxy
):
    office = random_ip("192.168")
    assert allow(admin_client, ["192.168.0.0/16"], from_ip=office).status_code == 200
    outsider = random_ip("198.51")
    checked = 0
    for method, path in every_request():
        response = anon_client.generic(method, path, **via(proxy, outsider))
        if path in HEALTH:
            assert response.status_code == 200, path
            continue
        assert response.status_code == 403, (method, path, response.content)
        error = response.json()["error"]
        assert error["type"] == "ip_not_allowed", (method, path)
        assert error["message"] == "IP not whitelisted"
        assert error["your_ip"] == outsider and error["request_id"].startswith("req_")
        checked += 1
    assert checked > 50
    # An address inside it, through the same proxy, is served.
    assert admin_client.get("/api/keys", **via(proxy, office)).status_code == 200


def test_x_forwarded_for_from_an_untrusted_peer_changes_nothing(admin_client, anon_client, proxy):
    office = random_ip("192.168")
    allow(admin_client, ["192.168.0.0/16"], from_ip=office)
    outsider = random_ip("198.51")
    # The peer itself is allowed, and not a proxy: the header it adds is not believed.
    forged = {"REMOTE_ADDR": office, "HTTP_X_FORWARDED_FOR": outsider}
    for method, path in every_request():
        response = anon_client.generic(method, path, **forged)
        body = response.json() if response["Content-Type"].startswith("application/json") else {}
        assert body.get("error", {}).get("type") != "ip_not_allowed", (method, path)
    assert admin_client.get("/api/keys", **forged).status_code == 200
    # And an outsider cannot get in by claiming an allowed address.
    spoof = {"REMOTE_ADDR": outsider, "HTTP_X_FORWARDED_FOR": office}
    assert admin_client.get("/api/keys", **spoof).status_code == 403


def test_the_allowlist_reads_back_with_cidrs_v6_and_the_callers_address(admin_client):
    me = random_ip()
    response = allow(
        admin_client,
        ["10.0.0.0/8", "203.0.113.45", "2001:db8::/32", "2001:db8::1", " 192.168.1.7/24 "],
        from_ip=me,
        log_violations=False,
    )
    assert response.status_code == 200, response.content
    body = admin_client.get("/api/security/ip-whitelist", REMOTE_ADDR=me).json()
    assert body["allowed_ips"] == [
        "10.0.0.0/8",
        "203.0.113.45/32",
        "2001:db8::/32",
        "2001:db8::1/128",
        "192.168.1.0/24",
    ]
    assert body["enforce"] is True and body["enforced"] is True
    assert body["log_violations"] is False
    assert body["your_ip"] == me and body["environment_ips"] == []
    assert body["updated_by"] == f"key:{admin_client.key.key_id}"
    # v6 clients inside and outside
    assert admin_client.get("/api/keys", REMOTE_ADDR="2001:db8:5::9").status_code == 200
    assert admin_client.get("/api/keys", REMOTE_ADDR="2001:db9::1").status_code == 403
    # a dual-stack socket's IPv4-mapped address is the IPv4 address it is
    assert admin_client.get("/api/keys", REMOTE_ADDR="::ffff:203.0.113.45").status_code == 200


def test_a_change_that_would_lock_out_the_caller_is_409_and_changes_nothing(admin_client):
    me = random_ip("192.0")
    response = allow(admin_client, ["10.0.0.0/8"], from_ip=me)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["type"] == "ip_lockout_refused" and error["your_ip"] == me
    assert not IpAllowlist.objects.exists()
    assert allow(admin_client, [], from_ip=me).status_code == 409  # enforce with nothing allowed
    assert allow(admin_client, [], from_ip=me, enforce=False).status_code == 200
    assert admin_client.get("/api/keys", REMOTE_ADDR=me).status_code == 200


@pytest.mark.parametrize(
    ("entries", "bad"),
    [(["10.0.0.0/33"], 0), (["10.0.0.1", "not-an-ip"], 1), (["1.2.3.4/8/9"], 0), ([""], 0)],
)
def test_bad_entries_are_400_naming_them(admin_client, entries, bad):
    response = allow(admin_client, entries, from_ip=random_ip())
    assert response.status_code == 400
    error = response.json()["error"]
    named = any(name.startswith("allowed_ips") for name in error["details"])
    assert f"Entry {bad}" in error["message"] or named
    assert not IpAllowlist.objects.exists()


def test_only_a_staff_owners_key_changes_the_allowlist_and_blocks(make_client):
    owner = make_client(["admin:write"])
    me = random_ip()
    assert allow(owner, ["10.0.0.0/8"], from_ip=me).status_code == 403
    assert owner.get("/api/security/ip-whitelist").status_code == 200
    refused = owner.post("/api/security/block-ip", {"ip": random_ip("198.51")}, format="json")
    assert refused.json()["error"]["type"] == "insufficient_privileges"
    assert not IpBlock.objects.exists() and not IpAllowlist.objects.exists()


def test_the_environments_allowlist_is_enforced_and_the_api_only_adds(admin_client, settings):
    settings.J1MSKY_ALLOWED_IPS = ["192.0.2.0/24"]
    inside, outsider = "192.0.2.10", random_ip("198.51")
    assert admin_client.get("/api/keys", REMOTE_ADDR=inside).status_code == 200
    assert admin_client.get("/api/keys", REMOTE_ADDR=outsider).status_code == 403
    # the API may not switch it off: enforce false still refuses outsiders
    assert allow(admin_client, [], from_ip=inside, enforce=False).status_code == 200
    assert admin_client.get("/api/keys", REMOTE_ADDR=outsider).status_code == 403
    body = admin_client.get("/api/security/ip-whitelist", REMOTE_ADDR=inside).json()
    assert body["environment_ips"] == ["192.0.2.0/24"] and body["enforced"] is True
    # it can add an address
    assert allow(admin_client, [outsider], from_ip=inside, enforce=False).status_code == 200
    assert admin_client.get("/api/keys", REMOTE_ADDR=outsider).status_code == 200


def test_a_refused_address_is_audited_and_on_the_staff_feed_once_a_minute(admin_client):
    me, outsider = random_ip("192.168"), random_ip("198.51")
    allow(admin_client, ["192.168.0.0/16"], from_ip=me)
    for _ in range(5):
        assert admin_client.get("/api/agents", REMOTE_ADDR=outsider).status_code == 403
    rows = AuditLog.objects.filter(event="security.violation", ip_address=outsider)
    assert rows.count() == 1
    row = rows.get()
    assert row.severity == "warning" and row.actor == "system"
    assert row.details["reason"] == "ip_not_allowed" and row.details["path"] == "/api/agents"
    events = admin_client.get("/api/events", {"type": "security.violation"}, REMOTE_ADDR=me)
    data = [e["data"] for e in events.json()["data"]]
    assert [d["ip"] for d in data if d["reason"] == "ip_not_allowed"] == [outsider]
    assert Event.objects.get(type="security.violation").owner is None


def test_log_violations_without_enforce_records_but_serves(admin_client):
    me, outsider = random_ip("192.168"), random_ip("198.51")
    allow(admin_client, ["192.168.0.0/16"], from_ip=me, enforce=False)
    assert admin_client.get("/api/keys", REMOTE_ADDR=outsider).status_code == 200
    row = AuditLog.objects.get(event="security.violation", ip_address=outsider)
    assert row.details["enforced"] is False
    allow(admin_client, ["192.168.0.0/16"], from_ip=me, enforce=True, log_violations=False)
    quiet = random_ip("198.51")
    assert admin_client.get("/api/keys", REMOTE_ADDR=quiet).status_code == 403
    assert not AuditLog.objects.filter(event="security.violation", ip_address=quiet).exists()


def test_a_change_is_audited_as_config_change(admin_client):
    me = random_ip()
    allow(admin_client, ["10.0.0.0/8"], from_ip=me)
    row = AuditLog.objects.get(event="config.change", resource_type="ip_whitelist")
    assert row.api_key_id == admin_client.key.key_id and row.ip_address == me
    assert row.details["after"] == {"allowed_ips": ["10.0.0.0/8"], "enforce": True}


# --- blocks ----------------------------------------------------------------------------------


def block(client, ip, *, from_ip=None, **extra):
    return client.post(
        "/api/security/block-ip",
        {"ip": ip, "reason": "suspicious_activity", **extra},
        format="json",
        REMOTE_ADDR=from_ip or random_ip("192.168"),
    )


def test_a_blocked_address_is_refused_everywhere_but_health_until_lifted(admin_client, anon_client):
    bad = random_ip("198.51")
    created = block(admin_client, bad, duration_hours=24)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["network"] == f"{bad}/32" and body["status"] == "active"
    expires = timezone.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=23, minutes=59) < expires - timezone.now() <= timedelta(hours=24)

    refused = anon_client.get("/api/agents", REMOTE_ADDR=bad)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["type"] == "ip_blocked" and error["your_ip"] == bad
    assert error["blocked_until"] == body["expires_at"]
    assert anon_client.get("/admin/login/", REMOTE_ADDR=bad).status_code == 403
    assert anon_client.get("/api/health", REMOTE_ADDR=bad).status_code == 200
    assert admin_client.get("/api/keys", REMOTE_ADDR=random_ip("198.51")).status_code == 200

    listed = admin_client.get("/api/security/blocks", {"status": "active"}).json()["data"]
    assert [b["block_id"] for b in listed] == [body["block_id"]]
    lifted = admin_client.delete(f"/api/security/blocks/{body['block_id']}")
    assert lifted.status_code == 200 and lifted.json()["status"] == "lifted"
    assert anon_client.get("/api/health", REMOTE_ADDR=bad).status_code == 200
    assert admin_client.get("/api/keys", REMOTE_ADDR=bad).status_code == 200
    again = admin_client.delete(f"/api/security/blocks/{body['block_id']}")
    assert again.status_code == 409 and again.json()["error"]["type"] == "block_not_active"

    actions = list(
        AuditLog.objects.filter(resource_type="ip_block").values_list("details", flat=True)
    )
    assert sorted(d["action"] for d in actions) == ["block", "unblock"]
    violation = AuditLog.objects.get(event="security.violation", ip_address=bad)
    assert violation.details["reason"] == "ip_blocked"


def test_a_network_block_covers_its_addresses_and_expires_by_itself(admin_client):
    created = block(admin_client, "198.51.100.0/24", duration_hours=1).json()
    inside = "198.51.100.77"
    assert admin_client.get("/api/keys", REMOTE_ADDR=inside).status_code == 403
    IpBlock.objects.filter(block_id=created["block_id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert admin_client.get("/api/keys", REMOTE_ADDR=inside).status_code == 200
    assert security_expire()["blocks_expired"] == 1
    assert security_expire()["blocks_expired"] == 0  # recorded once
    row = AuditLog.objects.get(resource_type="ip_block", actor="system")
    assert row.details["action"] == "expired"
    detail = admin_client.get(f"/api/security/blocks/{created['block_id']}").json()
    assert detail["status"] == "expired"


def test_blocking_your_own_address_is_409(admin_client):
    me = random_ip("192.168")
    response = block(admin_client, me, from_ip=me)
    assert response.status_code == 409 and response.json()["error"]["your_ip"] == me
    response = block(admin_client, "192.168.0.0/16", from_ip=me)
    assert response.status_code == 409
    assert not IpBlock.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ip": "nope"}, "ip"),
        ({"ip": "10.0.0.1", "duration_hours": 0}, "duration_hours"),
        ({"ip": "10.0.0.1", "duration_hours": "x"}, "duration_hours"),
        ({}, "ip"),
    ],
)
def test_bad_block_input_is_400(admin_client, body, field):
    response = admin_client.post("/api/security/block-ip", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not IpBlock.objects.exists()


def test_an_unknown_block_is_404(admin_client):
    response = admin_client.delete("/api/security/blocks/blk_nothing")
    assert response.status_code == 404 and response.json()["error"]["type"] == "block_not_found"


# --- every protection that fires leaves an audit row and an event -----------------------------


def test_the_lock_out_and_the_ip_ceiling_are_audited_and_on_the_staff_feed(
    admin_client, anon_client, make_client, settings
):
    settings.J1MSKY_AUTH_FAILURE_LIMIT = 2
    settings.J1MSKY_IP_RATE_LIMIT = 3
    guesser, flooder = random_ip("198.51"), random_ip("198.51")
    for _ in range(3):
        anon_client.get(
            "/api/agents", HTTP_AUTHORIZATION="Bearer dev_sk_guess", REMOTE_ADDR=guesser
        )
    for _ in range(5):
        anon_client.get("/api/health", REMOTE_ADDR=flooder)
    reasons = {
        row.ip_address: row.details["reason"]
        for row in AuditLog.objects.filter(event="security.violation")
    }
    assert reasons == {guesser: "auth_lockout", flooder: "ip_rate_limited"}
    settings.J1MSKY_IP_RATE_LIMIT = settings.J1MSKY_AUTH_FAILURE_LIMIT = 10**9
    feed = admin_client.get("/api/events", {"type": "security.violation"}).json()["data"]
    assert {(e["data"]["reason"], e["data"]["ip"]) for e in feed} == {
        ("auth_lockout", guesser),
        ("ip_rate_limited", flooder),
    }
    # an owner that is not staff does not see the system's events
    owner = make_client(["agents:read"])
    assert owner.get("/api/events", {"type": "security.violation"}).json()["data"] == []
