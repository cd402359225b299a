"""Request rate limits (semantics §6): exact across processes, headers, per-IP guards."""

import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from rest_framework.test import APIClient

from tests.processes import gunicorn_server, subprocess_env

pytestmark = pytest.mark.django_db


def random_ip() -> str:
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


def test_authenticated_responses_carry_rate_limit_headers(admin_client):
    response = admin_client.get("/api/keys")
    limit = int(response["X-RateLimit-Limit"])
    assert limit == 1000
    assert int(response["X-RateLimit-Remaining"]) == limit - 1
    reset = int(response["X-RateLimit-Reset"])
    assert reset % 3600 == 0 and 0 < reset - time.time() <= 3600
    assert response["RateLimit-Policy"] == "1000;w=3600"
    assert response["RateLimit"].startswith("limit=1000, remaining=999, reset=")


def test_over_the_limit_is_429_with_retry_after(make_client, settings):
    settings.J1MSKY_RATE_LIMITS = {**settings.J1MSKY_RATE_LIMITS, "default": 3}
    client = make_client(["admin:write"])
    assert [client.get("/api/keys").status_code for _ in range(3)] == [200] * 3
    refused = client.get("/api/keys")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["type"] == "rate_limited" and error["message"] == "Rate limit exceeded"
    assert int(refused["Retry-After"]) == error["retry_after"] > 0
    assert refused["X-RateLimit-Remaining"] == "0"
    other_key = make_client(["admin:write"], user=client.user)
    assert other_key.get("/api/keys").status_code == 200  # limits are per key


def test_public_routes_are_not_counted_per_key(anon_client):
    response = anon_client.get("/api/health")
    assert not response.has_header("X-RateLimit-Limit")


def test_x_forwarded_for_gives_no_extra_ip_quota(anon_client, settings):
    settings.J1MSKY_IP_RATE_LIMIT = 4
    ip = random_ip()
    statuses = [
        anon_client.get("/api/health", REMOTE_ADDR=ip, HTTP_X_FORWARDED_FOR=random_ip()).status_code
        for _ in range(6)
    ]
    assert statuses == [200] * 4 + [429] * 2


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_counts(anon_client, settings):
    settings.J1MSKY_IP_RATE_LIMIT = 2
    proxy, client_ip = random_ip(), random_ip()
    settings.J1MSKY_TRUSTED_PROXIES = [proxy]
    statuses = [
        anon_client.get(
            "/api/health",
            REMOTE_ADDR=proxy,
            # the left part is the client's to forge; the proxy appended the real address
            HTTP_X_FORWARDED_FOR=f"{random_ip()}, {client_ip}",
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_failed_authentications_lock_the_ip_out(make_client, settings):
    settings.J1MSKY_AUTH_FAILURE_LIMIT = 3
    ip = random_ip()
    good = make_client(["admin:write"])
    guesser = APIClient()
    guesser.credentials(HTTP_AUTHORIZATION="Bearer dev_sk_guess")
    for _ in range(3):
        assert guesser.get("/api/keys", REMOTE_ADDR=ip).status_code == 401
    locked = good.get("/api/keys", REMOTE_ADDR=ip)
    assert locked.status_code == 403
    error = locked.json()["error"]
    assert error["type"] == "auth_locked_out" and error["retry_after"] > 0
    assert error["your_ip"] == ip
    assert good.get("/api/keys", REMOTE_ADDR=random_ip()).status_code == 200

    from security.models import AuditLog

    assert AuditLog.objects.filter(event="security.violation", ip_address=ip).count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_2l_concurrent_requests_across_two_servers_admit_exactly_l(make_client):
    limit = 40
    client = make_client(["admin:write"])
    env = subprocess_env(J1MSKY_RATE_LIMIT_DEFAULT=str(limit))
    headers = {"Authorization": f"Bearer {client.secret}"}
    with (
        gunicorn_server(workers=2, threads=8, env=env) as a,
        gunicorn_server(workers=2, threads=8, env=env) as b,
    ):
        clients = [httpx.Client(base_url=u, timeout=60, headers=headers) for u in (a, b)]
        try:
            with ThreadPoolExecutor(max_workers=40) as pool:
                responses = list(
                    pool.map(lambda i: clients[i % 2].get("/api/keys"), range(2 * limit))
                )
        finally:
            for c in clients:
                c.close()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * limit + [429] * limit
    for r in responses:
        assert r.headers["X-RateLimit-Limit"] == str(limit)
        if r.status_code == 429:
            assert r.headers["X-RateLimit-Remaining"] == "0"
            assert int(r.headers["Retry-After"]) == r.json()["error"]["retry_after"] > 0
    remaining = sorted(
        int(r.headers["X-RateLimit-Remaining"]) for r in responses if r.status_code == 200
    )
    assert remaining == list(range(limit))


def test_a_down_counter_store_is_503_for_keyed_requests_and_never_500(
    make_client, anon_client, settings, monkeypatch
):
    import redis

    from j1msky.api import ratelimit

    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setattr(ratelimit, "_redis_client", redis.Redis.from_url(settings.REDIS_URL))
    client = make_client(["admin:write"])
    response = client.get("/api/keys")
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "service_unavailable"
    health = anon_client.get("/api/health")  # the per-IP guard fails open; health reports
    assert health.status_code == 200
    assert health.json()["checks"]["broker"]["ok"] is False
