from django.urls import path

from agents.api import catalogue, legacy, views
from j1msky.api.routers import Router

router = Router()
router.register("agents", views.AgentViewSet, basename="agent")
router.register("models", catalogue.ModelAliasViewSet, basename="model")
router.register("teams", catalogue.TeamViewSet, basename="team")

urlpatterns = [
    path("spawn", views.SpawnView.as_view(), name="spawn"),
    path("spawn-team", views.SpawnTeamView.as_view(), name="spawn-team"),
    path("spawn-batch", views.SpawnBatchView.as_view(), name="spawn-batch"),
    path("rate-limits", views.RateLimitsView.as_view(), name="rate-limits"),
    # v3, past its sunset (semantics §13): 410, or served with J1MSKY_LEGACY_V3=serve.
    path("agent", legacy.LegacySpawnView.as_view(), name="legacy-agent"),
    path("status", legacy.LegacyStatusView.as_view(), name="legacy-status"),
    path("cancel", legacy.LegacyCancelView.as_view(), name="legacy-cancel"),
    *router.urls,
]
