from django.contrib import admin

from j1msky.admin import ReadOnlyModelAdmin
from orchestrator.models import BudgetAlertDay


@admin.register(BudgetAlertDay)
class BudgetAlertDayAdmin(ReadOnlyModelAdmin):
    list_display = ["day", "level", "events_sent", "utilization_pct", "checked_at"]
    ordering = ["-day"]
