"""The `j1msky` command against a scripted server on 127.0.0.1: output, progress, exit codes."""

import io
import json
import subprocess
import sys

import pytest

from j1msky.sdk import cli
from j1msky.sdk.output import Progress
from tests.processes import ROOT
from tests.sdk.fakeserver import Reply, envelope, fake_api

AGENT = "subagent_1700000000_1234"


@pytest.fixture
def api():
    with fake_api() as server:
        yield server


def run(api, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--api-key", "dev_sk_test", "--base-url", api.url, *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def detail(status: str, **fields) -> Reply:
    return Reply(200, {"agent_id": AGENT, "model": "k2p5", "status": status, **fields})


def script_spawn(api, *states: Reply) -> None:
    spawned = {"success": True, "agent_id": AGENT, "model": "k2p5", "status": "spawning"}
    api.on("POST", "/api/spawn", Reply(201, spawned))
    api.on("GET", f"/api/agent/{AGENT}", *states)


def test_spawn_with_wait_prints_the_result_and_shows_progress(api):
    done = detail("completed", result="def fib(n): ...", cost=0.0003, simulated=True)
    script_spawn(api, detail("spawning"), detail("running", progress={"output_tokens": 4}), done)
    code, out, err = run(
        api, "agent", "spawn", "--model", "k2p5", "--task", "fib", "--wait", "--poll-interval", "0"
    )
    assert code == cli.EXIT_OK
    assert out == "def fib(n): ...\n"
    assert f"{AGENT} spawning" in err and f"{AGENT} running" in err
    assert "completed · k2p5 · $0.0003 (simulated)" in err
    assert api.seen("POST", "/api/spawn")[0].json == {"model": "k2p5", "task": "fib"}


def test_spawn_with_wait_in_json_prints_the_agent(api):
    script_spawn(api, detail("completed", result="ok", cost=0.0001))
    code, out, _ = run(api, "--format", "json", "-q", "agent", "spawn", "--task", "x", "--wait")
    assert code == 0 and json.loads(out)["result"] == "ok"


def test_a_failed_agent_exits_6_and_a_wait_that_ends_early_exits_7(api):
    script_spawn(api, detail("failed", error={"type": "timeout", "message": "too slow"}))
    code, _, err = run(api, "-q", "agent", "wait", AGENT)
    assert code == cli.EXIT_AGENT_FAILED == 6
    assert "failed" in err and "too slow" in err
    api.on("GET", f"/api/agent/{AGENT}", detail("running"))
    code, _, err = run(api, "-q", "agent", "wait", AGENT, "--wait-timeout", "0.2")
    assert code == cli.EXIT_WAIT_TIMEOUT == 7 and "still running" in err


def test_a_bad_key_exits_3_with_the_servers_message_and_request_id(api):
    api.on("GET", "/api/agents", envelope(401, "authentication_failed", "Invalid API key"))
    code, out, err = run(api, "agent", "list")
    assert code == cli.EXIT_AUTH == 3 and out == ""
    assert "Invalid API key" in err and "req_fake1" in err
    code, _, err = run(api, "--format", "json", "agent", "list")
    assert code == 3
    assert json.loads(err)["error"] == {
        "code": 401,
        "type": "authentication_failed",
        "message": "Invalid API key",
        "request_id": "req_fake1",
    }


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (envelope(400, "validation_error", "Task cannot be empty"), cli.EXIT_USAGE),
        (envelope(403, "permission_denied", "Missing required scope"), cli.EXIT_AUTH),
        (envelope(402, "budget_exceeded", "Daily budget exceeded"), cli.EXIT_LIMITED),
        (envelope(429, "rate_limited", "Rate limit exceeded", retry_after=3000), cli.EXIT_LIMITED),
        (envelope(409, "conflict", "Conflict"), cli.EXIT_ERROR),
        (envelope(503, "service_unavailable", "Down", retry_after=0), cli.EXIT_UNAVAILABLE),
    ],
)
def test_each_refusal_has_its_exit_code(api, reply, code):
    api.on("POST", "/api/spawn", reply)
    status, out, err = run(api, "agent", "spawn", "--task", "x")
    assert status == code and out == ""
    assert reply.body["error"]["message"] in err


def test_unknown_agent_exits_4_and_bad_arguments_exit_2(api):
    api.on("GET", "/api/agent/nope", envelope(404, "agent_not_found", "Agent nope not found"))
    assert run(api, "agent", "status", "nope")[0] == cli.EXIT_NOT_FOUND == 4
    assert run(api, "agent", "spawn")[0] == cli.EXIT_USAGE == 2  # --task is required
    assert run(api, "agent", "spawn", "--task", "x", "--priority", "urgent")[0] == 2


def test_list_prints_a_table_of_at_most_limit_agents(api):
    rows = [{"agent_id": f"a{i}", "status": "completed", "model": "k2p5"} for i in range(5)]
    page = {"data": rows, "pagination": {"cursor": "next", "has_more": True}}
    api.json("GET", "/api/agents", page)
    code, out, _ = run(api, "agent", "list", "--limit", "3", "--status", "completed")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == [
        "AGENT_ID",
        "STATUS",
        "MODEL",
        "TEAM",
        "PRIORITY",
        "CREATED_AT",
        "ACTUAL_COST",
    ]
    assert [line.split()[0] for line in lines[1:]] == ["a0", "a1", "a2"]
    sent = api.seen("GET", "/api/agents")[0].query
    assert sent["status"] == "completed" and sent["sort"] == "-created_at"


def test_team_deploy_pricing_quote_limits_and_usage(api):
    team = {"success": True, "agent_id": AGENT, "team": "team_coding", "status": "spawning"}
    api.json("POST", "/api/spawn-team", team, status=201)
    quote = {"quote": {"recommended_price": 0.5}, "guardrail_check": {"is_compliant": True}}
    api.json("POST", "/api/pricing/quote", quote)
    window = {"used": 2, "limit": 100, "remaining": 98, "reset_at": "2026-02-19T11:00:00Z"}
    api.json("GET", "/api/rate-limits", {"limits": {"kimi-coding": window}})
    api.json("GET", "/api/billing/usage", {"period": "2026-02-01 to 2026-02-19", "total_cost": 1})
    code, out, _ = run(api, "team", "deploy", "--team", "team_coding", "--task", "t")
    assert code == 0 and "team_coding" in out
    assert api.seen("POST", "/api/spawn-team")[0].json == {"team": "team_coding", "task": "t"}
    argv = ["pricing", "quote", "--model", "sonnet", "--input", "3000", "--output", "1200"]
    code, out, _ = run(api, *argv, "--segment", "enterprise")
    assert code == 0 and "quote.recommended_price" in out and "0.5" in out
    assert api.seen("POST", "/api/pricing/quote")[0].json == {
        "model": "sonnet",
        "estimated_input": 3000,
        "estimated_output": 1200,
        "segment": "enterprise",
    }
    code, out, _ = run(api, "limits")
    assert code == 0 and out.splitlines()[1].split()[:4] == ["kimi-coding", "2", "100", "98"]
    code, out, _ = run(api, "--format", "json", "usage", "--start", "2026-02-01")
    assert code == 0 and json.loads(out)["total_cost"] == 1
    assert api.seen("GET", "/api/billing/usage")[0].query == {"start": "2026-02-01"}


def test_no_api_key_exits_3_and_says_how_to_give_one(api, monkeypatch):
    monkeypatch.delenv("J1MSKY_API_KEY", raising=False)
    err = io.StringIO()
    code = cli.main(["--base-url", api.url, "limits"], out=io.StringIO(), err=err)
    assert code == cli.EXIT_AUTH and "J1MSKY_API_KEY" in err.getvalue()
    assert api.requests == []


def test_progress_on_a_terminal_is_one_updating_line():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    class Seen:
        data = {"agent_id": AGENT, "status": "running", "progress": {"output_tokens": 12}}

    screen = Terminal()
    progress = Progress(screen)
    progress(Seen())
    progress(Seen())
    progress.finish()
    text = screen.getvalue()
    assert "\n" not in text and text.count("\r\x1b[2K") == 3
    assert f"{AGENT} running" in text and "12 output tokens" in text


def test_the_cli_runs_from_the_checkout(tmp_path):
    as_module = [sys.executable, "-m", "j1msky.sdk.cli", "--help"]
    wrapper = [str(ROOT / "bin" / "j1msky"), "--help"]  # from any directory
    for command, cwd in ((as_module, ROOT), (wrapper, tmp_path)):
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "agent" in done.stdout and "exit status:" in done.stdout
