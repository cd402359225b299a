"""Admin: the ledger and the counters are read-only (they move only through services)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from billing.models import (
    BudgetDay,
    BudgetSetting,
    KeyBudgetDay,
    LedgerEntry,
    LedgerModelDay,
    ProviderWindow,
    Reservation,
)
from billing.services import budget_release, budget_set
from j1msky.admin import ModelAdmin, ReadOnlyModelAdmin
from security.net import client_ip
from security.services import actor_of, audit_record


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyModelAdmin):
    list_display = [
        "created_at",
        "day",
        "model",
        "provider",
        "input_tokens",
        "output_tokens",
        "cost",
        "agent_id",
        "step",
        "owner",
        "simulated",
    ]
    list_filter = ["model", "provider", "simulated", "day"]
    search_fields = ["agent_id", "owner__username"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    list_select_related = ["owner"]


@admin.register(LedgerModelDay)
class LedgerModelDayAdmin(ReadOnlyModelAdmin):
    list_display = ["day", "model", "calls", "input_tokens", "output_tokens", "cost", "first_at"]
    list_filter = ["model"]
    ordering = ["-day", "model"]


@admin.register(BudgetDay)
class BudgetDayAdmin(ReadOnlyModelAdmin):
    list_display = ["day", "limit", "spent", "reserved"]
    ordering = ["-day"]


@admin.register(KeyBudgetDay)
class KeyBudgetDayAdmin(ReadOnlyModelAdmin):
    list_display = ["day", "api_key", "limit", "spent", "reserved"]
    list_select_related = ["api_key"]
    search_fields = ["api_key__key_id", "api_key__name"]
    ordering = ["-day", "api_key_id"]


@admin.register(ProviderWindow)
class ProviderWindowAdmin(ReadOnlyModelAdmin):
    list_display = ["window_start", "provider", "used", "hourly_limit"]
    list_filter = ["provider"]
    ordering = ["-window_start", "provider"]


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyModelAdmin):
    list_display = [
        "id",
        "day",
        "state",
        "amount",
        "charged",
        "actual",
        "holder",
        "owner",
        "api_key",
        "created_at",
        "lease_expires_at",
        "close_reason",
    ]
    list_filter = ["state", "close_reason", "day"]
    search_fields = ["holder"]
    ordering = ["-created_at", "-id"]
    list_select_related = ["owner", "api_key"]
    actions = ["release"]

    def has_release_permission(self, request):
        return request.user.has_perm("billing.change_reservation")

    @admin.action(description="Release selected open reservations", permissions=["release"])
    def release(self, request, queryset):
        count = 0
        for reservation in queryset.filter(state=Reservation.State.OPEN):
            released = budget_release(
                reservation=reservation, reason=f"admin:{request.user.username}"[:32]
            )
            if released.close_reason.startswith("admin:"):
                count += 1
                audit_record(
                    event="admin.action",
                    owner=reservation.owner,
                    actor=actor_of(user=request.user),
                    resource_type="reservation",
                    resource_id=str(reservation.pk),
                    details={"action": "release", "amount": str(reservation.amount)},
                )
        self.message_user(request, f"Released {count} reservation(s).", messages.SUCCESS)


class BudgetSettingForm(forms.ModelForm):
    daily_budget = forms.DecimalField(min_value=0, max_digits=14, decimal_places=4)

    class Meta:
        model = BudgetSetting
        fields = []


@admin.register(BudgetSetting)
class BudgetSettingAdmin(ModelAdmin):
    """The run-time daily budget; a change goes through the audited service."""

    form = BudgetSettingForm
    list_display = ["daily_budget", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request):
        return not BudgetSetting.objects.exists()  # one row

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None:
            form.base_fields["daily_budget"].initial = obj.daily_budget
        return form

    def save_model(self, request, obj, form, change):
        setting = budget_set(
            daily_budget=form.cleaned_data["daily_budget"],
            owner=request.user,
            actor=actor_of(user=request.user),
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        obj.pk = setting.pk
        obj.daily_budget_micros = setting.daily_budget_micros
        obj.updated_at = setting.updated_at
