"""Hostile input to the agent routes: 400 (or 404 for an id) naming the problem, nothing admitted,
never a 5xx, on either database."""

import json
from urllib.parse import quote

import pytest

from agents.models import Agent
from billing.models import Reservation

pytestmark = pytest.mark.django_db

NESTED = "[" * 100_000


@pytest.fixture
def writer(make_client):
    return make_client(["agents:read", "agents:write"])


def error_of(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def nothing_admitted() -> bool:
    return not Agent.objects.exists() and not Reservation.objects.exists()


@pytest.mark.parametrize("path", ["/api/spawn", "/api/spawn-team", "/api/spawn-batch"])
def test_a_body_nested_too_deeply_to_parse_is_400(writer, path):
    error = error_of(writer.post(path, NESTED, content_type="application/json"))
    assert error["type"] == "parse_error"
    assert nothing_admitted()


@pytest.mark.parametrize(
    "body",
    [
        {"task": "hello", "metadata": {"note": "a\x00b"}},
        {"task": "hello", "metadata": {"a\x00b": 1}},
        {"task": "hello", "metadata": json.dumps({"note": "a\x00b"})},
        {"task": "hello", "metadata": '{"note": "\\ud800"}'},
        {"task": "hello", "metadata": "[" * 100_000},
        {"task": "hello", "metadata": json.loads("[" * 70 + "]" * 70)},
        {"task": "hello\x00"},
    ],
)
@pytest.mark.parametrize("encoding", ["json", "form"])
def test_text_no_field_may_hold_is_400_naming_the_field(writer, body, encoding):
    if encoding == "form":
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        response = writer.post("/api/spawn", form)
    else:
        response = writer.post("/api/spawn", body, format="json")
    error = error_of(response)
    assert error["type"] == "validation_error"
    assert set(error["details"]) <= {"task", "metadata"} and error["details"], error
    assert nothing_admitted()


@pytest.mark.parametrize(
    "agents",
    [NESTED, json.dumps([{"task": "one", "metadata": {"k": "\x00"}}]), '[{"task": "\\ud800"}]'],
)
def test_batch_items_as_json_text_are_checked_too(writer, agents):
    error = error_of(writer.post("/api/spawn-batch", {"agents": agents}))
    assert "agents" in error["details"]
    assert nothing_admitted()


def test_a_nul_in_a_header_refuses_the_spawn(writer):
    response = writer.post("/api/spawn", {"task": "hello"}, HTTP_USER_AGENT="curl\x00")
    assert error_of(response)["type"] == "bad_request"
    assert nothing_admitted()


@pytest.mark.parametrize("method", ["get", "delete"])
def test_a_nul_in_the_agent_id_is_404(writer, method):
    assert error_of(getattr(writer, method)("/api/agent/ab%00c"), 404)["type"] == "not_found"


LATE = quote("9999-12-31T23:59:59-05:00")
EARLY = quote("0001-01-01T00:00:00+05:00")


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/agents", f"created_after={LATE}", "created_after"),
        ("/api/agents", f"created_before={EARLY}", "created_before"),
        ("/api/agents", f"created_at_gte={LATE}", "created_at_gte"),
        ("/api/agents", "filter=" + quote('{"created_after":"9999-12-31T23:59:59-05:00"}'),
         "created_after"),
        ("/api/events", f"created_at_gt={LATE}", "created_at_gt"),
        ("/api/events", "filter=" + quote('{"created_at":{"lt":"0001-01-01T00:00:00+05:00"}}'),
         "created_at_lt"),
    ],
)  # fmt: skip
def test_a_datetime_utc_cannot_hold_is_400_naming_the_filter(writer, path, query, field):
    error = error_of(writer.get(f"{path}?{query}"))
    assert error["type"] == "invalid_filter"
    assert field in error["details"]
    assert "between years 1 and 9999" in error["message"]


def test_a_huge_offset_on_the_agent_list_is_400(writer):
    error = error_of(writer.get("/api/agents?offset=99999999999999999999"))
    assert error["type"] == "invalid_pagination" and "offset" in error["details"]


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/api/spawn", '{"task": "hi", "metadata": {"x": 1e400}}', "application/json"),
        ("/api/spawn", '{"task": "hi", "metadata": {"x": NaN}}', "application/json"),
        (
            "/api/spawn",
            "task=hi&metadata=%7B%22x%22%3A%20NaN%7D",
            "application/x-www-form-urlencoded",
        ),
        (
            "/api/spawn-team",
            '{"team": "team_coding", "task": "t", "metadata": {"x": -1e999}}',
            "application/json",
        ),
        (
            "/api/spawn-batch",
            '{"agents": [{"task": "fine"}, {"task": "t", "metadata": {"x": 1e400}}]}',
            "application/json",
        ),
    ],
)
def test_a_number_that_is_not_finite_is_400_and_admits_nothing(writer, path, body, content_type):
    error = error_of(writer.generic("POST", path, body, content_type=content_type))
    assert "finite" in error["message"] or "not JSON compliant" in error["message"]
    assert nothing_admitted()


@pytest.mark.parametrize(
    "query",
    [
        "cost_lt=1e-16384",
        "estimated_cost_lt=1e-999999",
        "cost_gt=1e999",
        "filter=" + quote(json.dumps({"cost": "1e-40000"})),
        "filter=" + quote(json.dumps({"cost": {"in": ["1", "1e-40000"]}})),
    ],
)
def test_a_number_too_far_out_of_range_to_compare_is_400(writer, query):
    error = error_of(writer.get(f"/api/agents?{query}"))
    assert error["type"] == "invalid_filter"
