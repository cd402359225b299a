"""The operations dashboard (`/admin/dashboard/`) and its data (`/admin/dashboard.json`), for
staff only: both go through the admin site's `admin_view` (signed-in staff, else the sign-in
page), and the page polls the data with `fetch` every J1MSKY_DASHBOARD_REFRESH_SECONDS."""

from __future__ import annotations

from django.contrib import admin
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache

from console.selectors import dashboard_data
from j1msky.json import DecimalJSONEncoder, jsonable


def dashboard(request):
    data = jsonable(dashboard_data())  # what dashboard.json answers, embedded for the first draw
    return TemplateResponse(
        request,
        "console/dashboard.html",
        {**admin.site.each_context(request), "title": "Operations dashboard", "data": data},
    )


@never_cache
def dashboard_json(request):
    return JsonResponse(dashboard_data(), encoder=DecimalJSONEncoder)


dashboard_view = admin.site.admin_view(dashboard)
dashboard_json_view = admin.site.admin_view(dashboard_json)
