"""`GET /billing/usage`, `GET|PUT /billing/budget` and `GET /rate-limits`."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from billing.api.serializers import (
    BillingUsageSerializer,
    BudgetSerializer,
    BudgetUpdateSerializer,
    UsageQuerySerializer,
)
from billing.selectors import (
    budget_status,
    key_budget_status,
    usage_owner,
    usage_report,
)
from billing.services import budget_set
from j1msky.api.views import ApiView
from security.net import client_ip


class UsageView(ApiView):
    """Spend from the ledger between two budget days, by model and by day."""

    required_scope = "billing:read"
    error_statuses = (404,)  # `owner` names no user

    @extend_schema(
        summary="Spend from the ledger by model and by day",
        description=(
            "Spend from the usage ledger between two budget days (inclusive, J1MSKY_TIMEZONE); "
            "default month to date. A key reports its owner's spend; a staff owner's key reports "
            "every owner's, or one owner's with `owner`. `total_cost` equals the sum of "
            "`by_model` and the sum of `by_day` exactly. A bad date or `end` before `start` is a "
            "400; `owner` from a key whose owner is not staff is a 403."
        ),
        parameters=[UsageQuerySerializer],
        responses=BillingUsageSerializer,
    )
    def get(self, request):
        # A plain dict: in a QueryDict DRF reads `?start=` as "not given", here it is a bad date.
        params = UsageQuerySerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        query = params.validated_data
        owner = usage_owner(user=request.user, username=query.get("owner"))
        report = usage_report(start=query["start"], end=query["end"], owner=owner)
        return Response(BillingUsageSerializer(report).data)


def _budget_body(request) -> dict:
    body = asdict(budget_status())
    key_status = key_budget_status(api_key=request.auth) if request.auth else None
    body["key_budget"] = asdict(key_status) if key_status else None
    return BudgetSerializer(body).data


class BudgetView(ApiView):
    """Today's system-wide budget; the daily budget can be changed at run time."""

    required_scope = {"GET": "billing:read", "PUT": "admin:write"}
    system_wide_methods = ("PUT",)

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
