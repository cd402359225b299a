"""The base of every ModelAdmin in the project.

Django offers an admin action to anyone who may open the list unless the action declares
`permissions=`; every action here declares them, and a posted action the user may not run (or
that does not exist) is a 403, not a silent redisplay of the list. Read-only admins for records
that move only through services (the ledger, counters, stored pricing records) derive from
`ReadOnlyModelAdmin`.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied

from j1msky.models import Event


class ModelAdmin(admin.ModelAdmin):
    def changelist_view(self, request, extra_context=None):
        posted = request.POST.get("action") if request.method == "POST" else None
        if (
            posted
            and helpers.ACTION_CHECKBOX_NAME in request.POST
            and posted not in self.get_actions(request)
        ):
            raise PermissionDenied(f"Action {posted!r} is not available to you")
        return super().changelist_view(request, extra_context)


class ReadOnlyModelAdmin(ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyModelAdmin):
    """The event feed and webhook outbox: append-only."""

    list_display = ["id", "type", "owner", "agent_id", "created_at"]
    list_filter = ["type"]
    search_fields = ["agent_id", "owner__username"]
