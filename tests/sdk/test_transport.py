"""The Python client's HTTP behaviour against a scripted server on 127.0.0.1: errors, retries,
idempotency keys and request signing."""

import time

import pytest

from j1msky.sdk import (
    Agency,
    APIConnectionError,
    APIError,
    AuthenticationError,
    BudgetExceededError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    ValidationError,
)
from j1msky.sdk.transport import api_root, parse_retry_after
from tests.processes import free_port
from tests.sdk.fakeserver import Reply, envelope, fake_api, signature_ok

SPAWNED = {"success": True, "agent_id": "subagent_1_0001", "model": "k2p5", "status": "spawning"}


@pytest.fixture
def api():
    with fake_api() as server:
        yield server


def agency_for(api, **options) -> Agency:
    return Agency(api_key="dev_sk_test", base_url=api.url, **options)


@pytest.mark.parametrize(
    ("base_url", "root"),
    [
        ("http://localhost:8080", "http://localhost:8080/api/"),
        ("http://localhost:8080/", "http://localhost:8080/api/"),
        ("http://localhost:8080/api", "http://localhost:8080/api/"),
        ("http://pi.lan:8080/api/v1/", "http://pi.lan:8080/api/v1/"),
        ("https://example.com/j1msky", "https://example.com/j1msky/api/"),
        ("https://example.com/j1msky/api?x=1#y", "https://example.com/j1msky/api/"),
    ],
)
def test_the_api_root_is_the_server_url_with_api_appended_once(base_url, root):
    assert api_root(base_url) == root


@pytest.mark.parametrize("base_url", ["localhost:8080", "ftp://host/", "http://"])
def test_a_base_url_that_is_not_http_is_refused_up_front(base_url):
    with pytest.raises(ConfigurationError):
        api_root(base_url)


def test_no_api_key_is_a_configuration_error(monkeypatch):
    monkeypatch.delenv("J1MSKY_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="J1MSKY_API_KEY"):
        Agency(base_url="http://localhost:8080")


def test_key_and_url_come_from_the_environment(api, monkeypatch):
    monkeypatch.setenv("J1MSKY_API_KEY", "dev_sk_from_env")
    monkeypatch.setenv("J1MSKY_BASE_URL", api.url)
    api.json("GET", "/api/agents/active", {"agents": [], "count": 0, "total_cost_today": 0})
    assert Agency().active().count == 0
    seen = api.seen("GET", "/api/agents/active")[0]
    assert seen.headers["authorization"] == "Bearer dev_sk_from_env"
    assert seen.headers["user-agent"].startswith("j1msky-sdk-python/")


@pytest.mark.parametrize(
    ("reply", "error_class"),
    [
        (envelope(400, "validation_error", "Task cannot be empty"), ValidationError),
        (envelope(401, "authentication_failed", "Invalid API key"), AuthenticationError),
        (envelope(402, "budget_exceeded", "Daily budget exceeded"), BudgetExceededError),
        (envelope(403, "permission_denied", "Missing required scope"), PermissionDeniedError),
        (envelope(404, "agent_not_found", "Agent x not found"), NotFoundError),
        (envelope(409, "agent_not_cancellable", "Agent is completed"), ConflictError),
        (envelope(410, "gone", "Sunset"), APIError),
        (envelope(500, "internal_error", "Internal error"), ServerError),
    ],
)
def test_each_error_answer_raises_its_typed_error_with_the_envelope(api, reply, error_class):
    api.on("POST", "/api/spawn", reply)
    with pytest.raises(error_class) as caught:
        agency_for(api).spawn(model="k2p5", task="go")
    error = caught.value
    assert type(error) is error_class
    assert error.status == reply.status == error.code
    assert error.type == reply.body["error"]["type"]
    assert error.message == reply.body["error"]["message"]
    assert error.request_id == "req_fake1"
    assert "req_fake1" in str(error) and error.message in str(error)
    assert len(api.requests) == 1  # none of these is retried


def test_a_flat_or_missing_error_body_still_gives_message_and_request_id(api):
    api.on("POST", "/api/spawn", Reply(400, {"success": False, "error": "Task cannot be empty"}))
    api.on("GET", "/api/agents/active", Reply(502, "Bad gateway"))
    agency = agency_for(api, max_retries=0)
    with pytest.raises(ValidationError, match="Task cannot be empty") as flat:
        agency.spawn(model="k2p5", task="")
    assert flat.value.request_id == "req_fakeok"  # from the X-Request-Id header
    with pytest.raises(ServerError, match="HTTP 502"):
        agency.active()


def test_a_429_is_retried_after_its_retry_after_with_the_same_idempotency_key(api):
    api.on(
        "POST",
        "/api/spawn",
        envelope(429, "provider_rate_limited", "Rate limit exceeded", retry_after=1),
        Reply(201, SPAWNED),
    )
    started = time.monotonic()
    agent = agency_for(api).spawn(model="k2p5", task="go")
    assert agent.agent_id == "subagent_1_0001"
    first, second = api.seen("POST", "/api/spawn")
    assert second.at - first.at >= 1.0
    assert time.monotonic() - started >= 1.0
    key = first.headers["idempotency-key"]
    assert len(key) >= 32 and second.headers["idempotency-key"] == key
    assert first.body == second.body


def test_a_503_without_retry_after_backs_off_exponentially(api):
    busy = envelope(503, "service_unavailable", "Retry later")
    api.on("GET", "/api/rate-limits", busy, busy, Reply(200, {"limits": {}}))
    assert agency_for(api).rate_limits() == {"limits": {}}
    first, second, third = api.seen("GET", "/api/rate-limits")
    assert second.at - first.at >= 0.5 and third.at - second.at >= 1.0
    assert "idempotency-key" not in first.headers  # reads carry none


def test_a_retry_after_longer_than_max_retry_wait_raises_at_once(api):
    api.on(
        "POST", "/api/spawn", envelope(429, "rate_limited", "Rate limit exceeded", retry_after=900)
    )
    agency = agency_for(api, max_retry_wait=60)
    waits: list[float] = []
    agency.transport.sleep = waits.append
    with pytest.raises(RateLimitError) as caught:
        agency.spawn(model="k2p5", task="go")
    assert caught.value.retry_after == 900
    assert waits == [] and len(api.requests) == 1


def test_retries_stop_after_max_retries(api):
    api.on("GET", "/api/system", envelope(503, "service_unavailable", "Down", retry_after=0))
    with pytest.raises(ServiceUnavailableError):
        agency_for(api, max_retries=2).system()
    assert len(api.seen("GET", "/api/system")) == 3


def test_an_idempotency_key_still_in_use_is_retried(api):
    api.on(
        "POST",
        "/api/spawn",
        envelope(409, "idempotency_key_in_use", "Request in progress", retry_after=0),
        Reply(201, SPAWNED),
    )
    assert agency_for(api).spawn(model="k2p5", task="go").status == "spawning"
    assert len(api.seen("POST", "/api/spawn")) == 2


def test_every_write_gets_its_own_key_unless_one_is_given(api):
    api.on("POST", "/api/spawn", Reply(201, SPAWNED))
    api.json("DELETE", "/api/agent/subagent_1_0001", {"success": True, "refund": 0.01})
    agency = agency_for(api)
    agency.spawn(model="k2p5", task="one")
    agency.spawn(model="k2p5", task="two")
    agency.spawn(model="k2p5", task="three", idempotency_key="my-key-3")
    agency.cancel("subagent_1_0001")
    keys = [r.headers.get("idempotency-key") for r in api.requests]
    assert keys[2] == "my-key-3"
    assert len(set(keys)) == 4 and all(keys)


def test_an_unreachable_server_is_a_connection_error_after_retries():
    agency = Agency(api_key="k", base_url=f"http://127.0.0.1:{free_port()}", max_retries=1)
    with pytest.raises(APIConnectionError):
        agency.health()


def test_signed_requests_verify_on_the_bytes_the_server_received(api):
    secret = "sig_secret_ü"
    api.on(
        "POST",
        "/api/spawn",
        envelope(503, "service_unavailable", "Busy", retry_after=0),
        Reply(201, SPAWNED),
    )
    api.json("GET", "/api/agents", {"data": [], "pagination": {"cursor": None, "has_more": False}})
    agency = agency_for(api, signing_secret=secret)
    agency.spawn(model="k2p5", task="Écris « un poème » sur les budgets\n— 100 % ✓")
    list(agency.list(status="running", task_contains="a b&c", model_in=["k2p5", "sonnet"]))
    assert len(api.requests) == 3
    for seen in api.requests:
        assert signature_ok(seen, secret), seen.raw_path
        assert abs(int(seen.headers["x-timestamp"]) - time.time()) <= 2
    listed = api.requests[2]
    assert "?" in listed.raw_path and listed.query["task_contains"] == "a b&c"
    # the retry was signed afresh: the server refuses a signature it has already seen
    first, retry = api.requests[:2]
    assert first.headers["x-signature"] != retry.headers["x-signature"]


def test_identical_signed_requests_in_one_second_carry_different_signatures(api):
    api.json("GET", "/api/agents/active", {"agents": [], "count": 0})
    agency = agency_for(api, signing_secret="s")
    for _ in range(3):
        agency.active()
    signatures = {r.headers["x-signature"] for r in api.requests}
    stamps = sorted(int(r.headers["x-timestamp"]) for r in api.requests)
    assert len(signatures) == 3 and len(set(stamps)) == 3
    assert all(signature_ok(r, "s") for r in api.requests)


def test_unsigned_requests_carry_no_signature_headers(api):
    api.json("GET", "/api/health", {"status": "healthy"})
    agency_for(api).health()
    assert "x-signature" not in api.requests[0].headers


def test_retry_after_reads_seconds_and_http_dates():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
