"""Agents in the Django admin: filters and search, the run's steps, ledger rows and events on its
page, cancelling through the service; providers show whether a key is set, never the key."""

import pytest
from django.contrib.messages import get_messages

from agents.models import Agent
from security.models import AuditLog
from tests.fakeprovider import ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("ops", "ops@example.com", "pw-123456")
    client.force_login(user)
    return client


def _spawn(client, path="/api/spawn", **body) -> str:
    response = client.post(path, {"task": "Summarise the quarter", **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["agent_id"]


def test_a_team_run_shows_its_steps_usage_and_events(
    staff, admin_client, live_providers, run_waiting
):
    for tokens in (1111, 2222, 3333, 4444):
        live_providers.enqueue(ok("step done", input_tokens=tokens, output_tokens=77))
    agent_id = _spawn(admin_client, "/api/spawn-team", team="team_coding")
    assert run_waiting() == [agent_id]
    agent = Agent.objects.get(pk=agent_id)
    assert agent.status == "completed" and len(agent.steps) >= 2
    page = staff.get(f"/admin/agents/agent/{agent_id}/change/").content.decode()
    for step in agent.steps:
        assert f"<td>{step['model']}</td>" in page
    assert page.count("<td>completed</td>") == len(agent.steps)
    assert "<td>1111</td>" in page and "<td>2222</td>" in page  # ledger rows and step usage
    assert "<td>agent.completed</td>" in page


def test_filters_by_status_model_team_and_cost_and_search(staff, admin_client, live_providers):
    cheap = _spawn(admin_client, model="k2p5")
    dear = _spawn(admin_client, model="opus")
    Agent.objects.filter(pk=dear).update(actual_cost="2.5000", status="completed")
    Agent.objects.filter(pk=cheap).update(actual_cost="0.0500")

    def listed(query: str) -> set[str]:
        page = staff.get(f"/admin/agents/agent/?{query}").content.decode()
        assert "errornote" not in page
        return {a for a in (cheap, dear) if a in page}

    assert listed("cost=more") == {dear}
    assert listed("cost=cents") == {cheap}
    assert listed("cost=zero") == set()
    assert listed("status__exact=completed") == {dear}
    assert listed("model__alias__exact=k2p5") == {cheap}
    assert listed(f"q={dear}") == {dear}
    assert listed("q=opus") == {dear}


def test_cancel_goes_through_the_service_and_is_audited(staff, admin_client):
    waiting = _spawn(admin_client, model="k2p5")
    response = staff.post(
        "/admin/agents/agent/",
        {"action": "cancel_agents", "_selected_action": [waiting]},
        follow=True,
    )
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Cancellation requested for 1 agent(s)." in shown
    assert Agent.objects.get(pk=waiting).status == "cancelled"
    audit = AuditLog.objects.get(event="admin.action", resource_id=waiting)
    assert audit.actor == "admin:ops" and audit.details == {"action": "cancel"}


def test_providers_show_whether_a_key_is_set_never_the_key(staff, settings):
    settings.J1MSKY_PROVIDERS = {
        "ANTHROPIC": {"api_key": "sk-ant-very-secret", "base_url": ""},
        "KIMI": {"api_key": "", "base_url": ""},
        "MINIMAX": {"api_key": "", "base_url": ""},
        "OPENAI": {"api_key": "", "base_url": ""},
    }
    listing = staff.get("/admin/agents/provider/").content.decode()
    assert "sk-ant-very-secret" not in listing
    assert listing.count('alt="True"') == 1 and 'alt="False"' in listing
    for provider in ("anthropic", "kimi-coding"):
        page = staff.get(f"/admin/agents/provider/{provider}/change/")
        assert page.status_code == 200 and b"sk-ant-very-secret" not in page.content
