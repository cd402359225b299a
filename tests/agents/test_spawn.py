"""Spawning, running, reading and cancelling agents in-process against the fake provider."""

from decimal import Decimal

import pytest

from agents.models import Agent, KeyConcurrency, Provider
from billing.models import LedgerEntry, Reservation
from j1msky.models import Event
from tests.fakeprovider import ok, slow, status

pytestmark = pytest.mark.django_db


def spawn(client, **body):
    body.setdefault("task", "Write a Python function to calculate fibonacci")
    return client.post("/api/spawn", body, format="json")


@pytest.fixture
def writer(make_client):
    return make_client(["agents:read", "agents:write"])


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"task": ""}, "task", "Task cannot be empty"),
        ({"task": "   "}, "task", "Task cannot be empty"),
        ({"task": None}, "task", "Task cannot be empty"),
        ({"task": "x" * 2001}, "task", "Task exceeds 2000 characters"),
        (
            {"model": "gpt9"},
            "model",
            "Invalid model: gpt9. Allowed: k2p5, sonnet, opus, minimax-m2.5, codex",
        ),
        ({"priority": "urgent"}, "priority", "Priority must be one of: low, normal, high"),
        ({"timeout": 5}, "timeout", None),
        ({"timeout": 3601}, "timeout", None),
        ({"max_tokens": 0}, "max_tokens", None),
        ({"metadata": "[1,2]"}, "metadata", "Must be a JSON object"),
    ],
)
def test_bad_spawn_input_is_400_and_admits_nothing(writer, body, field, message):
    if "task" not in body:
        body["task"] = "ok"
    response = writer.post("/api/spawn", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["details"]
    if message:
        assert error["message"] == message
    assert not Agent.objects.exists() and not Reservation.objects.exists()


def test_task_missing_entirely_is_task_cannot_be_empty(writer):
    response = writer.post("/api/spawn", {"model": "k2p5"}, format="json")
    assert response.json()["error"]["message"] == "Task cannot be empty"


def test_spawn_answers_201_with_the_estimate_and_reserves_the_worst_case(writer):
    task = "x" * 400  # 100 input tokens
    response = spawn(writer, model="sonnet", task=task, priority="high")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["success"] is True and body["status"] == "spawning"
    assert body["agent_id"].startswith("subagent_")
    assert body["model"] == "sonnet" and "requested_model" not in body
    # 100 × 0.003/1000 + 500 × 0.015/1000 = 0.0003 + 0.0075
    assert body["estimated_cost"] == 0.0078
    assert body["simulated"] is True  # no provider key configured in this test
    agent = Agent.objects.get(pk=body["agent_id"])
    # worst case: 100 × 0.003/1000 + 4096 × 0.015/1000 = 0.0003 + 0.06144
    assert agent.reserved_cost == Decimal("0.0617")
    assert agent.reservation.amount == Decimal("0.0617")
    assert Event.objects.filter(agent_id=agent.agent_id, type="agent.spawned").exists()


def test_form_body_spawns_too(writer):
    response = writer.post("/api/spawn", {"task": "from a form", "model": "k2p5"})
    assert response.status_code == 201


def test_a_run_calls_the_provider_and_costs_its_reported_tokens(
    writer, live_providers, run_waiting
):
    live_providers.enqueue(ok("def fib(n): ...", input_tokens=1234, output_tokens=567))
    agent_id = spawn(writer, model="sonnet", max_tokens=1000).json()["agent_id"]
    assert run_waiting() == [agent_id]

    request = live_providers.last_request
    assert request.path == "/v1/messages"
    assert request.body["model"] == "claude-sonnet-4-6"
    assert request.body["max_tokens"] == 1000
    assert request.body["stream"] is True
    assert request.api_key == "sk-ant-test"
    assert "fibonacci" in request.body["messages"][0]["content"]

    detail = writer.get(f"/api/agent/{agent_id}").json()
    assert detail["status"] == "completed"
    assert detail["result"] == "def fib(n): ..."
    assert detail["simulated"] is False
    assert detail["usage"] == {"input_tokens": 1234, "output_tokens": 567}
    # 1234 × 0.003/1000 + 567 × 0.015/1000 = 0.003702 + 0.008505 = 0.012207 → 0.0122
    assert detail["cost"] == 0.0122
    assert detail["started"] and detail["completed"]
    assert LedgerEntry.objects.get(agent_id=agent_id).cost_micros == 12200
    assert (
        Reservation.objects.get(pk=Agent.objects.get(pk=agent_id).reservation_id).state == "settled"
    )
    types = list(Event.objects.filter(agent_id=agent_id).values_list("type", flat=True))
    assert types == ["agent.spawned", "agent.running", "agent.completed"]


def test_openai_compatible_provider_gets_its_model_and_key(writer, live_providers, run_waiting):
    live_providers.enqueue(ok("done", input_tokens=10, output_tokens=20))
    agent_id = spawn(writer, model="k2p5").json()["agent_id"]
    run_waiting()
    request = live_providers.last_request
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "kimi-k2.5"
    assert request.body["max_tokens"] == 4096
    assert request.api_key == "sk-kimi-test"
    # 10 × 0.0005/1000 + 20 × 0.0015/1000 = 0.000005 + 0.00003 = 0.000035 → 0.0000
    assert writer.get(f"/api/agent/{agent_id}").json()["cost"] == 0.0


def test_a_429_is_retried_and_then_succeeds(writer, live_providers, run_waiting):
    live_providers.enqueue(status(429, retry_after=0), ok("second time lucky"))
    agent_id = spawn(writer, model="k2p5").json()["agent_id"]
    run_waiting()
    assert len(live_providers.requests) == 2
    assert writer.get(f"/api/agent/{agent_id}").json()["status"] == "completed"


def test_a_run_of_5xx_opens_the_breaker_and_later_spawns_take_the_fallback(
    writer, live_providers, run_waiting
):
    # anthropic opens after 3 consecutive failures; each call is retried 3 times.
    live_providers.enqueue(*[status(500)] * 3, ok("fallback answered"))
    first = spawn(writer, model="sonnet").json()["agent_id"]
    run_waiting()
    detail = writer.get(f"/api/agent/{first}").json()
    # the run fell back along the chain at run time (sonnet → k2p5)
    assert detail["status"] == "completed" and detail["model"] == "k2p5"
    assert detail["requested_model"] == "sonnet"
    assert Provider.objects.get(pk="anthropic").breaker_state == "open"

    later = spawn(writer, model="sonnet").json()
    assert later["model"] == "k2p5" and later["requested_model"] == "sonnet"


def test_every_breaker_open_is_429_until_the_first_lets_a_probe_through(writer):
    """`retry_after` is the wait until the first candidate's breaker half-opens, not a guess."""
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    opened = {  # seconds ago; open periods: anthropic 90 s, the others 60 s
        "anthropic": 10,  # 80 s left
        "kimi-coding": 50,  # 10 s left: the first to let a call through
        "minimax-portal": 5,
        "openai-codex": 0,
    }
    for provider, ago in opened.items():
        Provider.objects.filter(pk=provider).update(
            breaker_state="open", breaker_failures=5, breaker_opened_at=now - timedelta(seconds=ago)
        )
    response = spawn(writer, model="sonnet")
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["type"] == "provider_unavailable"
    assert error["retry_after"] == 10
    assert response["Retry-After"] == "10"
    # Without the fallback chain only sonnet's provider counts.
    alone = spawn(writer, model="sonnet", fallback=False).json()["error"]
    assert 79 <= alone["retry_after"] <= 80


def test_timeout_aborts_a_slow_provider_and_charges_what_it_used(
    writer, live_providers, run_waiting
):
    live_providers.enqueue(slow(chunk_delay=0.5))
    agent_id = spawn(writer, model="k2p5", timeout=10).json()["agent_id"]
    Agent.objects.filter(pk=agent_id).update(timeout=1)  # below the API minimum, to keep tests fast
    run_waiting()
    detail = writer.get(f"/api/agent/{agent_id}").json()
    assert detail["status"] == "failed"
    assert detail["error"]["type"] == "timeout"
    assert LedgerEntry.objects.filter(agent_id=agent_id).count() == 1
    assert live_providers.last_request.disconnected.wait(5)


def test_cancel_of_a_waiting_agent_refunds_the_whole_reservation(writer):
    agent_id = spawn(writer, model="opus").json()["agent_id"]
    reserved = Agent.objects.get(pk=agent_id).reserved_cost
    response = writer.delete(f"/api/agent/{agent_id}")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "success": True,
        "message": "Agent cancelled",
        "agent_id": agent_id,
        "status": "cancelled",
        "refund": float(reserved),
    }
    again = writer.delete(f"/api/agent/{agent_id}")
    assert again.status_code == 409
    assert again.json()["error"]["type"] == "agent_not_cancellable"


def test_another_owners_agent_is_404(writer, make_client):
    agent_id = spawn(writer).json()["agent_id"]
    stranger = make_client(["agents:read", "agents:write"])
    assert stranger.get(f"/api/agent/{agent_id}").status_code == 404
    assert stranger.delete(f"/api/agent/{agent_id}").status_code == 404


def test_budget_refusal_is_402_with_the_numbers(writer, settings):
    settings.J1MSKY_DAILY_BUDGET = Decimal("0.05")
    response = spawn(writer, model="opus")  # worst case 4096 × 0.075/1000 ≈ 0.31
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["type"] == "budget_exceeded"
    assert {"today_spend", "reserved", "limit", "resets_at"} <= set(error["details"])
    assert not Agent.objects.exists()


def test_the_per_key_cap_on_waiting_agents_is_429(make_client, settings):
    settings.J1MSKY_MAX_WAITING_AGENTS_PER_KEY = 2
    client = make_client(["agents:write"], max_concurrent_agents=1)
    assert [spawn(client).status_code for _ in range(2)] == [201, 201]
    refused = spawn(client)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["type"] == "concurrency_limited"
    assert error["details"] == {"max_waiting_agents": 2, "max_concurrent_agents": 1}
    assert Agent.objects.count() == 2


def test_agents_beyond_a_keys_concurrency_wait_and_start_as_slots_free(make_client):
    from agents.services import agent_claim_next, agent_finish

    client = make_client(["agents:write"], max_concurrent_agents=2)
    other = make_client(["agents:write"])
    mine = [spawn(client, priority="high").json()["agent_id"] for _ in range(3)]
    theirs = spawn(other, priority="low").json()["agent_id"]

    first, second = agent_claim_next(worker="w#1"), agent_claim_next(worker="w#1")
    assert {first.agent_id, second.agent_id} == set(mine[:2])
    # The key runs its two already: its third agent waits, the other key's low one goes first.
    third = agent_claim_next(worker="w#1")
    assert third.agent_id == theirs
    assert agent_claim_next(worker="w#1") is None
    assert Agent.objects.get(pk=mine[2]).status == "spawning"

    agent_finish(agent=first, status="completed")
    assert agent_claim_next(worker="w#1").agent_id == mine[2]
    counts = KeyConcurrency.objects.get(api_key=client.key)
    assert (counts.running, counts.waiting) == (2, 0)


def test_a_fifty_item_batch_of_a_default_key_is_admitted_whole(
    make_client, live_providers, run_waiting
):
    client = make_client(["agents:read", "agents:write"])
    response = client.post(
        "/api/spawn-batch",
        {"agents": [{"task": f"item {i}", "model": "k2p5"} for i in range(50)]},
        format="json",
    )
    assert response.status_code == 200
    assert [r.get("status") for r in response.json()["results"]] == ["spawning"] * 50
    counts = KeyConcurrency.objects.get(api_key=client.key)
    assert (counts.running, counts.waiting) == (0, 50)
    assert len(run_waiting()) == 50
    assert Agent.objects.filter(status="completed").count() == 50


def test_team_runs_each_step_and_sums_the_cost(writer, live_providers, run_waiting):
    live_providers.enqueue(
        ok("draft", input_tokens=100, output_tokens=200),
        ok("improved", input_tokens=300, output_tokens=400),
    )
    response = writer.post(
        "/api/spawn-team", {"team": "team_coding", "task": "Build a CLI"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["team"] == "team_coding"
    assert body["models"] == ["kimi-coding/kimi-k2.5", "anthropic/claude-sonnet-4-6"]
    run_waiting()
    first, second = live_providers.requests
    assert first.body["model"] == "kimi-k2.5" and second.body["model"] == "claude-sonnet-4-6"
    assert "draft" in second.body["messages"][0]["content"]
    detail = writer.get(f"/api/agent/{body['agent_id']}").json()
    assert detail["result"] == "improved"
    assert [s["status"] for s in detail["steps"]] == ["completed", "completed"]
    # k2p5: 100 × 0.0005 + 200 × 0.0015 (per 1K) = 0.00035 → 0.0004 (per row, half up)
    # sonnet: 300 × 0.003 + 400 × 0.015 (per 1K) = 0.0009 + 0.006 = 0.0069
    assert detail["cost"] == 0.0073


def test_unknown_team_is_400(writer):
    response = writer.post("/api/spawn-team", {"team": "team_x", "task": "t"}, format="json")
    assert response.status_code == 400
    assert "team_coding" in response.json()["error"]["message"]


def test_batch_admits_each_item_on_its_own(writer):
    response = writer.post(
        "/api/spawn-batch",
        {"agents": [{"task": "one"}, {"task": ""}, {"team": "team_research", "task": "three"}]},
        format="json",
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["success"] is True and results[0]["status"] == "spawning"
    assert results[1]["success"] is False
    assert results[1]["error"]["message"] == "Task cannot be empty"
    assert results[2]["team"] == "team_research"
    assert Agent.objects.count() == 2


@pytest.mark.parametrize("agents", [[], [{"task": "x"}] * 51, "not json"])
def test_batch_bounds(writer, agents):
    response = writer.post("/api/spawn-batch", {"agents": agents}, format="json")
    assert response.status_code == 400


def test_waiting_high_priority_work_starts_first(writer, run_waiting):
    low = spawn(writer, priority="low").json()["agent_id"]
    normal = spawn(writer, priority="normal").json()["agent_id"]
    high = spawn(writer, priority="high").json()["agent_id"]
    assert run_waiting() == [high, normal, low]


def test_list_filters_sort_and_meta_over_the_filtered_set(writer, run_waiting):
    ids = [spawn(writer, model=m).json()["agent_id"] for m in ["k2p5", "k2p5", "sonnet", "opus"]]
    Agent.objects.filter(pk=ids[0]).update(actual_cost=Decimal("1.25"), status="completed")
    Agent.objects.filter(pk=ids[2]).update(actual_cost=Decimal("2.5"), status="completed")
    body = writer.get("/api/agents?status=completed&limit=1&sort=-cost").json()
    assert [a["agent_id"] for a in body["data"]] == [ids[2]]
    assert body["pagination"]["total"] == 2
    assert body["meta"] == {"total_cost": 3.75, "by_model": {"k2p5": 1, "sonnet": 1}}
    body = writer.get("/api/agents?cost_gt=1.00&model=k2p5").json()
    assert [a["agent_id"] for a in body["data"]] == [ids[0]]
    assert body["data"][0]["actual_cost"] == 1.25
    assert writer.get("/api/agents?created_after=2020-02-01").json()["pagination"]["total"] == 4


def test_cursor_pages_carry_meta_only_when_asked(writer):
    ids = [spawn(writer, model=m).json()["agent_id"] for m in ["k2p5", "sonnet", "sonnet"]]
    Agent.objects.filter(pk=ids[1]).update(actual_cost=Decimal("0.5"), status="completed")
    Agent.objects.filter(pk=ids[2]).update(actual_cost=Decimal("1.25"), status="completed")
    body = writer.get("/api/agents?cursor=&limit=1").json()
    assert "meta" not in body and "total" not in body["pagination"]
    assert body["pagination"]["has_more"] is True
    body = writer.get("/api/agents?cursor=&limit=1&include=meta&status=completed").json()
    assert body["meta"] == {"total_cost": 1.75, "by_model": {"sonnet": 2}}
    assert [a["agent_id"] for a in body["data"]] == [ids[2]]
    following = writer.get(
        f"/api/agents?limit=1&include=meta&status=completed&cursor={body['pagination']['cursor']}"
    ).json()
    assert [a["agent_id"] for a in following["data"]] == [ids[1]]
    assert following["meta"] == body["meta"]
    # An offset page always carries it, counted with the same query as its total.
    body = writer.get("/api/agents?limit=1").json()
    assert body["pagination"]["total"] == 3
    assert body["meta"] == {"total_cost": 1.75, "by_model": {"k2p5": 1, "sonnet": 2}}
    refused = writer.get("/api/agents?include=everything")
    assert refused.status_code == 400
    assert refused.json()["error"]["details"] == {"include": ["Must be meta"]}
    assert writer.get("/api/agents?sort=-nope").status_code == 400


def test_active_list_and_event_feed(writer, run_one):
    first = spawn(writer).json()["agent_id"]
    spawn(writer)
    active = writer.get("/api/agents/active").json()
    assert active["count"] == 2 and len(active["agents"]) == 2
    run_one(first)
    assert writer.get("/api/agents/active").json()["count"] == 1

    page = writer.get("/api/events?limit=2").json()
    assert [e["type"] for e in page["data"]] == ["agent.spawned", "agent.spawned"]
    assert page["pagination"]["has_more"] is True
    rest = writer.get(f"/api/events?limit=50&cursor={page['pagination']['cursor']}").json()
    assert [e["type"] for e in rest["data"]] == ["agent.running", "agent.completed"]
    assert rest["data"][0]["agent_id"] == first
    assert "links" not in page


def test_codex_sends_max_completion_tokens(writer, live_providers, run_waiting):
    live_providers.enqueue(ok("patched", input_tokens=5, output_tokens=5))
    spawn(writer, model="codex", max_tokens=777)
    run_waiting()
    body = live_providers.last_request.body
    assert body["model"] == "gpt-5-codex"
    assert body["max_completion_tokens"] == 777 and "max_tokens" not in body


def test_a_retry_with_the_window_full_fails_the_step_provider_rate_limited(
    writer, live_providers, run_waiting
):
    from agents.models import Provider

    live_providers.enqueue(status(503))
    agent_id = spawn(writer, model="k2p5", fallback=False, timeout=10).json()["agent_id"]
    Provider.objects.filter(pk="kimi-coding").update(hourly_limit=1)  # admission took the slot
    run_waiting()
    detail = writer.get(f"/api/agent/{agent_id}").json()
    assert detail["status"] == "failed"
    assert detail["error"]["type"] == "provider_rate_limited"
    assert len(live_providers.requests) == 1


def test_agent_ids_keep_a_burst_within_one_second_apart(monkeypatch):
    """Ids are `subagent_<unix seconds>_<12 random digits>`: a second's spawns differ in the
    random part alone."""
    import re

    from agents import models

    monkeypatch.setattr(models.time, "time", lambda: 1_796_105_759.5)
    ids = [models.new_agent_id() for _ in range(20_000)]
    assert all(re.fullmatch(r"subagent_1796105759_\d{12}", i) for i in ids)
    assert len(set(ids)) == len(ids)
