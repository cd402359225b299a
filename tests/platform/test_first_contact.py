"""What a new user met first: the way in, the catalogue, hints that work, labelled simulated
spend, documented messages, refused bad input, team models, a clean start and a plain deploy."""

from __future__ import annotations

import shlex
import subprocess

import httpx
import pytest

from agents.models import Agent
from tests.fakeprovider import ok
from tests.processes import BIN, PYTHON, ROOT, gunicorn_server, subprocess_env, wait_for

pytestmark = pytest.mark.django_db


# --- the way in -------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/api/", "/api/v1/"])
def test_the_printed_url_is_an_index_of_the_api(anon_client, prefix):
    response = anon_client.get(prefix)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "4.0"
    assert body["links"]["docs"] == f"{prefix}docs/"
    assert body["links"]["schema"] == f"{prefix}schema/"
    assert body["links"]["health"] == f"{prefix}health"
    assert body["links"]["admin"] == "/admin/"
    assert anon_client.get(body["links"]["health"]).status_code == 200


def test_the_root_leads_to_the_index(anon_client):
    response = anon_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/api/"


# --- the catalogue ----------------------------------------------------------------------------


def test_models_lists_every_alias_with_what_a_caller_needs(make_client, live_providers):
    reader = make_client(["agents:read"])
    body = reader.get("/api/models").json()
    aliases = [m["alias"] for m in body["data"]]
    assert aliases == ["k2p5", "sonnet", "opus", "minimax-m2.5", "codex"]
    sonnet = reader.get("/api/models/sonnet").json()
    assert sonnet["provider"] == "anthropic" and sonnet["upstream_model"] == "claude-sonnet-4-6"
    assert sonnet["rates"] == {"input": 0.003, "output": 0.015, "blended": 0.003}
    assert sonnet["default_max_tokens"] == 4096
    assert sonnet["hourly_window"]["limit"] == 50
    assert (sonnet["breaker_state"], sonnet["enabled"], sonnet["backend"]) == (
        "closed",
        True,
        "live",
    )
    assert reader.get("/api/models/gpt-9").status_code == 404
    assert make_client(["billing:read"]).get("/api/models").status_code == 403


def test_a_provider_without_a_key_shows_as_simulated(make_client):
    body = make_client(["agents:read"]).get("/api/models?provider=anthropic").json()
    assert {m["backend"] for m in body["data"]} == {"simulated"}


def test_teams_list_their_members_as_aliases(make_client):
    team = make_client(["agents:read"]).get("/api/teams/team_coding").json()
    assert team["members"] == ["k2p5", "sonnet"]
    assert team["models"] == ["kimi-coding/kimi-k2.5", "anthropic/claude-sonnet-4-6"]


# --- hints that work as printed ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_command_the_start_prints_runs_as_printed(tmp_path):
    for _ in range(2):  # the second start prints the hints (the first shows secrets once)
        done = subprocess.run(
            [PYTHON, "manage.py", "up", "--prepare-only"],
            cwd=ROOT,
            env=subprocess_env(J1MSKY_DATA_DIR=str(tmp_path)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    hints = [
        line.split("with: ", 1)[1].split(" or ")[0].rstrip(")")
        for line in done.stdout.splitlines()
        if "with: " in line
    ]
    assert hints and all(hint.startswith(PYTHON) for hint in hints), done.stdout
    for hint in hints:
        command = shlex.split(hint)
        ran = subprocess.run(
            [*command[:3], "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert ran.returncode == 0, (hint, ran.stderr)


# --- simulated spend is labelled; a cancelled run keeps its output ---------------------------


def test_simulated_spend_is_labelled_in_usage_budget_and_agent(make_client, run_waiting, settings):
    settings.J1MSKY_SIMULATED_TOKEN_DELAY = 0
    client = make_client(["agents:read", "agents:write", "billing:read"])
    task = "A demo task that is long enough to cost something. " * 30
    agent_id = client.post("/api/spawn", {"task": task}, format="json").json()["agent_id"]
    run_waiting()
    agent = client.get(f"/api/agent/{agent_id}").json()
    assert agent["simulated"] is True and agent["cost"] > 0
    usage = client.get("/api/billing/usage").json()
    assert usage["simulated_cost"] == usage["total_cost"] == agent["cost"]
    budget = client.get("/api/billing/budget").json()
    assert budget["simulated_spend"] == budget["today_spend"] == agent["cost"]


# --- documented messages, refused bad input ---------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("task=idem", "'task' takes an operator: use task_contains, task_starts_with"),
        ("status=weird", "Invalid filter value for 'status'"),
        ("status_in=running,weird", "Invalid filter value for 'status_in'"),
    ],
)
def test_list_filters_refuse_what_they_cannot_use(make_client, query, message):
    response = make_client(["agents:read"]).get(f"/api/agents?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_filter"
    assert message in response.json()["error"]["message"]


def test_the_cursor_only_feed_refuses_an_offset(make_client):
    response = make_client(["agents:read"]).get("/api/events?offset=5")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_pagination"


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({"task": 123}, "task", "Must be a string."),
        ({"task": "x", "model": 7}, "model", "Must be a string."),
        ({"task": "x", "metadata": "x"}, "metadata", "Must be a JSON object"),
        ({"task": "x", "metadata": "[1]"}, "metadata", "Must be a JSON object"),
    ],
)
def test_text_is_text_and_metadata_an_object(make_client, body, path, message):
    response = make_client(["agents:write"]).post("/api/spawn", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {path: [message]}
    assert not Agent.objects.exists()


def test_field_paths_have_one_notation(admin_client):
    keys = admin_client.post(
        "/api/keys", {"name": "x", "scopes": ["agents:read", 5]}, format="json"
    )
    assert list(keys.json()["error"]["details"]) == ["scopes[1]"]
    scenario = admin_client.post(
        "/api/pricing/scenario", {"scenarios": [{"model": "k2p5"}, {"model": 9}]}, format="json"
    )
    assert list(scenario.json()["error"]["details"]) == ["scenarios[1].model"]


# --- teams report the model that produced the result -----------------------------------------


def test_a_team_reports_the_model_of_its_result_and_its_members(
    make_client, live_providers, run_waiting
):
    live_providers.enqueue(ok("draft"), ok("improved"))
    client = make_client(["agents:read", "agents:write"])
    spawned = client.post("/api/spawn-team", {"team": "team_coding", "task": "t"}, format="json")
    assert spawned.json()["members"] == ["k2p5", "sonnet"]
    run_waiting()
    agent = client.get(f"/api/agent/{spawned.json()['agent_id']}").json()
    assert (agent["model"], agent["result"]) == ("sonnet", "improved")


# --- a clean start and a plain deploy ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrate_alone_then_web_and_worker_is_healthy_and_quiet(tmp_path):
    env = subprocess_env(J1MSKY_DATA_DIR=str(tmp_path), J1MSKY_SQLITE_PATH=str(tmp_path / "db"))
    env.pop("DATABASE_URL", None)
    migrate = subprocess.run(
        [PYTHON, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert migrate.returncode == 0, migrate.stderr
    log = tmp_path / "worker.log"
    with (
        gunicorn_server(workers=1, threads=2, env=env) as base,
        open(log, "w") as out,
        subprocess.Popen(
            [str(BIN / "celery"), "-A", "j1msky", "worker", "-c", "1", "-l", "INFO"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        ) as worker,
    ):
        try:
            health = wait_for(
                lambda: (
                    (h := httpx.get(f"{base}/api/health", timeout=5).json())["status"] == "healthy"
                    and h
                ),
                timeout=60,
                message="healthy after migrate alone",
            )
        finally:
            worker.terminate()
            worker.wait(30)
    assert all(check["ok"] for check in health["checks"].values()), health
    assert "No hostname was supplied" not in log.read_text()
