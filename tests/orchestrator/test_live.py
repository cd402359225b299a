"""The orchestrator's endpoints on the real server, through the Python client: several gunicorn
processes, each scrape served by whichever process takes it, all reporting the same numbers."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from j1msky.sdk import Agency, PermissionDeniedError
from tests.conftest import ALL_SCOPES
from tests.processes import gunicorn_server, subprocess_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WORKERS = 3


def requests_counted(text: str, route: str, status: str = "200") -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "j1msky_http_requests_total"
        and sample.labels == {"route": route, "method": "GET", "status": status}
    )


def test_the_client_reads_them_and_every_process_reports_the_same(make_client):
    key = make_client(ALL_SCOPES, staff=True)
    reader = make_client(["agents:read"])
    env = subprocess_env(J1MSKY_METRICS_FLUSH_SECONDS="0")  # every request reaches the database
    with gunicorn_server(workers=WORKERS, threads=1, env=env) as url:
        agency = Agency(api_key=key.secret, base_url=url)
        status = agency.status()
        assert status.budget_alert_level == "ok" and status.daily_budget == 50.0
        answer = agency.recommend_model("coding", "medium", "normal", 2500)
        assert answer.recommended_model == "k2p5" and answer.budget_available is True
        assert agency.system().active_agents == 0
        for _ in range(29):
            agency.status()
        scrapes = [agency.metrics() for _ in range(2 * WORKERS)]
        with pytest.raises(PermissionDeniedError):
            Agency(api_key=reader.secret, base_url=url).metrics()
    counts = {requests_counted(text, "/orchestrator/status") for text in scrapes}
    assert counts == {30.0}  # whichever process answered, every process's requests
    assert [requests_counted(text, "/metrics") for text in scrapes] == list(range(2 * WORKERS))
