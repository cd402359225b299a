"""`GET /billing/usage`, `GET|PUT /billing/budget` and `GET /rate-limits`."""

from __future__ import annotations

from dataclasses import asdict

from django.contrib.auth import get_user_model
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
    usage_default_period,
    usage_report,
)
from billing.services import budget_set
from j1msky.api.views import ApiView
from j1msky.errors import InsufficientPrivileges, InvalidInput, NotFound
from security.net import client_ip


class UsageView(ApiView):
    """Spend from the ledger between two budget days, by model and by day."""

    required_scope = "billing:read"

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
        params = UsageQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        default_start, default_end = usage_default_period()
        start = params.validated_data.get("start", default_start)
        end = params.validated_data.get("end", default_end)
        if end < start:
            message = f"end ({end}) must not be before start ({start})"
            raise InvalidInput(message, details={"end": [message]})
        owner = self._owner(request, params.validated_data.get("owner"))
        report = usage_report(start=start, end=end, owner=owner)
        return Response(
            BillingUsageSerializer(
                {
                    "period": report.period,
                    "owner": owner.get_username() if owner is not None else None,
                    "total_cost": report.total_cost,
                    "by_model": report.by_model,
                    "by_day": report.by_day,
                }
            ).data
        )

    @staticmethod
    def _owner(request, username: str | None):
        """Whose spend the caller may see: its own owner's, or any (or one) for staff."""
        if not request.user.is_staff:
            if username is not None and username != request.user.get_username():
                raise InsufficientPrivileges(
                    "Only a staff owner's key may read another owner's usage"
                )
            return request.user
        if username is None:
            return None
        owner = get_user_model().objects.filter(username=username).first()
        if owner is None:
            raise NotFound(f"Owner {username} not found", code="owner_not_found")
        return owner


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
