"""Every API route is served under /api/ and, identically, /api/v1/ (semantics §1)."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from j1msky.api import errors
from j1msky.api.events import EventViewSet
from j1msky.api.index import ApiIndexView
from j1msky.api.routers import Router
from j1msky.api.schema import DocsView, SchemaView
from j1msky.health import HealthView

events = Router()
events.register("events", EventViewSet, basename="event")

api_patterns = [
    path("", ApiIndexView.as_view(), name="index"),
    path("health", HealthView.as_view(), name="health"),
    *events.urls,
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="v1:schema"), name="docs"),
    path("", include("security.api.urls")),
    path("", include("agents.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("pricing.api.urls")),
    path("", include("orchestrator.api.urls")),
    path("", include("webhooks.api.urls")),
]

urlpatterns = [
    path("api/v1/", include((api_patterns, "v1"))),
    path("api/", include((api_patterns, "api"))),
    path("admin/", include("console.urls")),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/api/", permanent=False), name="root"),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
