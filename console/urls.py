from django.urls import path

from console.views import dashboard_json_view, dashboard_view

urlpatterns = [
    path("dashboard/", dashboard_view, name="console-dashboard"),
    path("dashboard.json", dashboard_json_view, name="console-dashboard-data"),
]
