"""Privacy (semantics §12.6): content sealed at rest, PII detection and masking, retention,
purge, export, and what sealing changes (the task filter, re-sealing, the data migration)."""

from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from agents.models import Agent
from agents.tasks import erase_expired_content
from billing.models import LedgerEntry
from j1msky.models import Event
from j1msky.sealing import content_rows_reseal, content_sealing
from security.crypto import data_key_generate, keyring_get, keyring_reset
from security.models import ApiKey, AuditLog
from security.privacy import pii_detect, pii_mask, secrets_redact
from tests.webhooks.conftest import deliver
from tests.webhooks.receivers import http_receiver

pytestmark = pytest.mark.django_db

TASK = "Summarise the Lighthouse contract for jane.doe@example.com, call +44 20 7946 0958"


def raw_dump() -> str:
    """Every row of every table, as the database holds it."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            rows.append(f"{table}: {cursor.fetchall()!r}")
    return "\n".join(rows)


# --- sealed at rest ----------------------------------------------------------------------------


def echo_receiver():
    """A webhook receiver that answers with the body it got (its excerpt is then the payload)."""
    holder: list = []

    def echo(handler) -> None:
        body = holder[0].requests[-1].body
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    receiver = http_receiver(echo)
    return receiver, holder


def test_no_task_result_or_secret_is_in_clear_in_the_tables_or_the_logs(
    make_client, run_waiting, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    settings.J1MSKY_WEBHOOK_ALLOW_HTTP = True
    settings.J1MSKY_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    client = make_client(signing_secret=True)
    receiving, holder = echo_receiver()
    with receiving as receiver:
        holder.append(receiver)
        hook = client.post(
            "/api/webhooks",
            {"url": f"http://127.0.0.1:{receiver.port}/h", "events": ["agent.completed"]},
            format="json",
        ).json()
        single = client.post("/api/spawn", {"model": "k2p5", "task": TASK}, format="json").json()
        team = client.post(
            "/api/spawn-team",
            {"team": "team_coding", "task": "Lighthouse team review"},
            format="json",
        ).json()
        run_waiting()
        assert deliver().delivered == 2
    assert TASK in receiver.requests[0].body.decode() + receiver.requests[1].body.decode()
    done = {a.agent_id: a for a in Agent.objects.all()}
    assert done[single["agent_id"]].status == done[team["agent_id"]].status == "completed"
    results = [done[single["agent_id"]].result, done[team["agent_id"]].result]
    step_results = [step["result"] for step in done[team["agent_id"]].steps]
    assert all(len(r) > 20 for r in results + step_results)
    events = client.get("/api/events").json()["data"]
    assert TASK in [e["data"].get("task") for e in events]  # the API shows them in clear

    dump = raw_dump()
    logs = caplog.text
    secrets = [client.secret, client.key.signing_secret, hook["secret"]]
    for text in [TASK, "Lighthouse team review", *results, *step_results, *secrets]:
        for probe in (text, text[:40], text[-40:]):
            assert probe not in dump, probe
            assert probe not in logs, probe
    assert "Lighthouse" not in dump


def test_turning_content_sealing_off_writes_it_in_clear_and_both_read_back(make_client, settings):
    client = make_client()
    sealed = client.post("/api/spawn", {"task": "written sealed"}, format="json").json()
    settings.J1MSKY_ENCRYPT_CONTENT = False
    clear = client.post("/api/spawn", {"task": "written in clear"}, format="json").json()
    assert "written in clear" in raw_dump() and "written sealed" not in raw_dump()
    tasks = {a["agent_id"]: a["task"] for a in client.get("/api/agents").json()["data"]}
    assert tasks == {sealed["agent_id"]: "written sealed", clear["agent_id"]: "written in clear"}
    # a clear value that would look sealed is sealed anyway, so it reads back as written
    tricky = client.post("/api/spawn", {"task": "j1e1:abcdefabcdef:AAAA"}, format="json").json()
    assert client.get(f"/api/agent/{tricky['agent_id']}").json()["task"] == "j1e1:abcdefabcdef:AAAA"


def test_the_task_filter_is_400_while_sealed_and_works_in_clear(make_client, settings):
    client = make_client()
    response = client.get("/api/agents", {"task_contains": "secret plan"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_filter" and "task_contains" in error["details"]
    assert client.get("/api/agents", {"filter": '{"task":{"starts_with":"x"}}'}).status_code == 400
    settings.J1MSKY_ENCRYPT_CONTENT = False
    client.post("/api/spawn", {"task": "the secret plan"}, format="json")
    client.post("/api/spawn", {"task": "something else"}, format="json")
    found = client.get("/api/agents", {"task_contains": "SECRET PLAN"}).json()["data"]
    assert [a["task"] for a in found] == ["the secret plan"]


def test_reencrypting_after_a_key_rotation_moves_every_value_to_the_new_key(
    make_client, monkeypatch
):
    old_key = data_key_generate()
    monkeypatch.setenv("J1MSKY_DATA_KEY", old_key)
    keyring_reset()
    try:
        client = make_client(signing_secret=True)
        agent = client.post("/api/spawn", {"task": "rotate me"}, format="json").json()
        old_id = keyring_get().current.key_id
        monkeypatch.setenv("J1MSKY_DATA_KEY", data_key_generate())
        monkeypatch.setenv("J1MSKY_DATA_KEYS_OLD", old_key)
        out = StringIO()
        call_command("data_reencrypt", stdout=out)
        new_id = keyring_get().current.key_id
        assert f"current data key id {new_id}" in out.getvalue()
        dump = raw_dump()
        assert f"j1e1:{old_id}:" not in dump and f"j1e1:{new_id}:" in dump
        monkeypatch.delenv("J1MSKY_DATA_KEYS_OLD")  # the old key is gone; all still opens
        keyring_reset()
        assert Agent.objects.get(pk=agent["agent_id"]).task == "rotate me"
        assert ApiKey.objects.get(pk=client.key.pk).signing_secret == client.key.signing_secret
        assert all(isinstance(e.data, dict) for e in Event.objects.all())
    finally:
        keyring_reset()


def test_the_content_can_be_written_in_clear_and_sealed_again(make_client):
    client = make_client()
    client.post("/api/spawn", {"task": "round trip"}, format="json")
    call_command("data_reencrypt", "--clear", stdout=StringIO())
    assert "round trip" in raw_dump()
    call_command("data_reencrypt", "--seal", stdout=StringIO())
    assert "round trip" not in raw_dump()
    assert Agent.objects.get().task == "round trip"


def test_the_data_migration_step_seals_and_opens_existing_rows(make_client):
    from j1msky.sealing import content_reseal_operation

    client = make_client()
    client.post("/api/spawn", {"task": "migrated"}, format="json")
    with content_sealing(False):
        content_rows_reseal(Agent)
        content_rows_reseal(Event)
    assert "migrated" in raw_dump()  # as rows written before the migration

    class Apps:
        def get_model(self, app_label, model_name):
            return {"Agent": Agent, "Event": Event}[model_name]

    operation = content_reseal_operation("agents", "Agent")
    operation.code(Apps(), None)
    assert "migrated" not in raw_dump()
    operation.reverse_code(Apps(), None)
    assert "migrated" in raw_dump()
    assert Agent.objects.get().task == "migrated"


# --- PII -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kinds", "masked"),
    [
        ("mail jane.doe@example.com now", ["email"], "mail [email] now"),
        ("card 4111 1111 1111 1111.", ["card_number"], "card [card_number]."),
        ("not a card 4111 1111 1111 1112", [], "not a card 4111 1111 1111 1112"),
        ("IBAN GB82 WEST 1234 5698 7654 32", ["iban"], "IBAN [iban]"),
        ("IBAN GB82 WEST 1234 5698 7654 33", [], "IBAN GB82 WEST 1234 5698 7654 33"),
        ("call +1 415 555 0100 or (212) 555-0199", ["phone"], "call [phone] or [phone]"),
        ("from 192.168.1.10 and 2001:db8::1", ["ip_address"], "from [ip_address] and [ip_address]"),
        ("at 12:30:45 on 2026-02-19, v3.2", [], "at 12:30:45 on 2026-02-19, v3.2"),
    ],
)
def test_pii_is_detected_and_masked(text, kinds, masked):
    assert pii_detect(text) == kinds
    assert pii_mask(text) == masked


def test_secrets_are_redacted_by_name_and_by_shape():
    redacted = secrets_redact(
        {
            "key": "dev_sk_abcdefghijklmnopqrstuvwxyz",
            "key_id": "key_1",
            "note": "use live_sk_abcdefghijklmnopqrstuvwx here",
            "nested": [{"password": "hunter2", "webhook_secret": "whsec_x"}],
            "header": "Bearer abcdefghijklmnopqrstuvwxyz",
        }
    )
    assert redacted == {
        "key": "[redacted]",
        "key_id": "key_1",
        "note": "use [redacted] here",
        "nested": [{"password": "[redacted]", "webhook_secret": "[redacted]"}],
        "header": "[redacted]",
    }


def test_detect_and_mask_on_a_spawn(make_client, run_waiting):
    client = make_client()
    privacy = {"detect_pii": True, "mask_pii_in_logs": True, "retention_days": 7}
    spawned = client.post("/api/spawn", {"task": TASK, "privacy": privacy}, format="json").json()
    run_waiting()
    detail = client.get(f"/api/agent/{spawned['agent_id']}").json()
    assert detail["task"] == TASK  # the owner reads its own content in clear
    assert detail["privacy"]["pii_detected"] == ["email", "phone"]
    assert detail["privacy"]["retention_days"] == 7 and detail["privacy"]["encrypted"] is True
    (completed,) = [
        e for e in client.get("/api/events").json()["data"] if e["type"] == "agent.completed"
    ]
    assert "jane.doe@example.com" not in completed["data"]["task"]
    assert "[email]" in completed["data"]["task"] and "[phone]" in completed["data"]["task"]
    preview = AuditLog.objects.get(event="agent.spawn").details["task_preview"]
    assert "[email]" in preview


def test_without_mask_the_events_carry_the_task_as_given(make_client, run_waiting):
    client = make_client()
    client.post("/api/spawn", {"task": TASK, "privacy": {"detect_pii": True}}, format="json")
    run_waiting()
    completed = [e for e in Event.objects.all() if e.type == "agent.completed"]
    assert completed[0].data["task"] == TASK


@pytest.mark.parametrize(
    ("privacy", "field"),
    [
        ({"retention_days": 0}, "retention_days"),
        ({"detect_pii": "sometimes"}, "detect_pii"),
        ({"shred": True}, "privacy"),
        ("not json", "privacy"),
    ],
)
def test_bad_privacy_options_are_400(make_client, privacy, field):
    response = make_client().post("/api/spawn", {"task": "x", "privacy": privacy}, format="json")
    assert response.status_code == 400
    assert field in str(response.json()["error"]["details"])
    assert not Agent.objects.exists()


def test_encrypt_output_while_the_server_does_not_encrypt_is_400(make_client, settings):
    settings.J1MSKY_ENCRYPT_CONTENT = False
    response = make_client().post(
        "/api/spawn", {"task": "x", "privacy": {"encrypt_output": True}}, format="json"
    )
    assert response.status_code == 400 and not Agent.objects.exists()
    assert "encrypt_output" in str(response.json()["error"]["details"])


# --- retention and purge ---------------------------------------------------------------------


def _content_everywhere(agent_id: str) -> list[str]:
    agent = Agent.objects.get(pk=agent_id)
    found = [agent.task, agent.result, *[s.get("result", "") for s in agent.steps]]
    found += [e.data.get("task", "") + e.data.get("result", "") for e in Event.objects.all()]
    found += [
        str(row.details.get("task_preview", ""))
        for row in AuditLog.objects.filter(resource_id=agent_id)
    ]
    return [text for text in found if text]


def test_purge_erases_the_content_everywhere_and_keeps_the_cost(make_client, run_waiting):
    client = make_client()
    spawned = client.post(
        "/api/spawn-team", {"team": "team_coding", "task": TASK}, format="json"
    ).json()
    run_waiting()
    agent_id = spawned["agent_id"]
    cost = Agent.objects.get(pk=agent_id).actual_cost
    assert _content_everywhere(agent_id)
    purged = client.delete(f"/api/agent/{agent_id}?purge=true")
    assert purged.status_code == 200
    body = purged.json()
    assert body["message"] == "Agent content erased" and body["status"] == "completed"
    assert body["content_erased_at"] is not None
    assert _content_everywhere(agent_id) == []
    detail = client.get(f"/api/agent/{agent_id}").json()
    assert detail["task"] == detail["result"] == "" and detail["status"] == "completed"
    assert Agent.objects.get(pk=agent_id).actual_cost == cost
    assert LedgerEntry.objects.filter(agent_id=agent_id).count() == 2
    row = AuditLog.objects.get(event="agent.purge", resource_id=agent_id)
    assert row.details["reason"] == "purge" and row.api_key_id == client.key.key_id
    again = client.delete(f"/api/agent/{agent_id}?purge=true")
    assert again.status_code == 200  # erasing twice is harmless


def test_purge_of_a_waiting_agent_cancels_it(make_client):
    client = make_client()
    agent_id = client.post("/api/spawn", {"task": TASK}, format="json").json()["agent_id"]
    body = client.delete(f"/api/agent/{agent_id}?purge=true")
    assert body.json()["status"] == "cancelled"
    assert Agent.objects.get(pk=agent_id).task == ""
    assert client.delete(f"/api/agent/{agent_id}?purge=maybe").status_code == 400


def test_a_run_purged_while_running_is_erased_again_when_it_stops(make_client):
    from agents.services import agent_claim_next, agent_finish, agent_purge

    client = make_client()
    agent_id = client.post("/api/spawn", {"task": TASK}, format="json").json()["agent_id"]
    running = agent_claim_next(worker="w#1")
    assert running.agent_id == agent_id
    purged = agent_purge(owner=client.user, agent_id=agent_id)
    assert purged.status == "running" and purged.task == ""
    # the worker ends it with the output it had received, which must not survive
    assert agent_finish(agent=running, status="cancelled", result="late output " + TASK)
    assert _content_everywhere(agent_id) == []


def test_content_past_its_retention_is_erased_by_the_beat(make_client, run_waiting):
    client = make_client()
    short = client.post(
        "/api/spawn", {"task": "short-lived", "privacy": {"retention_days": 1}}, format="json"
    ).json()["agent_id"]
    default = client.post("/api/spawn", {"task": "kept"}, format="json").json()["agent_id"]
    run_waiting()
    waiting = client.post("/api/spawn", {"task": "still waiting"}, format="json").json()
    ends = {a.agent_id: a for a in Agent.objects.all()}
    assert ends[short].content_expires_at - ends[short].completed_at == timedelta(days=1)
    assert ends[default].content_expires_at - ends[default].completed_at == timedelta(days=30)
    assert erase_expired_content() == 0
    past = timezone.now() - timedelta(seconds=1)
    Agent.objects.filter(pk__in=[short, waiting["agent_id"]]).update(content_expires_at=past)
    assert erase_expired_content() == 1  # the ended one; one still waiting keeps its task
    assert Agent.objects.get(pk=short).task == Agent.objects.get(pk=short).result == ""
    assert Agent.objects.get(pk=default).task == "kept"
    assert Agent.objects.get(pk=waiting["agent_id"]).task == "still waiting"
    row = AuditLog.objects.get(event="agent.purge")
    assert row.details["reason"] == "retention" and row.actor == "system"


# --- export --------------------------------------------------------------------------------------


def test_export_returns_all_of_the_owners_records_and_nobody_elses(make_client, run_waiting):
    client = make_client(["agents:read", "agents:write"])
    other = make_client()
    mine = client.post("/api/spawn", {"task": TASK}, format="json").json()["agent_id"]
    other.post("/api/spawn", {"task": "not yours"}, format="json")
    run_waiting()
    response = client.get("/api/privacy/export")
    assert response.status_code == 200
    body = response.json()
    assert body["owner"]["username"] == client.user.username
    records = body["records"]
    assert [a["agent_id"] for a in records["agents"]] == [mine]
    assert records["agents"][0]["task"] == TASK and records["agents"][0]["result"]
    assert [k["key_id"] for k in records["api_keys"]] == [client.key.key_id]
    assert "secret_hash" not in records["api_keys"][0]
    assert "signing_secret" not in records["api_keys"][0]
    assert {e["agent_id"] for e in records["events"]} == {mine}
    assert [u["agent_id"] for u in records["usage"]] == [mine]
    assert {"pricing_quotes", "pricing_decisions", "audit_log"} <= set(records)
    assert "not yours" not in response.content.decode()
    assert client.secret not in response.content.decode()
    assert AuditLog.objects.filter(event="privacy.export", owner=client.user).exists()
    assert make_client(["agents:write"]).get("/api/privacy/export").status_code == 403


def test_up_names_the_data_key_and_creates_it_on_a_fresh_install(monkeypatch, settings, tmp_path):
    from security.startup import data_key_line

    monkeypatch.delenv("J1MSKY_DATA_KEY", raising=False)
    settings.DATA_DIR = tmp_path
    keyring_reset()
    try:
        line = data_key_line()
        assert (tmp_path / "data_key").exists()
        assert line.endswith(f"from {tmp_path / 'data_key'} (back it up with the database)")
        monkeypatch.setenv("J1MSKY_DATA_KEY", data_key_generate())
        keyring_reset()
        assert "from J1MSKY_DATA_KEY" in data_key_line()
    finally:
        keyring_reset()
