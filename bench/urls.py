"""The project's routes plus bare DRF endpoints on the same database (no auth, no checks)."""

from django.contrib.auth import get_user_model
from django.urls import path
from rest_framework import generics, permissions, serializers

from agents.models import Agent
from j1msky.urls import urlpatterns as project_urlpatterns
from security.models import AuditLog


class BareAuditSerializer(serializers.ModelSerializer):
    details = serializers.JSONField()

    class Meta:
        model = AuditLog
        fields = ["id", "event", "details"]


class BareCreate(generics.CreateAPIView):
    """A plain DRF create: validate, INSERT one row, serialize. The floor for a write endpoint."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []
    serializer_class = BareAuditSerializer
    required_scope = "public"


class BareAgentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agent
        fields = ["agent_id", "model", "status", "task", "created_at", "actual_cost"]


class BareList(generics.ListAPIView):
    """A plain DRF list page (offset slice) of the same table."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []
    filter_backends: list = []
    pagination_class = None
    serializer_class = BareAgentSerializer
    required_scope = "public"

    def get_queryset(self):
        # The user first (authentication would load it), then the page by its owner column.
        owner = get_user_model().objects.get(username="bench")
        agents = Agent.objects.filter(owner=owner)
        return agents.order_by("-created_at", "-agent_id")[:20]


urlpatterns = [
    path("bench/bare-create", BareCreate.as_view()),
    path("bench/bare-list", BareList.as_view()),
    *project_urlpatterns,
]
