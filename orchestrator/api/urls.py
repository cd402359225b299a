from django.urls import path

from orchestrator.api import views

urlpatterns = [
    path("orchestrator/status", views.OrchestratorStatusView.as_view(), name="orchestrator-status"),
    path(
        "orchestrator/recommend-model",
        views.RecommendModelView.as_view(),
        name="orchestrator-recommend-model",
    ),
    path("system", views.SystemView.as_view(), name="system"),
    path("metrics", views.MetricsView.as_view(), name="metrics"),
]
