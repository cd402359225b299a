"""After a mixed run — completed, failed and cancelled agents, single models and teams, on the
fake provider's real wire formats — every place that reports spend agrees with the ledger to the
cent: the status's `today_spend` and `usage_summary`, `/billing/usage`, `/billing/budget` and
the `/metrics` spend families."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from prometheus_client.parser import text_string_to_metric_families

from agents.models import Agent
from billing.models import LedgerEntry
from j1msky.money import from_micros
from tests.conftest import ALL_SCOPES
from tests.fakeprovider import ok, slow, status

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _spawn(client, path="/api/spawn", **body) -> str:
    response = client.post(path, {"task": "Summarise the quarter", **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["agent_id"]


def _run_and_cancel_midway(writer, fake, run_waiting) -> str:
    """An opus run whose stream is cancelled from another thread while it arrives."""
    fake.enqueue(slow("z" * 4000, chunk_delay=0.05, input_tokens=900, output_tokens=1000))
    agent_id = _spawn(writer, model="opus", fallback=False, task="Summarise the quarter. " * 60)

    def work():
        try:
            run_waiting()
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    deadline = time.monotonic() + 30
    while not (fake.requests and fake.last_request.chunks_sent > 5):
        assert time.monotonic() < deadline, "the stream never started"
        time.sleep(0.02)
    assert writer.delete(f"/api/agent/{agent_id}").status_code == 202
    worker.join(timeout=60)
    return agent_id


def _metrics_spend(client, family: str) -> dict[str, Decimal]:
    text = client.get("/api/metrics").content.decode()
    return {
        sample.labels["model"]: Decimal(repr(sample.value))
        for metric in text_string_to_metric_families(text)
        for sample in metric.samples
        if sample.name == family
    }


def test_every_report_of_todays_spend_agrees_with_the_ledger(make_client, live_providers):
    from agents.tasks import run_next_agent as run_waiting

    writer = make_client(["agents:read", "agents:write"])
    operator = make_client(ALL_SCOPES, staff=True)
    live_providers.enqueue(
        ok(input_tokens=1234, output_tokens=777),  # k2p5: completed
        ok(input_tokens=3001, output_tokens=1499),  # sonnet: completed
        ok(input_tokens=517, output_tokens=2503),  # team_coding step 1, k2p5
        ok(input_tokens=2611, output_tokens=905),  # team_coding step 2, sonnet: completed
        ok(input_tokens=733, output_tokens=333),  # team_research step 1, sonnet
        status(400),  # team_research step 2, k2p5: fails, no fallback
    )
    completed = [_spawn(writer, model="k2p5"), _spawn(writer, model="sonnet")]
    completed.append(_spawn(writer, "/api/spawn-team", team="team_coding"))
    failed = _spawn(writer, "/api/spawn-team", team="team_research", fallback=False)
    waiting = _spawn(writer, model="opus")
    assert writer.delete(f"/api/agent/{waiting}").status_code == 200  # cancelled while waiting
    run_waiting()
    cancelled = _run_and_cancel_midway(writer, live_providers, run_waiting)

    statuses = dict(Agent.objects.values_list("agent_id", "status"))
    assert [statuses[a] for a in completed] == ["completed"] * 3
    assert (statuses[failed], statuses[waiting], statuses[cancelled]) == (
        "failed",
        "cancelled",
        "cancelled",
    )

    def charged(agent_id):
        return LedgerEntry.objects.filter(agent_id=agent_id).aggregate(c=Sum("cost_micros"))["c"]

    assert charged(failed) > 0  # its first step still pays
    assert charged(cancelled) > 0  # what it used before the cancel is charged

    ledger = from_micros(LedgerEntry.objects.aggregate(total=Sum("cost_micros"))["total"])
    by_model = {
        model: from_micros(micros)
        for model, micros in LedgerEntry.objects.values("model")
        .annotate(m=Sum("cost_micros"))
        .values_list("model", "m")
    }
    assert ledger > 0 and set(by_model) == {"k2p5", "sonnet", "opus"}

    status_body = operator.get("/api/orchestrator/status").json()
    summary = status_body["usage_summary"]
    assert Decimal(repr(status_body["today_spend"])) == ledger
    assert {
        row["model"]: Decimal(repr(row["estimated_spend"])) for row in summary["top_models"]
    } == (by_model)
    assert summary["total_calls"] == LedgerEntry.objects.count()

    usage = operator.get("/api/billing/usage").json()
    assert Decimal(repr(usage["total_cost"])) == ledger
    assert {m: Decimal(repr(v)) for m, v in usage["by_model"].items()} == by_model

    budget = operator.get("/api/billing/budget").json()
    assert (Decimal(repr(budget["today_spend"])), budget["reserved"]) == (ledger, 0.0)

    assert _metrics_spend(operator, "j1msky_spend_today_usd") == by_model
    assert _metrics_spend(operator, "j1msky_ledger_spend_usd_total") == by_model
