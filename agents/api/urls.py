from django.urls import path

from agents.api import views

urlpatterns = [
    path("spawn", views.SpawnView.as_view(), name="spawn"),
    path("spawn-team", views.SpawnTeamView.as_view(), name="spawn-team"),
    path("spawn-batch", views.SpawnBatchView.as_view(), name="spawn-batch"),
    path("agents", views.AgentListView.as_view(), name="agent-list"),
    path("agents/active", views.AgentActiveView.as_view(), name="agent-active"),
    path("agent/<str:agent_id>", views.AgentDetailView.as_view(), name="agent-detail"),
    path("events", views.EventListView.as_view(), name="event-list"),
]
