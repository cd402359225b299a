"""The Python client's security and privacy calls against the real application, in process
(httpx's WSGI transport over Django's handler): allowlist, blocks, audit, export, purge, and
signed requests."""

from __future__ import annotations

import httpx
import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from j1msky.sdk import Agency, AuthenticationError, ConflictError, PermissionDeniedError
from security.models import AuditLog, IpBlock

pytestmark = pytest.mark.django_db

ME = "127.0.0.1"  # the WSGI transport's client address


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: a request must not close the test's open transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def agency_for(client, *, signing_secret: str | None = None, remote: str = ME) -> Agency:
    transport = httpx.WSGITransport(app=get_wsgi_application(), remote_addr=remote)
    return Agency(
        api_key=client.secret,
        base_url="http://testserver",
        signing_secret=signing_secret,
        max_retries=0,
        http_client=httpx.Client(transport=transport),
    )


def test_allowlist_blocks_and_audit_through_the_client(admin_client):
    agency = agency_for(admin_client)
    saved = agency.security.set_ip_whitelist(["127.0.0.0/8", "2001:db8::/32"], enforce=True)
    assert saved.allowed_ips == ["127.0.0.0/8", "2001:db8::/32"] and saved.your_ip == ME
    assert agency.security.ip_whitelist().enforced is True
    with pytest.raises(ConflictError) as locked:
        agency.security.set_ip_whitelist(["10.0.0.0/8"])
    assert locked.value.type == "ip_lockout_refused"

    blocked = agency.security.block_ip("198.51.100.7", reason="scraping", duration_hours=2)
    assert blocked.status == "active" and blocked.network == "198.51.100.7/32"
    assert [b.block_id for b in agency.security.blocks(status="active")] == [blocked.block_id]
    assert agency.security.unblock(blocked.block_id).status == "lifted"
    assert IpBlock.objects.get().lifted_by == f"key:{admin_client.key.key_id}"

    config = agency.security.configure_audit(log_level="verbose", retention_days=30)
    assert (config.log_level, config.retention_days) == ("verbose", 30)
    assert agency.security.audit_config().enabled is True
    changes = list(agency.security.audit_logs(event="config.change"))
    assert {e.resource["type"] for e in changes} >= {"ip_whitelist", "ip_block", "audit_config"}
    assert all(e.api_key_id == admin_client.key.key_id for e in changes)


def test_a_non_staff_owner_reads_but_cannot_change(make_client):
    agency = agency_for(make_client(["admin:write"]))
    assert agency.security.ip_whitelist().enforce is False
    with pytest.raises(PermissionDeniedError) as refused:
        agency.security.block_ip("198.51.100.8")
    assert refused.value.type == "insufficient_privileges"


def test_export_and_purge_through_the_client(make_client):
    client = make_client()
    agency = agency_for(client)
    agent = agency.spawn(model="k2p5", task="Email jane@example.com the summary")
    export = agency.privacy_export()
    (row,) = export.records["agents"]
    assert row["agent_id"] == agent.agent_id
    assert row["task"] == "Email jane@example.com the summary"
    assert [k["key_id"] for k in export.records["api_keys"]] == [client.key.key_id]
    purged = agency.purge(agent.agent_id)
    assert purged.message == "Agent content erased" and purged.status == "cancelled"
    assert agency.get(agent.agent_id).task == ""
    assert AuditLog.objects.filter(event="agent.purge", resource_id=agent.agent_id).exists()


def test_the_clients_signatures_are_accepted_by_the_server(make_client):
    client = make_client(require_signature=True)
    secret = client.key.signing_secret
    signed = agency_for(client, signing_secret=secret)
    agent = signed.spawn(model="k2p5", task="signed spawn", priority="high")
    assert signed.get(agent.agent_id).status == "spawning"
    # a query string with characters the client percent-encodes, signed as sent
    listed = signed.list_page(limit=5, filter={"status": "spawning"}, sort="-created_at")
    assert listed.pagination["total"] == 1
    # two identical calls in one second are stamped apart, never refused as replays
    assert [signed.active().count for _ in range(3)] == [1, 1, 1]
    with pytest.raises(AuthenticationError) as unsigned:
        agency_for(client).active()
    assert unsigned.value.type == "signature_required"
    with pytest.raises(AuthenticationError) as wrong:
        agency_for(client, signing_secret="sigsec_wrong").active()
    assert wrong.value.type == "invalid_signature"
