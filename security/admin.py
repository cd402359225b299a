"""Keys, the audit log and the network guards in the Django admin.

Creating and rotating a key shows its secret (and signing secret) once, so both need the
`security.issue_apikey` permission (superusers hold it); revoking needs `change_apikey`,
reinstating a key a protection suspended `security.reinstate_apikey`. After creation only a
key's name can change: its owner, scopes, limits and expiry are what it was issued with. Every
admin action is audited with the staff user as the actor. The audit log is append-only; the
allowlist, the audit configuration and blocks change through the API, which refuses a change
that would lock out its caller; here they are read, and a block can be lifted.
"""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from j1msky.admin import ModelAdmin, ReadOnlyModelAdmin
from j1msky.api.permissions import SCOPES
from security.errors import BlockNotActive
from security.models import ApiKey, AuditLog, AuditSetting, IpAllowlist, IpBlock
from security.services import (
    actor_of,
    api_key_create,
    api_key_reinstate,
    api_key_revoke,
    api_key_rotate,
    ip_block_lift,
)

ISSUE_PERMISSION = "security.issue_apikey"
REINSTATE_PERMISSION = "security.reinstate_apikey"
CREATE_FIELDS = [
    "name",
    "owner",
    "scopes",
    "expires_at",
    "daily_budget",
    "max_concurrent_agents",
    "require_signature",
    "issue_signing_secret",
]


class ApiKeyCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(s, s) for s in SCOPES], widget=forms.CheckboxSelectMultiple
    )
    issue_signing_secret = forms.BooleanField(
        required=False, help_text="Issue a request-signing secret (shown once)."
    )

    class Meta:
        model = ApiKey
        fields = CREATE_FIELDS


@admin.register(ApiKey)
class ApiKeyAdmin(ModelAdmin):
    list_display = ["key_id", "name", "owner", "prefix", "scopes", "status", "last_used_at"]
    list_filter = ["environment", ("suspended_at", admin.EmptyFieldListFilter)]
    search_fields = ["key_id", "name", "owner__username"]
    actions = ["revoke_keys", "rotate_keys", "reinstate_keys"]

    def has_add_permission(self, request):
        return request.user.has_perm(ISSUE_PERMISSION)

    def has_issue_permission(self, request):
        return request.user.has_perm(ISSUE_PERMISSION)

    def has_reinstate_permission(self, request):
        return request.user.has_perm(REINSTATE_PERMISSION)

    def has_delete_permission(self, request, obj=None):
        return False  # keys are revoked, never deleted: the audit trail names them

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return CREATE_FIELDS if obj is None else super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["key_id"]
        hidden = {"name", "signing_secret"}  # the signing secret is shown once, at creation
        return [f.name for f in ApiKey._meta.fields if f.name not in hidden]

    def get_exclude(self, request, obj=None):
        return ["signing_secret"]

    def save_model(self, request, obj, form, change):
        if change:
            ApiKey.objects.filter(pk=obj.pk).update(name=form.cleaned_data["name"])
            return
        key, secret = api_key_create(
            owner=form.cleaned_data["owner"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data.get("expires_at"),
            daily_budget=form.cleaned_data.get("daily_budget"),
            max_concurrent_agents=form.cleaned_data.get("max_concurrent_agents") or 10,
            signing_secret=form.cleaned_data.get("issue_signing_secret", False),
            require_signature=form.cleaned_data.get("require_signature", False),
            actor=actor_of(user=request.user),
        )
        obj.pk = key.pk
        obj.key_id = key.key_id
        signing = f" Signing secret: {key.signing_secret}" if key.signing_secret else ""
        self.message_user(
            request,
            f"API key {key.key_id} created. Copy it now; it is not shown again: {secret}{signing}",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_keys(self, request, queryset):
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(
                key=key,
                reason=f"revoked in admin by {request.user.get_username()}",
                actor=actor_of(user=request.user),
            )
            count += 1
        self.message_user(request, f"Revoked {count} key(s).")

    @admin.action(description="Rotate selected keys (24 h grace)", permissions=["issue"])
    def rotate_keys(self, request, queryset):
        now = timezone.now()
        for key in queryset.filter(revoked_at__isnull=True):
            if key.is_expired(now):
                continue
            new_key, secret = api_key_rotate(
                key=key, grace_hours=24, actor=actor_of(user=request.user)
            )
            self.message_user(
                request,
                f"{key.key_id} rotated to {new_key.key_id}. Copy it now; it is not shown again: "
                f"{secret}",
                messages.WARNING,
            )

    @admin.action(description="Reinstate selected suspended keys", permissions=["reinstate"])
    def reinstate_keys(self, request, queryset):
        count = 0
        for key in queryset.filter(suspended_at__isnull=False):
            api_key_reinstate(key=key, actor=actor_of(user=request.user))
            count += 1
        self.message_user(request, f"Reinstated {count} key(s).")


@admin.register(AuditLog)
class AuditLogAdmin(ModelAdmin):
    list_display = [
        "timestamp",
        "event",
        "severity",
        "actor",
        "api_key_id",
        "ip_address",
        "resource_id",
    ]
    list_filter = ["event", "severity"]
    search_fields = ["api_key_id", "actor", "resource_id", "request_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # append-only: retention purges it, people do not


@admin.register(IpBlock)
class IpBlockAdmin(ModelAdmin):
    list_display = ["block_id", "network", "reason", "created_at", "expires_at", "lifted_at"]
    search_fields = ["block_id", "network", "reason"]
    actions = ["lift_blocks"]

    def has_add_permission(self, request):
        return False  # through POST /security/block-ip, which refuses blocking oneself

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in IpBlock._meta.fields]

    @admin.action(description="Lift selected blocks", permissions=["change"])
    def lift_blocks(self, request, queryset):
        lifted = 0
        for block in queryset:
            try:
                ip_block_lift(block=block, actor=actor_of(user=request.user))
            except BlockNotActive:
                continue
            lifted += 1
        self.message_user(request, f"Lifted {lifted} block(s).")


admin.site.register(IpAllowlist, ReadOnlyModelAdmin)
admin.site.register(AuditSetting, ReadOnlyModelAdmin)
