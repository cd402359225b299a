"""`GET /billing/usage`, `GET|PUT /billing/budget` and `GET /rate-limits`."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from billing.api.serializers import (
    BillingUsageSerializer,
    BudgetSerializer,
    BudgetUpdateSerializer,
    RateLimitsSerializer,
    UsageQuerySerializer,
)
from billing.selectors import (
    budget_status,
    key_budget_status,
    provider_window_list,
    usage_default_period,
    usage_report,
)
from billing.services import budget_set
from j1msky.api.errors import InvalidInput
from j1msky.api.views import ApiView
from security.net import client_ip


class UsageView(ApiView):
    """Spend from the ledger between two budget days, by model and by day."""

    required_scope = "billing:read"

    @extend_schema(
        summary="Spend from the ledger by model and by day",
        description=(
            "System-wide spend from the usage ledger between two budget days (inclusive, "
            "J1MSKY_TIMEZONE); default month to date. `total_cost` equals the sum of `by_model` "
            "and the sum of `by_day` exactly. A bad date or `end` before `start` is a 400."
        ),
        parameters=[UsageQuerySerializer],
        responses=BillingUsageSerializer,
    )
    def get(self, request):
        params = UsageQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        default_start, default_end = usage_default_period()
        start = params.validated_data.get("start", default_start)
        end = params.validated_data.get("end", default_end)
        if end < start:
            message = f"end ({end}) must not be before start ({start})"
            raise InvalidInput(message, details={"end": [message]})
        report = usage_report(start=start, end=end)
        return Response(
            BillingUsageSerializer(
                {
                    "period": report.period,
                    "total_cost": report.total_cost,
                    "by_model": report.by_model,
                    "by_day": report.by_day,
                }
            ).data
        )


def _budget_body(request) -> dict:
    body = asdict(budget_status())
    key_status = key_budget_status(api_key=request.auth) if request.auth else None
    body["key_budget"] = asdict(key_status) if key_status else None
    return BudgetSerializer(body).data


class BudgetView(ApiView):
    """Today's system-wide budget; the daily budget can be changed at run time."""

    required_scope = {"GET": "billing:read", "PUT": "admin:write"}

    @extend_schema(
        summary="Today's budget",
        description=(
            "The budget day in J1MSKY_TIMEZONE: settled spend, open reservations and what is "
            "left (semantics §8.1 definitions), plus the calling key's own budget if it has one."
        ),
        responses=BudgetSerializer,
    )
    def get(self, request):
        return Response(_budget_body(request))

    @extend_schema(
        summary="Change the daily budget (persisted, audited)",
        description=(
            "Applies to today at once and persists across restarts; audited as `config.change` "
            "with the old and new values. Scope `admin:write`."
        ),
        request=BudgetUpdateSerializer,
        responses=BudgetSerializer,
    )
    def put(self, request):
        params = BudgetUpdateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        budget_set(
            daily_budget=params.validated_data["daily_budget"],
            owner=request.user,
            actor_key=request.auth,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        return Response(_budget_body(request))


class RateLimitsView(ApiView):
    """Every provider's current hourly window."""

    required_scope = "agents:read"

    @extend_schema(
        summary="Provider hourly windows",
        description=(
            "Calls taken in each provider's current UTC clock-hour window, keyed by provider id, "
            "for every provider in the catalogue."
        ),
        responses=RateLimitsSerializer,
    )
    def get(self, request):
        limits = {
            window.provider: {
                "used": window.used,
                "limit": window.limit,
                "remaining": window.remaining,
                "reset_at": window.reset_at,
            }
            for window in provider_window_list()
        }
        return Response(RateLimitsSerializer({"limits": limits}).data)
