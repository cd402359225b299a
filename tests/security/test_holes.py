"""The holes a security read of the first wave found, each reproduced and shown closed.

1 admin actions for view-only staff; 2 scope escalation by rotation; 3 keys that outgrow their
creator; 4 system-wide settings changed by any owner, and usage across owners; 5-6 provider
calls redirected by the admin or by an HTTP redirect; 7 key fields editable after creation;
8 the `live` environment's hardening.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from agents.models import Agent, Provider
from billing.models import BudgetSetting, LedgerEntry, Reservation
from pricing import engine
from pricing.models import PricingException
from pricing.services import decision_create
from security.models import ApiKey, AuditLog
from tests.fakeprovider import fake_provider_server
from tests.ledger import ledger_record
from tests.processes import PYTHON, ROOT

pytestmark = pytest.mark.django_db

ALL = ["agents:read", "agents:write", "billing:read", "billing:write", "admin:write"]
# A quote whose margin is below the threshold: its decision is escalated.
ESCALATE = {
    "model": "opus",
    "estimated_input": 10000,
    "estimated_output": 10000,
    "complexity": "low",
    "segment": "startup",
}


# --- 1. admin actions for view-only staff ---------------------------------------------------


@pytest.fixture
def viewer(client, django_user_model):
    """Staff who may only look: the view permission of every model with an action."""
    user = django_user_model.objects.create_user("viewer", password="pw-123456", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_apikey",
                "view_agent",
                "view_reservation",
                "view_decision",
                "view_pricingexception",
            ]
        )
    )
    client.force_login(user)
    return client


@pytest.fixture
def superuser(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(user)
    client.user = user
    return client


def _post_action(client, url: str, action: str, pk) -> int:
    response = client.post(url, {"action": action, "_selected_action": [pk], "index": 0})
    return response.status_code


def test_view_only_staff_gets_403_on_every_admin_action(viewer, make_client, make_user):
    victim = make_client(ALL, user=make_user(is_superuser=True, is_staff=True))
    spawned = victim.post("/api/spawn", {"task": "hello"}, format="json").json()["agent_id"]
    agent = Agent.objects.get(pk=spawned)
    decision = decision_create(
        owner=victim.user, request=engine.QuoteRequest(engine.QuoteInput(**ESCALATE))
    )
    attempts = {
        ("/admin/security/apikey/", "rotate_keys", victim.key.pk),
        ("/admin/security/apikey/", "revoke_keys", victim.key.pk),
        ("/admin/agents/agent/", "cancel_agents", agent.pk),
        ("/admin/billing/reservation/", "release", agent.reservation_id),
        ("/admin/pricing/decision/", "approve_as_exception", decision.pk),
    }
    for url, action, pk in sorted(attempts):
        assert _post_action(viewer, url, action, pk) == 403, (url, action)
    assert viewer.get("/admin/security/apikey/add/").status_code == 403

    # Nothing happened: no new key, the victim's key works, the agent still waits.
    assert ApiKey.objects.filter(owner=victim.user).count() == 1
    assert victim.get("/api/keys").status_code == 200
    assert Agent.objects.get(pk=agent.pk).status == "spawning"
    assert Reservation.objects.get(pk=agent.reservation_id).state == "open"
    assert not PricingException.objects.exists()


def test_admin_key_creation_and_rotation_are_audited_with_the_staff_user(superuser, make_client):
    target = make_client(["agents:read"], user=superuser.user)
    superuser.post(
        "/admin/security/apikey/",
        {"action": "rotate_keys", "_selected_action": [target.key.pk], "index": 0},
    )
    superuser.post(
        "/admin/security/apikey/add/",
        {
            "name": "made here",
            "owner": superuser.user.pk,
            "scopes": ["agents:read"],
            "max_concurrent_agents": 10,
        },
    )
    actors = dict(
        AuditLog.objects.filter(event__in=["api.key.rotated", "api.key.created"])
        .exclude(actor="system")
        .values_list("event", "actor")
    )
    assert actors == {"api.key.rotated": "admin:root", "api.key.created": "admin:root"}


# --- 2 and 3. keys never grant more than their creator holds ---------------------------------


def test_rotation_by_a_key_without_the_targets_scopes_is_refused(make_client, make_user):
    owner = make_user()
    sibling = make_client(ALL, user=owner)
    keys_only = make_client(["admin:write"], user=owner)
    response = keys_only.post(f"/api/keys/{sibling.key.key_id}/rotate", {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "insufficient_scope"
    assert not ApiKey.objects.filter(rotated_from=sibling.key).exists()
    assert ApiKey.objects.get(pk=sibling.key.pk).expires_at is None  # no grace clock started


def test_a_restricted_key_mints_only_a_key_as_restricted_and_revoking_reaches_it(make_client):
    parent = make_client(
        ["admin:write", "agents:read"],
        daily_budget=Decimal("1.00"),
        max_concurrent_agents=1,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    response = parent.post(
        "/api/keys",
        {"name": "child", "scopes": ["agents:read"], "max_concurrent_agents": 1000},
        format="json",
    )
    assert response.status_code == 201
    child = response.json()
    assert Decimal(str(child["daily_budget"])) == Decimal("1.00")
    assert child["max_concurrent_agents"] == 1
    assert child["expires_at"] is not None
    assert child["created_by"] == parent.key.key_id
    grandchild = parent.post(
        "/api/keys", {"name": "grandchild", "scopes": ["agents:read"]}, format="json"
    ).json()
    ApiKey.objects.filter(key_id=grandchild["key_id"]).update(
        created_by=ApiKey.objects.get(key_id=child["key_id"])
    )

    revoked = parent.delete(
        f"/api/keys/{parent.key.key_id}",
        {"reason": "leaked", "revoke_descendants": True},
        format="json",
    )
    assert revoked.status_code == 200
    assert sorted(revoked.json()["revoked_descendants"]) == sorted(
        [child["key_id"], grandchild["key_id"]]
    )
    for key_id in (child["key_id"], grandchild["key_id"]):
        assert ApiKey.objects.get(key_id=key_id).is_revoked


def test_revoking_without_descendants_leaves_them(make_client):
    parent = make_client(["admin:write", "agents:read"])
    child = parent.post("/api/keys", {"name": "c", "scopes": ["agents:read"]}, format="json")
    parent.delete(f"/api/keys/{parent.key.key_id}", {}, format="json")
    assert not ApiKey.objects.get(key_id=child.json()["key_id"]).is_revoked


# --- 4. system-wide settings and usage across owners -----------------------------------------


def test_an_ordinary_owner_cannot_change_system_wide_settings(make_client):
    ordinary = make_client(ALL)
    budget = ordinary.put("/api/billing/budget", {"daily_budget": "0"}, format="json")
    assert budget.status_code == 403
    assert budget.json()["error"]["type"] == "insufficient_privileges"
    assert not BudgetSetting.objects.exists()
    policy = ordinary.put("/api/pricing/policy", {"minimum_price": "9.99"}, format="json")
    assert policy.status_code == 403
    assert policy.json()["error"]["type"] == "insufficient_privileges"

    staff = make_client(ALL, staff=True)
    assert staff.put("/api/billing/budget", {"daily_budget": "7"}, format="json").status_code == 200


def test_usage_shows_an_owner_its_own_spend_and_staff_every_owners(make_client):
    mine, theirs = make_client(["billing:read"]), make_client(["billing:read"])
    staff = make_client(["billing:read"], staff=True)
    for client, tokens in ((mine, 1000), (theirs, 3000)):
        ledger_record(
            owner=client.user,
            api_key=client.key,
            model_alias="sonnet",
            input_tokens=tokens,
            output_tokens=0,
        )
    assert mine.get("/api/billing/usage").json()["total_cost"] == 0.003
    assert theirs.get("/api/billing/usage").json()["total_cost"] == 0.009
    assert staff.get("/api/billing/usage").json()["total_cost"] == 0.012
    one = staff.get("/api/billing/usage", {"owner": theirs.user.username}).json()
    assert (one["owner"], one["total_cost"]) == (theirs.user.username, 0.009)
    peek = mine.get("/api/billing/usage", {"owner": theirs.user.username})
    assert peek.status_code == 403
    assert peek.json()["error"]["type"] == "insufficient_privileges"
    assert LedgerEntry.objects.count() == 2


# --- 5 and 6. provider calls go only where the environment says ----------------------------


def test_the_provider_admin_cannot_redirect_calls(superuser):
    before = Provider.objects.values("adapter", "env_name", "base_url").get(pk="kimi-coding")
    page = superuser.post(
        "/admin/agents/provider/kimi-coding/change/",
        {
            "adapter": "openai",
            "env_name": "OPENAI",
            "base_url": "https://attacker.example/v1",
            "hourly_limit": 77,
            "max_tokens_param": "max_tokens",
            "breaker_failure_threshold": 5,
            "breaker_open_seconds": 60,
            "position": 0,
        },
    )
    assert page.status_code == 302
    after = Provider.objects.get(pk="kimi-coding")
    assert after.hourly_limit == 77  # limits stay editable
    assert {k: getattr(after, k) for k in before} == before


class _Redirector(BaseHTTPRequestHandler):
    target = ""

    def do_POST(self):
        self.send_response(307)
        self.send_header("Location", self.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_redirecting_provider_sends_nothing_to_the_redirect_target(
    make_client, settings, run_waiting
):
    with fake_provider_server() as target:
        _Redirector.target = target.base_url
        redirector = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
        threading.Thread(target=redirector.serve_forever, daemon=True).start()
        try:
            settings.J1MSKY_PROVIDERS = {
                **settings.J1MSKY_PROVIDERS,
                "KIMI": {
                    "api_key": "sk-secret",
                    "base_url": f"http://127.0.0.1:{redirector.server_address[1]}/v1",
                },
            }
            client = make_client(["agents:write"])
            body = {"task": "secret task", "model": "k2p5", "fallback": False}
            agent_id = client.post("/api/spawn", body, format="json").json()["agent_id"]
            run_waiting()
        finally:
            redirector.shutdown()
            redirector.server_close()
        assert target.requests == []
    agent = Agent.objects.get(pk=agent_id)
    assert (agent.status, agent.error_type) == ("failed", "provider_error")


# --- 7. a key is what it was issued with ------------------------------------------------------


def test_key_fields_other_than_the_name_are_read_only_in_the_admin(
    superuser, make_client, make_user
):
    key = make_client(["agents:read"], user=make_user()).key
    other = make_user()
    response = superuser.post(
        f"/admin/security/apikey/{key.pk}/change/",
        {
            "name": "renamed",
            "owner": other.pk,
            "expires_at_0": "2099-01-01",
            "expires_at_1": "00:00:00",
            "daily_budget": "999",
            "max_concurrent_agents": 1000,
        },
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.name == "renamed"
    assert (key.owner_id, key.expires_at, key.daily_budget, key.max_concurrent_agents) != (
        other.pk,
        None,
        Decimal("999"),
        1000,
    )
    assert key.owner_id != other.pk and key.expires_at is None and key.daily_budget is None


# --- 8. live is hardened ------------------------------------------------------------------------


def _settings_with(**env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "J1MSKY_"))}
    environment.update(DJANGO_SETTINGS_MODULE="j1msky.settings", **env)
    return subprocess.run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


LIVE = {
    "J1MSKY_ENVIRONMENT": "live",
    "DJANGO_SECRET_KEY": "k" * 20 + "Vr7-pQz2_Lm9xWc4Tn8aBd6Ye3Hs1Ju0GfKo5RiEl" * 2,
    "DJANGO_ALLOWED_HOSTS": "j1msky.example.com",
}


def test_check_deploy_in_live_reports_nothing(tmp_path):
    done = _settings_with(**LIVE, J1MSKY_DATA_DIR=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG must be false"),
        ({"DJANGO_ALLOWED_HOSTS": "*"}, "DJANGO_ALLOWED_HOSTS must name"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS must name"),
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY is required"),
        ({"DJANGO_SECRET_KEY": "short"}, "at least 50 random characters"),
    ],
)
def test_live_refuses_to_start_unhardened(tmp_path, change, complaint):
    done = _settings_with(**{**LIVE, **change}, J1MSKY_DATA_DIR=str(tmp_path))
    assert done.returncode != 0
    assert complaint in done.stderr


def test_a_key_of_another_environment_is_401(make_client):
    client = make_client(["agents:read"])
    ApiKey.objects.filter(pk=client.key.pk).update(environment="live")
    response = client.get("/api/agents")
    assert response.status_code == 401
    assert "live environment" in response.json()["error"]["message"]


def test_shown_once_secrets_never_travel_in_a_cookie(superuser):
    response = superuser.post(
        "/admin/security/apikey/add/",
        {
            "name": "cookie check",
            "owner": superuser.user.pk,
            "scopes": ["agents:read"],
            "max_concurrent_agents": 10,
        },
    )
    assert response.status_code == 302
    assert "messages" not in response.cookies
    page = superuser.get(response["Location"])
    assert "_sk_" in page.content.decode()  # shown once, from the session


def test_admin_sign_in_locks_out_an_address_after_repeated_failures(
    client, django_user_model, settings
):
    settings.J1MSKY_ADMIN_LOGIN_FAILURE_LIMIT = 3
    django_user_model.objects.create_superuser("boss", "boss@example.com", "right-password")
    # An address of its own: the counter store (Redis in CI's second pass) outlives the test.
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    for _ in range(3):
        wrong = client.post(
            "/admin/login/", {"username": "boss", "password": "guess"}, REMOTE_ADDR=address
        )
        assert wrong.status_code == 200  # the form again, with its error
    locked = client.post(
        "/admin/login/",
        {"username": "boss", "password": "right-password"},
        REMOTE_ADDR=address,
    )
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
