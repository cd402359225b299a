"""Revenue operations in the Django admin: the policy (every save is a new version through the
service, audited), the quote calculator (Quotes → Add: priced and stored by the service the API
calls, optionally decided on too), decisions (approve escalated ones as exceptions), exceptions
(close) and the stored records (read-only).

The calculator's fields are checked by the API's own request serializers, so the admin accepts
exactly what `POST /pricing/quote` and `POST /pricing/decision` accept.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from j1msky.admin import ModelAdmin, ReadOnlyModelAdmin
from j1msky.errors import DomainError
from pricing.forms import QuoteCalculatorForm
from pricing.models import (
    Decision,
    ExceptionAgingAlert,
    PricingException,
    PricingPolicy,
    PricingReport,
    Quote,
    ScenarioEvaluation,
)
from pricing.selectors import pricing_policy_current
from pricing.services import (
    decision_create,
    exception_close,
    exception_create,
    pricing_policy_update,
    pricing_policy_validate,
    quote_create,
)
from security.services import actor_of, audit_record

POLICY_COLUMNS = [
    column for columns in PricingPolicy.TABLES.values() for column in columns.values()
] + ["minimum_price"]


def _policy_changes(cleaned: dict) -> dict:
    changes: dict = {
        table: {key: cleaned[column] for key, column in columns.items()}
        for table, columns in PricingPolicy.TABLES.items()
    }
    changes["minimum_price"] = cleaned["minimum_price"]
    return changes


class PricingPolicyForm(forms.ModelForm):
    class Meta:
        model = PricingPolicy
        fields = [*POLICY_COLUMNS, "note"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                pricing_policy_validate(
                    current=pricing_policy_current(), changes=_policy_changes(cleaned)
                )
            except DomainError as error:
                raise forms.ValidationError(error.message) from None
        return cleaned


@admin.register(PricingPolicy)
class PricingPolicyAdmin(ModelAdmin):
    """Saving the latest version (or adding one) creates the next version; rows never change."""

    form = PricingPolicyForm
    list_display = [
        "version",
        "created_at",
        "created_by",
        "markup_low",
        "markup_medium",
        "markup_high",
        "minimum_price",
        "threshold_task",
        "note",
    ]
    readonly_fields = ["version", "created_at", "created_by"]
    fieldsets = [
        (None, {"fields": ["version", "created_at", "created_by", "note"]}),
        ("Complexity markup", {"fields": ["markup_low", "markup_medium", "markup_high"]}),
        (
            "Segment adjustments",
            {
                "fields": [
                    "adjustment_enterprise",
                    "adjustment_mid_market",
                    "adjustment_smb",
                    "adjustment_startup",
                ]
            },
        ),
        (
            "Price floor, margin thresholds and bands",
            {
                "fields": [
                    "minimum_price",
                    "threshold_task",
                    "threshold_subscription",
                    "threshold_enterprise",
                    "band_strong_pct",
                    "band_healthy_pct",
                ]
            },
        ),
    ]

    def has_change_permission(self, request, obj=None):
        latest = PricingPolicy.objects.order_by("-version").values_list("version", flat=True)
        if obj is not None and obj.version != latest.first():
            return False  # older versions are history
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changeform_initial_data(self, request):
        current = pricing_policy_current()
        initial = {column: getattr(current, column) for column in POLICY_COLUMNS}
        return {**initial, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        policy, created = pricing_policy_update(
            actor=request.user,
            changes=_policy_changes(form.cleaned_data),
            note=form.cleaned_data.get("note", ""),
            expected_version=obj.version if change else None,
        )
        obj.pk, obj.version = policy.pk, policy.version
        if created:
            self.message_user(request, f"Saved as pricing policy version {policy.version}.")
        else:
            self.message_user(
                request, f"Nothing changed; version {policy.version} stays in force.", messages.INFO
            )


@admin.register(Quote)
class QuoteAdmin(ReadOnlyModelAdmin):
    """Read-only records; Add is the calculator, which stores the quote through the service."""

    list_display = [
        "quote_id",
        "owner",
        "model",
        "complexity",
        "segment",
        "delivery_type",
        "recommended_price",
        "gross_margin_pct",
        "is_compliant",
        "created_at",
    ]
    list_filter = ["model", "segment", "delivery_type", "margin_band", "is_compliant"]
    search_fields = ["quote_id", "owner__username"]

    def has_add_permission(self, request):
        return request.user.has_perm("pricing.add_quote")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = QuoteCalculatorForm(request.POST or None, initial={"owner": request.user.pk})
        if request.method == "POST" and form.is_valid():
            return self._calculated(request, form)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Quote calculator",
            "form": form,
        }
        return TemplateResponse(request, "admin/pricing/quote/calculator.html", context)

    def _calculated(self, request, form):
        owner, wanted = form.cleaned_data["owner"], form.decision_request
        try:
            if form.cleaned_data["decide"]:
                decision = decision_create(
                    owner=owner, request=wanted.quote, approver=wanted.approver
                )
                quote, outcome = decision.quote, f", decision {decision.decision_id}: "
                outcome += f"{decision.decision_status} ({decision.next_step})"
            else:
                quote, outcome = quote_create(owner=owner, request=wanted.quote), ""
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.path)
        audit_record(
            event="admin.action",
            owner=owner,
            actor=actor_of(user=request.user),
            resource_type="pricing_quote",
            resource_id=quote.quote_id,
            details={"action": "quote", "decide": form.cleaned_data["decide"]},
        )
        self.message_user(
            request,
            f"Quote {quote.quote_id}: {quote.model} at {quote.recommended_price} "
            f"(margin {quote.gross_margin_pct}%, {quote.margin_band}){outcome}.",
        )
        return HttpResponseRedirect(reverse("admin:pricing_quote_change", args=[quote.pk]))


@admin.register(Decision)
class DecisionAdmin(ReadOnlyModelAdmin):
    list_display = [
        "decision_id",
        "owner",
        "decision_status",
        "approver",
        "delivery_type",
        "next_step",
        "created_at",
        "exception_status",
    ]
    list_filter = ["decision_status", "delivery_type"]
    search_fields = ["decision_id", "quote__quote_id", "owner__username", "approver"]
    list_select_related = ["owner", "exception"]
    actions = ["approve_as_exception"]

    def has_approve_permission(self, request):
        return request.user.has_perm("pricing.add_pricingexception")

    @admin.display(description="exception")
    def exception_status(self, obj: Decision) -> str:
        exception = getattr(obj, "exception", None)
        return exception.status if exception else "-"

    @admin.action(
        description="Approve selected escalated decisions as exceptions", permissions=["approve"]
    )
    def approve_as_exception(self, request, queryset):
        created, refused = 0, []
        for decision in queryset:
            try:
                exception = exception_create(
                    decision=decision,
                    approver=request.user.get_username(),
                    reason="approved in the admin",
                )
                audit_record(
                    event="admin.action",
                    owner=decision.owner,
                    actor=actor_of(user=request.user),
                    resource_type="pricing_exception",
                    resource_id=exception.exception_id,
                    details={"action": "approve_as_exception", "decision": decision.decision_id},
                )
                created += 1
            except DomainError as error:
                refused.append(error.message)
        if created:
            self.message_user(request, f"Created {created} exception(s).")
        for message in refused:
            self.message_user(request, message, messages.WARNING)


@admin.register(PricingException)
class PricingExceptionAdmin(ReadOnlyModelAdmin):
    list_display = [
        "exception_id",
        "owner",
        "decision",
        "status",
        "approver",
        "created_at",
        "closed_at",
        "closed_by",
    ]
    list_filter = ["status"]
    search_fields = ["exception_id", "decision__decision_id", "owner__username", "approver"]
    list_select_related = ["owner", "decision"]
    actions = ["close_exceptions"]

    def has_close_permission(self, request):
        return request.user.has_perm("pricing.change_pricingexception")

    @admin.action(description="Close selected exceptions", permissions=["close"])
    def close_exceptions(self, request, queryset):
        closed = 0
        for exception in queryset.filter(status=PricingException.Status.OPEN):
            try:
                exception_close(exception=exception, closed_by=request.user.get_username())
                audit_record(
                    event="admin.action",
                    owner=exception.owner,
                    actor=actor_of(user=request.user),
                    resource_type="pricing_exception",
                    resource_id=exception.exception_id,
                    details={"action": "close"},
                )
                closed += 1
            except DomainError as error:
                self.message_user(request, error.message, messages.WARNING)
        self.message_user(request, f"Closed {closed} exception(s).")


@admin.register(ScenarioEvaluation)
class ScenarioEvaluationAdmin(ReadOnlyModelAdmin):
    list_display = [
        "evaluation_id",
        "owner",
        "delivery_type",
        "scenario_count",
        "compliant_count",
        "average_margin_pct",
        "requires_executive_review",
        "created_at",
    ]
    search_fields = ["evaluation_id", "owner__username"]


@admin.register(PricingReport)
class PricingReportAdmin(ReadOnlyModelAdmin):
    list_display = ["day", "status", "daily_cost", "generated_at"]
    list_filter = ["status"]
    date_hierarchy = "day"


@admin.register(ExceptionAgingAlert)
class ExceptionAgingAlertAdmin(ReadOnlyModelAdmin):
    list_display = ["day", "owner", "level", "summary", "recommended_action"]
    list_filter = ["level"]
