"""Revenue operations in the admin, in a real headless Chromium against a real server: price and
store a quote that the guardrail escalates, approve the escalation as an exception, close it."""

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from pricing.models import Decision, PricingException, Quote
from tests.browser import admin_sign_in, save_screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _run_action(driver, row_id: int, action: str) -> str:
    driver.find_element(By.CSS_SELECTOR, f"input.action-select[value='{row_id}']").click()
    Select(driver.find_element(By.NAME, "action")).select_by_value(action)
    driver.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    return (
        WebDriverWait(driver, 20)
        .until(EC.presence_of_element_located((By.CSS_SELECTOR, ".messagelist")))
        .text
    )


def test_an_escalated_quote_is_approved_as_an_exception_and_closed(
    chrome, admin_server, seeded, make_client
):
    base = admin_server.base
    admin_sign_in(chrome, base, admin_server.username, admin_server.password)

    chrome.get(f"{base}/admin/pricing/quote/add/")
    Select(chrome.find_element(By.NAME, "model")).select_by_value("opus")
    chrome.find_element(By.NAME, "estimated_input").send_keys("10000")
    chrome.find_element(By.NAME, "estimated_output").send_keys("10000")
    Select(chrome.find_element(By.NAME, "complexity")).select_by_value("low")
    Select(chrome.find_element(By.NAME, "segment")).select_by_value("startup")
    chrome.find_element(By.NAME, "decide").click()
    save_screenshot(chrome, "admin-quote-calculator")
    chrome.find_element(By.CSS_SELECTOR, "#quote-calculator input[type=submit]").click()

    message = (
        WebDriverWait(chrome, 20)
        .until(EC.presence_of_element_located((By.CSS_SELECTOR, ".messagelist")))
        .text
    )
    quote = Quote.objects.get()
    decision = Decision.objects.get(quote=quote)
    assert decision.decision_status == "escalated"
    assert quote.quote_id in message and "escalated" in message
    assert chrome.current_url == f"{base}/admin/pricing/quote/{quote.pk}/change/"

    chrome.get(f"{base}/admin/pricing/decision/")
    shown = _run_action(chrome, decision.pk, "approve_as_exception")
    assert "Created 1 exception(s)." in shown
    exception = PricingException.objects.get()
    assert (exception.decision_id, exception.status, exception.approver) == (
        decision.pk,
        "open",
        "operator",
    )

    # The owner sees the exception through the API, as the admin left it.
    reader = make_client(["billing:read"], user=admin_server.user)
    listed = httpx.get(
        f"{base}/api/v1/pricing/exceptions",
        headers={"Authorization": f"Bearer {reader.secret}"},
        timeout=30,
    )
    assert listed.status_code == 200, listed.text
    assert exception.exception_id in listed.text

    chrome.get(f"{base}/admin/pricing/pricingexception/")
    assert "Closed 1 exception(s)." in _run_action(chrome, exception.pk, "close_exceptions")
    exception.refresh_from_db()
    assert (exception.status, exception.closed_by) == ("closed", "operator")
