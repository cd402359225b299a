"""The operations dashboard in a real headless Chromium against a real server: its numbers are
those of GET /api/v1/orchestrator/status for the same data, and they change without a reload
when the data does."""

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import admin_sign_in, save_screenshot
from tests.fakeprovider import ok
from webhooks.models import Delivery, WebhookEndpoint, new_webhook_id

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _field(driver, name: str) -> str:
    element = driver.find_element(By.CSS_SELECTOR, f'[data-field="{name}"]')
    return element.get_attribute("textContent")  # as written, before CSS upper-cases it


def _amount(text: str) -> float:
    return float(text.removeprefix("$"))


def _status(base: str, secret: str) -> dict:
    response = httpx.get(
        f"{base}/api/v1/orchestrator/status",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _run_one(client, fake, run_waiting, *, output_tokens: int) -> str:
    fake.enqueue(ok("done", input_tokens=20_000, output_tokens=output_tokens))
    response = client.post("/api/spawn", {"task": "Plan the week", "model": "opus"}, format="json")
    assert response.status_code == 201, response.content
    agent_id = response.json()["agent_id"]
    assert run_waiting() == [agent_id]
    return agent_id


def _failing_webhook(owner) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.create(
        webhook_id=new_webhook_id("agent"),
        kind="agent",
        owner=owner,
        url="https://hooks.example.com/j1msky",
        events=["agent.completed"],
    )
    Delivery.objects.create(
        endpoint=endpoint,
        event_type="agent.completed",
        message_id="msg_dashboard",
        status=Delivery.Status.FAILED,
        attempt_count=8,
        failures=8,
        last_status_code=502,
    )
    return endpoint


def test_the_dashboard_shows_the_status_and_refreshes_without_a_reload(
    chrome, admin_server, admin_client, live_providers, run_waiting
):
    base = admin_server.base
    first = _run_one(admin_client, live_providers, run_waiting, output_tokens=30_000)
    endpoint = _failing_webhook(admin_client.user)

    admin_sign_in(chrome, base, admin_server.username, admin_server.password)
    chrome.get(f"{base}/admin/")
    chrome.find_element(By.LINK_TEXT, "Operations dashboard").click()
    WebDriverWait(chrome, 20).until(
        lambda d: d.execute_script("return document.body.dataset.refreshed")
    )
    status = _status(base, admin_client.secret)

    assert _amount(_field(chrome, "today_spend")) == status["today_spend"] > 0
    assert _amount(_field(chrome, "daily_budget")) == status["daily_budget"]
    assert _amount(_field(chrome, "budget_remaining")) == status["budget_remaining"]
    assert float(_field(chrome, "budget_utilization_pct")) == status["budget_utilization_pct"]
    assert _field(chrome, "budget_alert_level") == status["budget_alert_level"]
    assert _field(chrome, "recommended_action") == status["operational_flags"]["recommended_action"]
    assert int(_field(chrome, "total_calls")) == status["usage_summary"]["total_calls"] == 1
    for provider, usage in status["provider_usage"].items():
        calls = chrome.find_element(By.CSS_SELECTOR, f"#provider-{provider} .provider-calls").text
        assert calls == f"{usage['current']} / {usage['hourly']}"
    assert status["provider_usage"]["anthropic"]["current"] == 1
    gauge = chrome.find_element(By.CSS_SELECTOR, "#budget-gauge > span").get_attribute("style")
    assert f"width: {status['budget_utilization_pct']}%" in gauge
    agents = chrome.find_element(By.ID, "agents").text
    assert first in agents
    webhooks = chrome.find_element(By.ID, "webhooks").text
    assert endpoint.webhook_id in webhooks and "502" in webhooks
    save_screenshot(chrome, "admin-dashboard")

    # The data changes; the page follows by itself (no navigation: the marker survives).
    chrome.execute_script("window.notReloaded = true")
    before = int(chrome.execute_script("return document.body.dataset.refreshed"))
    second = _run_one(admin_client, live_providers, run_waiting, output_tokens=90_000)
    after = _status(base, admin_client.secret)
    assert after["today_spend"] > status["today_spend"]
    WebDriverWait(chrome, 20).until(
        lambda d: _amount(_field(d, "today_spend")) == after["today_spend"]
    )
    assert chrome.execute_script("return window.notReloaded") is True
    assert int(chrome.execute_script("return document.body.dataset.refreshed")) > before
    assert int(_field(chrome, "total_calls")) == after["usage_summary"]["total_calls"] == 2
    assert second in chrome.find_element(By.ID, "agents").text
