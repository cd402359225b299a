"""Keys, the audit log and the network guards in the Django admin.

Creating and rotating a key shows its secret (and signing secret) once, on a page of its own
(`<key>/secret/`, with a copy button): the secret waits in the staff user's session only until
that page is first opened, which takes it out, so a reload shows that it was shown and nothing
else. Both need the `security.issue_apikey` permission (superusers hold it); revoking (with a
reason, on `<key>/revoke/`) needs `change_apikey`, reinstating a key a protection suspended
`security.reinstate_apikey`. Rotating (`<key>/rotate/`) chooses the old key's grace period.
After creation only a key's name can change: its owner, scopes, limits and expiry are what it
was issued with. Every admin action is audited with the staff user as the actor. The audit log
is append-only; the allowlist, the audit configuration and blocks change through the API, which
refuses a change that would lock out its caller; here they are read, and a block can be lifted.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from j1msky.admin import ModelAdmin, ReadOnlyModelAdmin
from j1msky.api.permissions import SCOPES
from j1msky.sealing import content_open, content_seal
from security.errors import BlockNotActive, KeyAlreadyRevoked, KeyNotActive, KeyNotSuspended
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


class RevokeForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Recorded on the key and in the audit log.")
    revoke_descendants = forms.BooleanField(
        required=False, help_text="Also revoke every key this key created, and theirs."
    )


class RotateForm(forms.Form):
    grace_hours = forms.IntegerField(
        min_value=0,
        max_value=24 * 30,
        initial=24,
        help_text="Hours the old key keeps working (0: it stops now).",
    )


SECRET_SESSION_KEY = "j1msky.admin.key_secret.{}"


class KeyStatusFilter(admin.SimpleListFilter):
    """A key's status as `ApiKey.status` names it (revoked, then expired, then suspended)."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(s, s) for s in ("active", "suspended", "expired", "revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        expired = Q(expires_at__isnull=False, expires_at__lte=now)
        live = queryset.filter(revoked_at__isnull=True).exclude(expired)
        return {
            "active": live.filter(suspended_at__isnull=True),
            "suspended": live.filter(suspended_at__isnull=False),
            "expired": queryset.filter(expired, revoked_at__isnull=True),
            "revoked": queryset.filter(revoked_at__isnull=False),
        }.get(self.value(), queryset)


def _hold_secret(request, key: ApiKey, secret: str) -> str:
    """Keep a new key's secret (and signing secret) for its one showing; returns that page's URL."""
    held = {"secret": secret, "signing_secret": key.signing_secret or ""}
    # Sealed like content, so the session table never holds the secret in clear either.
    request.session[SECRET_SESSION_KEY.format(key.key_id)] = content_seal(json.dumps(held))
    return reverse("admin:security_apikey_secret", args=[key.pk])


@admin.register(ApiKey)
class ApiKeyAdmin(ModelAdmin):
    list_display = [
        "key_id",
        "name",
        "owner",
        "prefix",
        "scope_list",
        "status",
        "expires_at",
        "last_used_at",
        "last_used_ip",
    ]
    change_form_template = "admin/security/apikey/change_form.html"
    list_filter = [KeyStatusFilter, "environment"]
    search_fields = ["key_id", "name", "owner__username"]
    actions = ["revoke_keys", "rotate_keys", "reinstate_keys"]

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

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
        _hold_secret(request, key, secret)

    def response_add(self, request, obj, post_url_continue=None):
        return HttpResponseRedirect(reverse("admin:security_apikey_secret", args=[obj.pk]))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/secret/", view(self.secret_view), name="security_apikey_secret"),
            path("<int:pk>/revoke/", view(self.revoke_view), name="security_apikey_revoke"),
            path("<int:pk>/rotate/", view(self.rotate_view), name="security_apikey_rotate"),
            path(
                "<int:pk>/reinstate/", view(self.reinstate_view), name="security_apikey_reinstate"
            ),
            *super().get_urls(),
        ]

    def _page(self, request, key, template, title, **context):
        response = TemplateResponse(
            request,
            f"admin/security/apikey/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": key,
                "title": title,
                **context,
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    def secret_view(self, request, pk):
        """The secret of a key created or rotated here, once: opening this page takes it out of
        the session, so a reload (or another tab) finds nothing."""
        if not self.has_issue_permission(request):
            raise PermissionDenied
        key = get_object_or_404(ApiKey, pk=pk)
        sealed = request.session.pop(SECRET_SESSION_KEY.format(key.key_id), None)
        held = json.loads(content_open(sealed)) if isinstance(sealed, str) else None
        return self._page(request, key, "secret.html", f"API key {key.key_id}", held=held)

    def revoke_view(self, request, pk):
        key = get_object_or_404(ApiKey, pk=pk)
        if not self.has_change_permission(request, key):
            raise PermissionDenied
        form = RevokeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                _, descendants = api_key_revoke(
                    key=key,
                    reason=form.cleaned_data["reason"],
                    revoke_descendants=form.cleaned_data["revoke_descendants"],
                    actor=actor_of(user=request.user),
                )
            except KeyAlreadyRevoked as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                extra = f" and {len(descendants)} key(s) it created" if descendants else ""
                self.message_user(request, f"Revoked {key.key_id}{extra}.")
            return HttpResponseRedirect(reverse("admin:security_apikey_change", args=[key.pk]))
        return self._page(request, key, "action.html", f"Revoke {key.key_id}", form=form)

    def rotate_view(self, request, pk):
        if not self.has_issue_permission(request):
            raise PermissionDenied
        key = get_object_or_404(ApiKey, pk=pk)
        form = RotateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                new_key, secret = api_key_rotate(
                    key=key,
                    grace_hours=form.cleaned_data["grace_hours"],
                    actor=actor_of(user=request.user),
                )
            except KeyNotActive as error:
                self.message_user(request, error.message, messages.WARNING)
                return HttpResponseRedirect(reverse("admin:security_apikey_change", args=[key.pk]))
            self.message_user(request, f"{key.key_id} rotated to {new_key.key_id}.")
            return HttpResponseRedirect(_hold_secret(request, new_key, secret))
        return self._page(request, key, "action.html", f"Rotate {key.key_id}", form=form)

    def reinstate_view(self, request, pk):
        if not self.has_reinstate_permission(request):
            raise PermissionDenied
        key = get_object_or_404(ApiKey, pk=pk)
        if request.method == "POST":
            try:
                api_key_reinstate(key=key, actor=actor_of(user=request.user))
            except KeyNotSuspended as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                self.message_user(request, f"Reinstated {key.key_id}.")
            return HttpResponseRedirect(reverse("admin:security_apikey_change", args=[key.pk]))
        return self._page(request, key, "action.html", f"Reinstate {key.key_id}", form=None)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(
            may_issue=self.has_issue_permission(request),
            may_reinstate=self.has_reinstate_permission(request),
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

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
                format_html(
                    '{} rotated to {}: <a href="{}">copy its secret</a> (shown once).',
                    key.key_id,
                    new_key.key_id,
                    _hold_secret(request, new_key, secret),
                ),
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
