from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from j1msky.api.permissions import SCOPES
from security.models import ApiKey, AuditLog
from security.services import api_key_create, api_key_revoke, api_key_rotate


class ApiKeyCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(s, s) for s in SCOPES], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = ["name", "owner", "scopes", "expires_at", "daily_budget", "max_concurrent_agents"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["key_id", "name", "owner", "prefix", "scopes", "status", "last_used_at"]
    list_filter = ["environment"]
    search_fields = ["key_id", "name", "owner__username"]
    readonly_fields = [
        "key_id",
        "prefix",
        "environment",
        "created_at",
        "revoked_at",
        "revoked_reason",
        "rotated_from",
        "last_used_at",
        "last_used_ip",
        "scopes",
    ]
    actions = ["revoke_keys", "rotate_keys"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ["key_id"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "name",
                "owner",
                "scopes",
                "expires_at",
                "daily_budget",
                "max_concurrent_agents",
            ]
        return super().get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, secret = api_key_create(
            owner=form.cleaned_data["owner"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data.get("expires_at"),
            daily_budget=form.cleaned_data.get("daily_budget"),
            max_concurrent_agents=form.cleaned_data.get("max_concurrent_agents") or 10,
        )
        obj.pk = key.pk
        obj.key_id = key.key_id
        self.message_user(
            request,
            f"API key {key.key_id} created. Copy it now; it is not shown again: {secret}",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected keys")
    def revoke_keys(self, request, queryset):
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(key=key, reason=f"revoked in admin by {request.user.username}")
            count += 1
        self.message_user(request, f"Revoked {count} key(s).")

    @admin.action(description="Rotate selected keys (24 h grace)")
    def rotate_keys(self, request, queryset):
        now = timezone.now()
        for key in queryset.filter(revoked_at__isnull=True):
            if key.is_expired(now):
                continue
            new_key, secret = api_key_rotate(key=key, grace_hours=24)
            self.message_user(
                request,
                f"{key.key_id} rotated to {new_key.key_id}. Copy it now; it is not shown again: "
                f"{secret}",
                messages.WARNING,
            )


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "event", "severity", "api_key_id", "ip_address", "resource_id"]
    list_filter = ["event", "severity"]
    search_fields = ["api_key_id", "resource_id", "request_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
