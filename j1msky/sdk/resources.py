"""The client's groups of calls beyond agents: pricing, webhooks, keys and security; list
iteration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .records import Record

if TYPE_CHECKING:
    from .client import Agency


def payload(**fields: Any) -> dict[str, Any]:
    """A request body of the fields given (None means "not given": the server's default)."""
    return {name: value for name, value in fields.items() if value is not None}


def segment(value: Any) -> str:
    """One path segment, percent-encoded."""
    return quote(str(value), safe="")


def iterate_list(
    agency: Agency, path: str, params: dict[str, Any], page_size: int = 100
) -> Iterator[Record]:
    """Every item of a list endpoint, page after page.

    Lists of this server are read in cursor mode (`cursor=` for the first page, then each page's
    `pagination.cursor`); a list answering offset pages is followed by `next_offset`, and an
    answer that is not paginated (`{"webhooks": [...], "count": n}`) yields its one list.
    """
    params = payload(**params)
    paging: dict[str, Any] = {"limit": page_size, "cursor": ""}
    while True:
        body = agency._get(path, {**params, **paging})
        if not isinstance(body, dict) or "data" not in body:
            items = body if isinstance(body, list) else _first_list(body)
            yield from items
            return
        yield from body["data"]
        pagination = body.get("pagination") or {}
        if not pagination.get("has_more"):
            return
        if pagination.get("cursor"):
            paging = {"limit": page_size, "cursor": pagination["cursor"]}
        elif pagination.get("next_offset") is not None:
            paging = {"limit": page_size, "offset": pagination["next_offset"]}
        else:
            return


def _first_list(body: Any) -> list:
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, list):
                return value
    return []


class Pricing:
    """`agency.pricing`: the pricing engine's calculators, records and webhooks."""

    def __init__(self, agency: Agency) -> None:
        self._agency = agency
        self.webhooks = Webhooks(agency, kind="pricing")

    def _post(self, path: str, idempotency_key: str | None = None, **fields: Any) -> Record:
        return self._agency._post("pricing/" + path, payload(**fields), idempotency_key)

    def status(self) -> Record:
        return self._agency._get("pricing/status")

    def health(self) -> Record:
        return self._agency._get("pricing/health")

    def report(self) -> Record:
        return self._agency._get("pricing/report")

    def quote(
        self,
        model: str | None = None,
        estimated_input: int | None = None,
        estimated_output: int | None = None,
        complexity: str | None = None,
        delivery_type: str | None = None,
        segment: str | None = None,
        *,
        estimated_tokens: int | None = None,
        idempotency_key: str | None = None,
    ) -> Record:
        """`POST /pricing/quote` → `{quote_id, quote, guardrail_check, …}` (stored)."""
        return self._post(
            "quote",
            idempotency_key,
            model=model,
            estimated_input=estimated_input,
            estimated_output=estimated_output,
            complexity=complexity,
            delivery_type=delivery_type,
            segment=segment,
            estimated_tokens=estimated_tokens,
        )

    def batch_quotes(self, model: str | None = None, **fields: Any) -> Record:
        """`POST /pricing/batch-quotes`: one quote per segment and a comparison."""
        return self._post(
            "batch-quotes", fields.pop("idempotency_key", None), model=model, **fields
        )

    def decision(self, model: str | None = None, **fields: Any) -> Record:
        """`POST /pricing/decision` (billing:write): quote fields or `quote_id`, `approver`."""
        return self._post("decision", fields.pop("idempotency_key", None), model=model, **fields)

    def scenario(self, scenarios: list[dict], delivery_type: str | None = None) -> Record:
        return self._post("scenario", scenarios=scenarios, delivery_type=delivery_type)

    def portfolio_alert(self, **fields: Any) -> Record:
        """`scenario_count`, `compliant_count`, `average_margin_pct` (none: latest scenario)."""
        return self._post("portfolio-alert", **fields)

    def weekly_metrics(self, quotes: list[dict] | None = None) -> Record:
        return self._post("weekly-metrics", quotes=quotes)

    def weekly_comparison(self, **fields: Any) -> Record:
        """`current_total_quotes`, `prev_approval_rate`, … (none: this week against last)."""
        return self._post("weekly-comparison", **fields)

    def experiment_summary(self, quotes: list[dict]) -> Record:
        return self._post("experiment-summary", quotes=quotes)

    def exception_alert(self, **fields: Any) -> Record:
        """`open_exceptions`, `oldest_days`, `at_risk_count` (none: your open exceptions)."""
        return self._post("exception-alert", **fields)

    def policy(self) -> Record:
        return self._agency._get("pricing/policy")

    def update_policy(self, *, idempotency_key: str | None = None, **changes: Any) -> Record:
        """`PUT /pricing/policy` with the fields to change (+ `note`, `version`)."""
        return self._agency._request(
            "PUT", "pricing/policy", json_body=payload(**changes), idempotency_key=idempotency_key
        ).body

    def quotes(self, **filters: Any) -> Iterator[Record]:
        return iterate_list(self._agency, "pricing/quotes", filters)

    def get_quote(self, quote_id: str) -> Record:
        return self._agency._get("pricing/quotes/" + segment(quote_id))

    def decisions(self, **filters: Any) -> Iterator[Record]:
        return iterate_list(self._agency, "pricing/decisions", filters)

    def get_decision(self, decision_id: str) -> Record:
        return self._agency._get("pricing/decisions/" + segment(decision_id))

    def exceptions(self, **filters: Any) -> Iterator[Record]:
        return iterate_list(self._agency, "pricing/exceptions", filters)

    def create_exception(self, decision_id: str, **fields: Any) -> Record:
        """Approve an escalated decision anyway: `approver`, `reason`."""
        return self._post("exceptions", decision_id=decision_id, **fields)

    def close_exception(self, exception_id: str, **fields: Any) -> Record:
        """`closed_by`, `resolution`."""
        return self._post(f"exceptions/{segment(exception_id)}/close", **fields)

    def reports(self, **filters: Any) -> Iterator[Record]:
        return iterate_list(self._agency, "pricing/reports", filters)

    def get_report(self, date: str) -> Record:
        return self._agency._get("pricing/reports/" + segment(date))


# Where each kind of webhook lives (semantics §11): agent events under /webhooks, pricing events
# under the reference's /pricing/webhook (create, one) and /pricing/webhooks (list). A delivery
# of either kind is replayed by its own id.
WEBHOOK_ROUTES = {
    "agent": {
        "create": "webhooks",
        "list": "webhooks",
        "one": "webhooks/{id}",
        "replay": "webhooks/deliveries/{id}/replay",
    },
    "pricing": {
        "create": "pricing/webhook",
        "list": "pricing/webhooks",
        "one": "pricing/webhook/{id}",
        "replay": "webhooks/deliveries/{id}/replay",
    },
}


class Webhooks:
    """`agency.webhooks` (agent events) and `agency.pricing.webhooks` (pricing events)."""

    def __init__(self, agency: Agency, kind: str = "agent") -> None:
        self._agency = agency
        self.kind = kind
        self._routes = WEBHOOK_ROUTES[kind]

    def _one(self, webhook_id: str, tail: str = "") -> str:
        return self._routes["one"].format(id=segment(webhook_id)) + tail

    def create(
        self,
        url: str,
        events: list[str],
        secret: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Record:
        """Register an endpoint. Without `secret` the server generates one (`whsec_…`) and
        returns it once, in this answer."""
        body = payload(url=url, events=events, secret=secret)
        return self._agency._post(self._routes["create"], body, idempotency_key)

    def list(self, **filters: Any) -> Iterator[Record]:
        return iterate_list(self._agency, self._routes["list"], filters)

    def delete(self, webhook_id: str) -> Record:
        return self._agency._request("DELETE", self._one(webhook_id)).body

    def deliveries(self, webhook_id: str, **filters: Any) -> Iterator[Record]:
        """The delivery log of one endpoint: every attempt's status, duration and excerpt."""
        return iterate_list(self._agency, self._one(webhook_id, "/deliveries"), filters)

    def get(self, webhook_id: str) -> Record:
        return self._agency._get(self._one(webhook_id))

    def pause(self, webhook_id: str) -> Record:
        """Hold deliveries (they are kept) until `resume`."""
        return self._agency._post(self._one(webhook_id, "/pause"), {})

    def resume(self, webhook_id: str) -> Record:
        """Deliver again, held deliveries first; also re-enables a disabled endpoint."""
        return self._agency._post(self._one(webhook_id, "/resume"), {})

    def rotate_secret(
        self, webhook_id: str, secret: str | None = None, grace_hours: int | None = None
    ) -> Record:
        """A new signing secret (shown once); for `grace_hours` (default 24) deliveries are
        signed with both."""
        body = payload(secret=secret, grace_hours=grace_hours)
        return self._agency._post(self._one(webhook_id, "/rotate-secret"), body)

    def replay(self, delivery_id: str) -> Record:
        """Send a logged delivery again, now, with the same `webhook-id`."""
        path = self._routes["replay"].format(id=segment(delivery_id))
        return self._agency._post(path, {})

    def test(self, webhook_id: str, event: str | None = None) -> Record:
        """Send a test event to the endpoint."""
        return self._agency._post(self._one(webhook_id, "/test"), payload(event=event))


class Keys:
    """`agency.keys`: API keys (admin:write)."""

    def __init__(self, agency: Agency) -> None:
        self._agency = agency

    def create(self, name: str, scopes: list[str], **fields: Any) -> Record:
        """`expires_at` / `expires_in_days`, `daily_budget`, `max_concurrent_agents`,
        `signing_secret=True` / `require_signature=True`; the answer's `key` (and
        `signing_secret`) are the secrets, shown once."""
        idempotency_key = fields.pop("idempotency_key", None)
        body = payload(name=name, scopes=scopes, **fields)
        return self._agency._post("keys", body, idempotency_key)

    def list(self, **filters: Any) -> Iterator[Record]:
        return iterate_list(self._agency, "keys", filters)

    def get(self, key_id: str) -> Record:
        return self._agency._get("keys/" + segment(key_id))

    def revoke(
        self, key_id: str, reason: str | None = None, notify_user: bool | None = None
    ) -> Record:
        body = payload(reason=reason, notify_user=notify_user)
        return self._agency._request("DELETE", "keys/" + segment(key_id), json_body=body).body

    def rotate(self, key_id: str, grace_hours: int | None = None) -> Record:
        body = payload(grace_hours=grace_hours)
        return self._agency._post(f"keys/{segment(key_id)}/rotate", body)


class Security:
    """`agency.security`: the IP allowlist, blocks and the audit log (admin:write; a change
    needs a key whose owner is staff, semantics §3)."""

    def __init__(self, agency: Agency) -> None:
        self._agency = agency

    def ip_whitelist(self) -> Record:
        """`allowed_ips`, `enforce`, `log_violations`, `environment_ips`, `your_ip`."""
        return self._agency._get("security/ip-whitelist")

    def set_ip_whitelist(
        self,
        allowed_ips: list[str],
        *,
        enforce: bool = True,
        log_violations: bool | None = None,
        idempotency_key: str | None = None,
    ) -> Record:
        """Replace the allowlist (CIDRs or addresses, v4/v6); 409 when it would refuse the
        address this call comes from."""
        body = payload(allowed_ips=allowed_ips, enforce=enforce, log_violations=log_violations)
        return self._agency._request(
            "PUT", "security/ip-whitelist", json_body=body, idempotency_key=idempotency_key
        ).body

    def block_ip(
        self, ip: str, reason: str | None = None, duration_hours: int | None = None
    ) -> Record:
        """Refuse an address or network on every route but /health for `duration_hours`."""
        body = payload(ip=ip, reason=reason, duration_hours=duration_hours)
        return self._agency._post("security/block-ip", body)

    def blocks(self, **filters: Any) -> Iterator[Record]:
        """Every block (`status="active"`, `"expired"` or `"lifted"` to choose)."""
        return iterate_list(self._agency, "security/blocks", filters)

    def unblock(self, block_id: str) -> Record:
        return self._agency._request("DELETE", "security/blocks/" + segment(block_id)).body

    def audit_config(self) -> Record:
        return self._agency._get("security/audit")

    def configure_audit(self, **fields: Any) -> Record:
        """`enabled`, `log_level` (minimal, standard, verbose), `retention_days`,
        `include_request_body`, `include_response_body`, `events`; what is left out stays."""
        idempotency_key = fields.pop("idempotency_key", None)
        return self._agency._post("security/audit", payload(**fields), idempotency_key)

    def audit_logs(self, **filters: Any) -> Iterator[Record]:
        """Audit entries, newest first (`event=`, `severity=`, `api_key_id=`, `after=`…)."""
        return iterate_list(self._agency, "security/audit/logs", filters)
