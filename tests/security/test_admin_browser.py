"""Keys in the admin, in a real headless Chromium against a real server: create a key and read
its secret once, use it against the API, revoke it and see the API refuse it."""

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from security.models import ApiKey, AuditLog
from tests.browser import admin_sign_in, save_screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _wait(driver, css: str, timeout: float = 20):
    return WebDriverWait(driver, timeout).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def test_a_key_is_created_shown_once_used_and_revoked(chrome, admin_server):
    base = admin_server.base
    admin_sign_in(chrome, base, admin_server.username, admin_server.password)

    chrome.get(f"{base}/admin/security/apikey/add/")
    chrome.find_element(By.NAME, "name").send_keys("ci laptop")
    Select(chrome.find_element(By.NAME, "owner")).select_by_visible_text(admin_server.username)
    for scope in ("agents:read", "billing:read"):
        chrome.find_element(By.CSS_SELECTOR, f"input[name=scopes][value='{scope}']").click()
    chrome.find_element(By.NAME, "_save").click()

    secret = _wait(chrome, "#key-secret").text
    key = ApiKey.objects.get(name="ci laptop")
    assert chrome.current_url == f"{base}/admin/security/apikey/{key.pk}/secret/"
    assert secret.startswith("dev_sk_") and key.prefix in secret
    chrome.find_element(By.CSS_SELECTOR, "button.copy").click()
    WebDriverWait(chrome, 10).until(EC.text_to_be_present_in_element((By.ID, "copied"), "Copied."))
    save_screenshot(chrome, "admin-key-secret")

    chrome.refresh()  # the secret was taken out of the session when it was shown
    _wait(chrome, "#secret-gone")
    assert secret not in chrome.page_source
    chrome.get(f"{base}/admin/security/apikey/{key.pk}/change/")
    assert secret not in chrome.page_source

    bearer = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(f"{base}/api/v1/agents", headers=bearer, timeout=30).status_code == 200

    chrome.find_element(By.ID, "revoke-key").click()
    chrome.find_element(By.NAME, "reason").send_keys("left on a train")
    chrome.find_element(By.ID, "confirm").click()
    _wait(chrome, ".messagelist")
    assert f"Revoked {key.key_id}." in chrome.find_element(By.CSS_SELECTOR, ".messagelist").text

    refused = httpx.get(f"{base}/api/v1/agents", headers=bearer, timeout=30)
    assert refused.status_code == 401
    key.refresh_from_db()
    assert key.revoked_reason == "left on a train"
    assert AuditLog.objects.filter(
        event="api.key.revoked", resource_id=key.key_id, actor="admin:operator"
    ).exists()

    chrome.get(f"{base}/admin/security/apikey/")
    assert key.key_id in chrome.page_source and "127.0.0.1" in chrome.page_source  # last used from
    chrome.find_element(By.ID, "toggle-nav-sidebar").click()  # the whole width for the list
    save_screenshot(chrome, "admin-key-list", width=1680)
