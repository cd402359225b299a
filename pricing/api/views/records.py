"""Stored pricing records: quotes, decisions, exceptions, the policy and the daily reports."""

from __future__ import annotations

import re
from datetime import date

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from j1msky.api.errors import InvalidInput
from j1msky.api.views import ApiView, ListApiView
from pricing.api.serializers import policy as policy_rq
from pricing.api.serializers import requests as rq
from pricing.api.serializers import responses as s
from pricing.api.views.common import (
    DECISION_ID,
    EXCEPTION_ID,
    QUOTE_ID,
    READ,
    REPORT_DATE,
    TAGS,
    WRITE,
    request_input,
)
from pricing.filtersets import (
    DecisionFilterSet,
    PricingExceptionFilterSet,
    PricingReportFilterSet,
    QuoteFilterSet,
)
from pricing.selectors import (
    decision_get,
    decision_list,
    exception_get,
    exception_list,
    pricing_policy_current,
    quote_get,
    quote_list,
    report_get,
    report_list,
)
from pricing.services import (
    decision_create,
    exception_close,
    exception_create,
    pricing_policy_update,
)


class QuoteListView(ListApiView):
    required_scope = READ
    serializer_class = s.PricingQuoteRecordSerializer
    filterset_class = QuoteFilterSet

    def get_queryset(self):
        return quote_list(owner=self.request.user)

    @extend_schema(tags=TAGS, summary="List your stored quotes")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class QuoteDetailView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Get a stored quote",
        parameters=[QUOTE_ID],
        responses=s.PricingQuoteResponseSerializer,
    )
    def get(self, request, quote_id: str):
        return Response(
            s.PricingQuoteResponseSerializer(quote_get(owner=request.user, quote_id=quote_id)).data
        )


# --- decisions --------------------------------------------------------------------------------


class DecisionView(ApiView):
    required_scope = WRITE

    @extend_schema(
        tags=TAGS,
        summary="Generate and store a quote decision",
        description="Approves a compliant quote and escalates the rest. Prices a new quote from "
        "the quote fields, or decides on a stored quote of yours (`quote_id`). Emits "
        "`pricing.quote_generated` (new quote), `pricing.quote_approved` or "
        "`pricing.quote_escalated`, and `pricing.margin_alert` when escalated.",
        request=rq.PricingDecisionRequestSerializer,
        responses={201: s.PricingDecisionResponseSerializer},
    )
    def post(self, request):
        data = request_input(rq.PricingDecisionRequestSerializer, request)
        decision = decision_create(
            owner=request.user, request=data.quote, quote_id=data.quote_id, approver=data.approver
        )
        return Response(
            s.PricingDecisionResponseSerializer(decision).data, status=status.HTTP_201_CREATED
        )


class DecisionListView(ListApiView):
    required_scope = READ
    serializer_class = s.PricingDecisionRecordSerializer
    filterset_class = DecisionFilterSet

    def get_queryset(self):
        return decision_list(owner=self.request.user)

    @extend_schema(tags=TAGS, summary="List your stored decisions")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DecisionDetailView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Get a stored decision",
        parameters=[DECISION_ID],
        responses=s.PricingDecisionResponseSerializer,
    )
    def get(self, request, decision_id: str):
        decision = decision_get(owner=request.user, decision_id=decision_id)
        return Response(s.PricingDecisionResponseSerializer(decision).data)


# --- policy -----------------------------------------------------------------------------------


class PolicyView(ApiView):
    required_scope = {"GET": READ, "PUT": WRITE}
    system_wide_methods = ("PUT",)

    @extend_schema(
        tags=TAGS,
        summary="The pricing policy in force",
        responses=s.PricingPolicyResponseSerializer,
    )
    def get(self, request):
        policy = pricing_policy_current()
        return Response(s.PricingPolicyResponseSerializer({"policy": policy}).data)

    @extend_schema(
        tags=TAGS,
        summary="Change the pricing policy (new version)",
        description="Changes the tables and fields the body names; the rest keep their values. "
        "A change creates a new version, is audited (`config.change`) and emits "
        "`pricing.policy_changed`; a body that changes nothing creates nothing (`changed: false`).",
        request=policy_rq.PricingPolicyUpdateRequestSerializer,
        responses=s.PricingPolicyUpdateResponseSerializer,
    )
    def put(self, request):
        update = request_input(policy_rq.PricingPolicyUpdateRequestSerializer, request)
        policy, changed = pricing_policy_update(
            actor=request.user,
            actor_key=request.auth,
            changes=update.changes,
            note=update.note,
            expected_version=update.version,
        )
        body = {"changed": changed, "policy": policy}
        return Response(s.PricingPolicyUpdateResponseSerializer(body).data)


# --- exceptions -------------------------------------------------------------------------------


class ExceptionListCreateView(ListApiView):
    required_scope = {"GET": READ, "POST": WRITE}
    serializer_class = s.PricingExceptionSerializer
    filterset_class = PricingExceptionFilterSet

    def get_queryset(self):
        return exception_list(owner=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(tags=TAGS, summary="List your pricing exceptions")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Approve an escalated decision as an exception",
        description="Emits `pricing.exception_created`. 409 when the decision was approved or "
        "already has an exception.",
        request=rq.PricingExceptionCreateRequestSerializer,
        responses={201: s.PricingExceptionResponseSerializer},
    )
    def post(self, request):
        data = request_input(rq.PricingExceptionCreateRequestSerializer, request)
        decision = decision_get(owner=request.user, decision_id=data["decision_id"])
        exception = exception_create(
            decision=decision, approver=data.get("approver"), reason=data.get("reason", "")
        )
        body = {"exception": exception}
        return Response(
            s.PricingExceptionResponseSerializer(body, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class ExceptionCloseView(ApiView):
    required_scope = WRITE

    @extend_schema(
        tags=TAGS,
        summary="Close a pricing exception",
        description="409 when it is already closed.",
        parameters=[EXCEPTION_ID],
        request=rq.PricingExceptionCloseRequestSerializer,
        responses=s.PricingExceptionResponseSerializer,
    )
    def post(self, request, exception_id: str):
        found = exception_get(owner=request.user, exception_id=exception_id)
        data = request_input(rq.PricingExceptionCloseRequestSerializer, request)
        now = timezone.now()
        exception = exception_close(
            exception=found,
            closed_by=data.get("closed_by"),
            resolution=data.get("resolution", ""),
            now=now,
        )
        body = {"exception": exception}
        return Response(s.PricingExceptionResponseSerializer(body, context={"now": now}).data)


# --- stored daily reports ---------------------------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _report_day(value: str) -> date:
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        message = f"date must be YYYY-MM-DD, not {value[:40]}"
        raise InvalidInput(message, details={"date": [message]}) from None


class ReportListView(ListApiView):
    required_scope = READ
    serializer_class = s.PricingStoredReportSerializer
    filterset_class = PricingReportFilterSet

    def get_queryset(self):
        return report_list()

    @extend_schema(tags=TAGS, summary="List the stored daily pricing reports")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ReportDetailView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Get the stored pricing report of a day",
        parameters=[REPORT_DATE],
        responses=s.PricingStoredReportResponseSerializer,
    )
    def get(self, request, date: str):
        report = report_get(day=_report_day(date))
        return Response(s.PricingStoredReportResponseSerializer(report).data)
