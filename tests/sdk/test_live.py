"""The Python client and the `j1msky` command against the real server (gunicorn + a Celery
worker on the simulated provider): the reference's examples in a fresh virtual environment
that has only the client, the client's calls, and a retried spawn through injected faults."""

import subprocess
import time

import pytest

from agents.models import Agent as AgentRow
from j1msky.sdk import (
    Agency,
    Agent,
    AgentFailedError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from tests.content import agents_with_task
from tests.sdk.conftest import EXAMPLES
from tests.sdk.faultproxy import fault_proxy

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SIMULATED = "[simulated]"


def run(command: list[str], env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=180)


def test_reference_examples_and_the_cli_run_in_a_fresh_venv(j1msky_server, client_venv, tmp_path):
    env = client_venv.env(J1MSKY_API_KEY=j1msky_server.key, J1MSKY_BASE_URL=j1msky_server.url)
    probe = "import j1msky, httpx; print(j1msky.__file__)\nimport django"
    isolated = run([client_venv.python, "-c", probe], env, tmp_path)
    assert str(client_venv.path) in isolated.stdout
    assert "No module named 'django'" in isolated.stderr

    quick = run([client_venv.python, str(EXAMPLES / "quickstart.py")], env, tmp_path)
    assert quick.returncode == 0, quick.stderr
    assert quick.stdout.startswith(SIMULATED) and "Write a blog post about AI" in quick.stdout

    pipeline = run([client_venv.python, str(EXAMPLES / "content_pipeline.py")], env, tmp_path)
    assert pipeline.returncode == 0, pipeline.stderr
    steps = pipeline.stdout.splitlines()[:3]
    assert [line.split()[1:3] for line in steps] == [
        ["sonnet", "completed"],
        ["sonnet", "completed"],
        ["opus", "completed"],
    ]
    assert "Edit and improve:" in pipeline.stdout  # the editor got the writer's output

    review = run([client_venv.python, str(EXAMPLES / "code_review.py")], env, tmp_path)
    assert review.returncode == 0, review.stderr
    assert "Fix these issues:" in review.stdout  # the fixer got the review's issues
    assert AgentRow.objects.filter(status="completed").count() == 6

    spawn = [client_venv.cli, "agent", "spawn", "--model", "k2p5", "--task", "Name three owls"]
    waited = run([*spawn, "--wait"], env, tmp_path)
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout.startswith(SIMULATED) and "Name three owls" in waited.stdout
    assert "completed" in waited.stderr

    refused = run([client_venv.cli, "--api-key", "dev_sk_wrong", "agent", "list"], env, tmp_path)
    assert refused.returncode == 3 and refused.stdout == ""
    assert "Invalid API key" in refused.stderr and "request_id req_" in refused.stderr


def test_the_client_surface_against_the_live_server(j1msky_server):
    agency = Agency(api_key=j1msky_server.key, base_url=j1msky_server.url)
    agent = agency.spawn(model="k2p5", task="Summarize the budget", priority="high", timeout=60)
    assert isinstance(agent, Agent) and agent.simulated is True
    result = agent.wait_for_completion(timeout=60)
    assert result.status == "completed" and result.output.startswith(SIMULATED)
    assert result.cost == float(AgentRow.objects.get(pk=agent.agent_id).actual_cost)
    assert result.usage["output_tokens"] > 0

    team = agency.spawn_team("team_coding", "fizzbuzz in Python").wait_for_completion(timeout=60)
    assert len(team.steps) == 2 and team.output.startswith(SIMULATED)

    batch = agency.spawn_batch([{"model": "k2p5", "task": "one"}, {"model": "gpt9", "task": "x"}])
    assert isinstance(batch[0], Agent) and isinstance(batch[1], ValidationError)
    batch[0].wait_for_completion(timeout=60)

    listed = list(agency.list(page_size=1))
    assert len(listed) == 3 and listed[0].created_at >= listed[-1].created_at
    assert list(agency.list(status="failed")) == []
    assert agency.get(agent.agent_id).task == "Summarize the budget"
    assert agency.active().count == 0

    events = list(agency.events(agent_id=agent.agent_id, page_size=1))
    assert [e.type for e in events] == ["agent.spawned", "agent.running", "agent.completed"]
    assert "kimi-coding" in agency.rate_limits().limits
    assert agency.usage().total_cost > 0 and agency.budget().daily_budget > 0
    quote = agency.quote("sonnet", 3000, 1200, "high", "task", "enterprise")
    assert quote.quote.recommended_price == 0.5 and quote.guardrail_check.is_compliant
    assert agency.pricing.status().success is True


def test_cancel_and_typed_errors_against_the_live_server(j1msky_web_only, make_client):
    agency = Agency(api_key=j1msky_web_only.key, base_url=j1msky_web_only.url)
    waiting = agency.spawn(model="k2p5", task="never runs: no worker", timeout=60)
    assert agency.active().count == 1
    cancelled = waiting.cancel()
    assert (cancelled.success, cancelled.status) == (True, "cancelled")
    assert cancelled.refund == float(AgentRow.objects.get(pk=waiting.agent_id).reserved_cost)
    with pytest.raises(ConflictError) as again:
        waiting.cancel()
    assert again.value.type == "agent_not_cancellable"
    with pytest.raises(AgentFailedError, match="ended cancelled"):
        waiting.wait_for_completion(timeout=5)
    with pytest.raises(ValidationError, match="Task cannot be empty") as empty:
        agency.spawn(model="k2p5", task="   ")
    assert empty.value.request_id.startswith("req_")
    assert empty.value.details == {"task": ["Task cannot be empty"]}
    with pytest.raises(NotFoundError):
        agency.get("subagent_0_0000")
    reader = make_client(["agents:read"], user=j1msky_web_only.user)
    with pytest.raises(PermissionDeniedError):
        Agency(api_key=reader.secret, base_url=j1msky_web_only.url).spawn("k2p5", "no scope")
    with pytest.raises(AuthenticationError) as bad:
        Agency(api_key="dev_sk_wrong", base_url=j1msky_web_only.url).active()
    assert bad.value.message == "Invalid API key" and bad.value.request_id.startswith("req_")


def test_a_spawn_retried_through_429_and_a_lost_answer_has_one_effect(j1msky_server):
    with fault_proxy(j1msky_server.url) as proxy:
        proxy.fail("POST", "/api/spawn", when="before", status=429, retry_after=2)
        proxy.fail("POST", "/api/spawn", when="after", status=503, retry_after=1)
        agency = Agency(api_key=j1msky_server.key, base_url=proxy.url)
        started = time.monotonic()
        agent = agency.spawn(model="k2p5", task="retry probe (python)")
        elapsed = time.monotonic() - started
        result = agent.wait_for_completion(timeout=60)
    assert elapsed >= 3.0  # waited Retry-After 2, then 1
    calls = proxy.calls("POST", "/api/spawn")
    assert [(c.forwarded, c.answered) for c in calls] == [(False, 429), (True, 503), (True, 201)]
    assert len({c.idempotency_key for c in calls}) == 1 and calls[0].idempotency_key
    assert calls[2].replayed  # the server answered the retry from its idempotency record
    rows = agents_with_task("retry probe (python)")
    assert [r.agent_id for r in rows] == [agent.agent_id]
    assert result.status == "completed"


def test_the_clients_signed_requests_are_accepted_by_the_live_server(j1msky_web_only, make_client):
    signer = make_client(user=j1msky_web_only.user, require_signature=True)
    url = j1msky_web_only.url
    agency = Agency(api_key=signer.secret, base_url=url, signing_secret=signer.key.signing_secret)
    agent = agency.spawn(model="k2p5", task="signed over the wire", timeout=60)
    assert agency.get(agent.agent_id).status == "spawning"
    page = agency.list_page(limit=5, filter={"status": "spawning"}, sort="-created_at")
    assert [a["agent_id"] for a in page.data] == [agent.agent_id]
    assert [agency.active().count for _ in range(3)] == [1, 1, 1]  # never a replay
    assert agency.cancel(agent.agent_id).status == "cancelled"
    with pytest.raises(AuthenticationError) as unsigned:
        Agency(api_key=signer.secret, base_url=url).active()
    assert unsigned.value.type == "signature_required"
