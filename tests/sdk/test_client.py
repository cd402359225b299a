"""The Python client's calls against a scripted server on 127.0.0.1: what each sends and how it
reads the answer, waiting, pagination, the event feed, and the endpoints the server is still
gaining (orchestrator, system, webhooks), written to the API reference and semantics §8, §11."""

import subprocess
import sys

import pytest

from j1msky.sdk import (
    Agency,
    Agent,
    AgentFailedError,
    BudgetExceededError,
    RateLimitError,
    WaitTimeoutError,
)
from j1msky.sdk.records import text_section
from tests.processes import ROOT
from tests.sdk.fakeserver import Reply, fake_api

AGENT = "subagent_1700000000_1234"


@pytest.fixture
def api():
    with fake_api() as server:
        yield server


@pytest.fixture
def agency(api):
    return Agency(api_key="dev_sk_test", base_url=api.url)


def page(items: list[dict], cursor: str | None = None) -> Reply:
    return Reply(200, {"data": items, "pagination": {"cursor": cursor, "has_more": bool(cursor)}})


def detail(status: str, **fields) -> Reply:
    return Reply(200, {"agent_id": AGENT, "model": "k2p5", "status": status, **fields})


def test_importing_the_client_loads_neither_django_nor_celery():
    code = (
        "import sys, j1msky\n"
        "from j1msky import Agency, RateLimitError\n"
        "assert Agency.__module__ == 'j1msky.sdk.client', Agency.__module__\n"
        "loaded = [m for m in ('django', 'celery', 'rest_framework') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_spawn_sends_only_the_fields_given_and_returns_an_agent(api, agency):
    spawned = {"success": True, "agent_id": AGENT, "model": "k2p5", "status": "spawning"}
    api.on("POST", "/api/spawn", Reply(201, {**spawned, "estimated_cost": 0.0008}))
    agent = agency.spawn("k2p5", "Write a haiku", "high", 60, metadata={"ticket": 7})
    assert isinstance(agent, Agent)
    assert (agent.agent_id, agent.status, agent.estimated_cost) == (AGENT, "spawning", 0.0008)
    sent = api.seen("POST", "/api/spawn")[0]
    assert sent.json == {
        "model": "k2p5",
        "task": "Write a haiku",
        "priority": "high",
        "timeout": 60,
        "metadata": {"ticket": 7},
    }
    assert sent.headers["content-type"] == "application/json"
    with pytest.raises(TypeError, match="task"):
        agency.spawn(model="k2p5")


def test_wait_for_completion_polls_until_the_agent_ends(api, agency):
    output = "# Review\nLooks fine.\n\n## Issues\n- divides by zero on []\n- no type hints\n"
    api.on(
        "GET",
        f"/api/agent/{AGENT}",
        detail("spawning"),
        detail("running", progress={"output_tokens": 3}),
        detail("completed", result=output, cost=0.0012, usage={"input_tokens": 9}),
    )
    seen = []
    result = Agent(agency, {"agent_id": AGENT}).wait_for_completion(
        timeout=10, poll_interval=0.05, on_progress=lambda a: seen.append(a.status)
    )
    assert seen == ["spawning", "running", "completed"]
    assert (result.status, result.output, result.cost) == ("completed", output, 0.0012)
    assert result.issues == "- divides by zero on []\n- no type hints"
    assert result.summary == output  # no Summary heading: the whole output
    assert str(result) == output and result.usage == {"input_tokens": 9}


def test_a_failed_agent_raises_with_its_result_unless_asked_not_to(api, agency):
    error = {"type": "timeout", "message": "Run exceeded its 10 s timeout"}
    api.on("GET", f"/api/agent/{AGENT}", detail("failed", error=error, cost=0.0001))
    agent = Agent(agency, {"agent_id": AGENT})
    with pytest.raises(AgentFailedError, match="ended failed: Run exceeded") as caught:
        agent.wait_for_completion(poll_interval=0.01)
    assert caught.value.result.error == error
    result = agent.wait_for_completion(raise_on_failure=False)
    assert (result.status, result.succeeded, result.cost) == ("failed", False, 0.0001)


def test_waiting_past_the_timeout_raises_and_leaves_the_agent_alone(api, agency):
    api.on("GET", f"/api/agent/{AGENT}", detail("running"))
    with pytest.raises(WaitTimeoutError, match="still running") as caught:
        Agent(agency, {"agent_id": AGENT}).wait_for_completion(timeout=0.3, poll_interval=0.1)
    assert caught.value.agent.status == "running"
    assert not api.seen("DELETE")


def test_list_follows_cursor_pages_and_passes_filters(api, agency):
    api.on(
        "GET",
        "/api/agents",
        page([{"agent_id": "a1"}, {"agent_id": "a2"}], "c2"),
        page([{"agent_id": "a3"}]),
    )
    rows = list(
        agency.list(status="completed", model_in=["k2p5", "sonnet"], filter={"cost_gt": 0.5})
    )
    assert [r.agent_id for r in rows] == ["a1", "a2", "a3"]
    first, second = api.seen("GET", "/api/agents")
    assert first.query == {
        "status": "completed",
        "model_in": "k2p5,sonnet",
        "filter": '{"cost_gt":0.5}',
        "limit": "100",
        "cursor": "",
    }
    assert second.query["cursor"] == "c2" and second.query["status"] == "completed"


def test_events_follow_the_cursor_then_poll_after_the_last_id(api, agency):
    api.on(
        "GET",
        "/api/events",
        page([{"id": 1, "type": "agent.spawned"}], "e1"),
        page([{"id": 2, "type": "agent.running"}]),
        page([{"id": 3, "type": "agent.completed"}]),
    )
    feed = agency.events(agent_id=AGENT, follow=True, poll_interval=0.01)
    assert [next(feed).id for _ in range(3)] == [1, 2, 3]
    first, second, third = api.seen("GET", "/api/events")
    assert "id_gt" not in first.query and first.query["agent_id"] == AGENT
    assert second.query["cursor"] == "e1"
    assert third.query["id_gt"] == "2" and third.query["cursor"] == ""


def test_spawn_batch_gives_an_agent_or_the_typed_error_per_item(api, agency):
    refused = {"code": 402, "type": "budget_exceeded", "message": "Daily budget exceeded"}
    limited = {"code": 429, "type": "rate_limited", "message": "Rate limit exceeded"}
    results = [
        {"success": True, "agent_id": AGENT, "model": "k2p5", "status": "spawning"},
        {"success": False, "error": {**refused, "request_id": "req_b"}},
        {"success": False, "error": {**limited, "retry_after": 120}},
    ]
    api.json("POST", "/api/spawn-batch", {"success": True, "results": results})
    agent, budget, limit = agency.spawn_batch(
        [{"model": "k2p5", "task": "a"}, {"team": "team_coding", "task": "b", "priority": None}]
    )
    assert isinstance(agent, Agent) and agent.agent_id == AGENT
    assert isinstance(budget, BudgetExceededError) and budget.request_id == "req_b"
    assert isinstance(limit, RateLimitError) and limit.retry_after == 120
    sent = api.seen("POST", "/api/spawn-batch")[0].json
    assert sent == {
        "agents": [{"model": "k2p5", "task": "a"}, {"team": "team_coding", "task": "b"}]
    }


def test_orchestrator_status_system_and_recommendation(api, agency):
    status = {"budget_alert_level": "ok", "operational_flags": {"requires_ops_attention": False}}
    api.json("GET", "/api/orchestrator/status", status)
    api.json("GET", "/api/system", {"cpu_temp": None, "active_agents": 3})
    recommended = {"recommended_model": "k2p5", "budget_available": True, "reason": "preferred"}
    api.json("POST", "/api/orchestrator/recommend-model", recommended)
    assert agency.status().operational_flags.requires_ops_attention is False
    assert agency.system().active_agents == 3
    answer = agency.recommend_model("coding", "medium", "normal", 2500)
    assert answer.recommended_model == "k2p5"
    sent = api.seen("POST", "/api/orchestrator/recommend-model")[0]
    assert sent.json == {
        "task_type": "coding",
        "complexity": "medium",
        "priority": "normal",
        "estimated_tokens": 2500,
    }
    assert sent.headers["idempotency-key"]


def test_agent_webhooks_register_list_delete_deliveries_replay_and_test(api, agency):
    created = {"success": True, "webhook_id": "wh_1", "secret": "whsec_abc"}
    api.json("POST", "/api/webhooks", created, status=201)
    api.json("GET", "/api/webhooks", {"data": [{"webhook_id": "wh_1"}], "pagination": {}})
    api.json("DELETE", "/api/webhooks/wh_1", {"success": True})
    api.json("GET", "/api/webhooks/wh_1/deliveries", {"data": [{"delivery_id": "d1"}]})
    api.json("POST", "/api/webhooks/deliveries/d1/replay", {"success": True})
    api.json("POST", "/api/webhooks/wh_1/test", {"success": True, "delivery_id": "d2"})
    api.json("GET", "/api/webhooks/wh_1", {"webhook_id": "wh_1", "status": "active"})
    api.json("POST", "/api/webhooks/wh_1/pause", {"webhook_id": "wh_1", "status": "paused"})
    api.json("POST", "/api/webhooks/wh_1/resume", {"webhook_id": "wh_1", "status": "active"})
    api.json("POST", "/api/webhooks/wh_1/rotate-secret", {"success": True, "secret": "whsec_n"})
    hook = agency.webhooks.create("https://example.com/hook", ["agent.completed", "agent.failed"])
    assert hook.secret == "whsec_abc"
    assert api.seen("POST", "/api/webhooks")[0].json == {
        "url": "https://example.com/hook",
        "events": ["agent.completed", "agent.failed"],
    }
    assert [w.webhook_id for w in agency.webhooks.list()] == ["wh_1"]
    assert [d.delivery_id for d in agency.webhooks.deliveries("wh_1")] == ["d1"]
    assert agency.webhooks.replay("d1").success is True
    assert agency.webhooks.test("wh_1", "agent.completed").delivery_id == "d2"
    assert api.seen("POST", "/api/webhooks/wh_1/test")[0].json == {"event": "agent.completed"}
    assert agency.webhooks.get("wh_1").status == "active"
    assert agency.webhooks.pause("wh_1").status == "paused"
    assert agency.webhooks.resume("wh_1").status == "active"
    assert agency.webhooks.rotate_secret("wh_1", grace_hours=2).secret == "whsec_n"
    assert api.seen("POST", "/api/webhooks/wh_1/rotate-secret")[0].json == {"grace_hours": 2}
    assert agency.webhooks.delete("wh_1").success is True


def test_pricing_webhooks_use_the_reference_routes(api, agency):
    registered = {"success": True, "webhook_id": "pricing_webhook_1", "message": "registered"}
    api.json("POST", "/api/pricing/webhook", registered)
    listed = {"success": True, "webhooks": [{"webhook_id": "pricing_webhook_1"}], "count": 1}
    api.json("GET", "/api/pricing/webhooks", listed)
    api.json("DELETE", "/api/pricing/webhook/pricing_webhook_1", {"success": True})
    api.json("GET", "/api/pricing/webhook/pricing_webhook_1/deliveries", {"data": []})
    api.json("POST", "/api/webhooks/deliveries/d9/replay", {"success": True})
    events = ["pricing.quote_generated"]
    assert agency.pricing.webhooks.create("https://x.test/p", events, "s3").webhook_id
    assert api.seen("POST", "/api/pricing/webhook")[0].json["secret"] == "s3"
    assert [w.webhook_id for w in agency.pricing.webhooks.list()] == ["pricing_webhook_1"]
    assert agency.pricing.webhooks.delete("pricing_webhook_1").success
    assert list(agency.pricing.webhooks.deliveries("pricing_webhook_1")) == []
    assert agency.pricing.webhooks.replay("d9").success


def test_ids_are_sent_as_one_path_segment(api, agency):
    api.json("GET", "/api/agent/a%2Fb%3Fc", {"agent_id": "a/b?c", "status": "running"})
    assert agency.get("a/b?c").agent_id == "a/b?c"


def test_records_read_as_attributes_and_as_a_dict(api, agency):
    api.json("GET", "/api/rate-limits", {"limits": {"kimi-coding": {"used": 1, "limit": 100}}})
    limits = agency.rate_limits()
    assert limits.limits["kimi-coding"].used == 1 == limits["limits"]["kimi-coding"]["used"]
    with pytest.raises(AttributeError):
        limits.nothing  # noqa: B018


@pytest.mark.parametrize(
    ("text", "name", "section"),
    [
        ("# Summary\nAI agents grew.\n# Details\nmore", "summary", "AI agents grew."),
        ("Intro\n## Issues found\n- a\n### Detail\nx\n## Next\ny", "issues", "- a\n### Detail\nx"),
        ("**Summary**\nShort.\n**Body**\nLong.", "Summary", "Short."),
        ("Issues:\n1. off by one\nFixes:\nnone", "issues", "1. off by one"),
        ("No headings at all", "summary", None),
        ("# Summary\n\n# Other\ntext", "summary", None),
        (None, "summary", None),
    ],
)
def test_text_section_finds_the_text_under_a_heading(text, name, section):
    assert text_section(text, name) == section
