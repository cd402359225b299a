"""`/keys`: the caller's owner's API keys (semantics §12.1); secrets are shown once."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from j1msky.api.views import GenericViewSet
from security.api.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeyRevokedSerializer,
    ApiKeyRevokeSerializer,
    ApiKeyRotatedSerializer,
    ApiKeyRotateSerializer,
    ApiKeySerializer,
)
from security.filtersets import ApiKeyFilterSet
from security.selectors import api_key_get, api_key_list
from security.services import api_key_create, api_key_revoke, api_key_rotate

KEY_ID = OpenApiParameter(
    "key_id", str, OpenApiParameter.PATH, description="Public key id, `key_…`"
)


@extend_schema_view(
    list=extend_schema(summary="List API keys"),
    create=extend_schema(
        summary="Create an API key",
        request=ApiKeyCreateSerializer,
        responses={201: ApiKeyCreatedSerializer},
    ),
    retrieve=extend_schema(summary="Get an API key", parameters=[KEY_ID]),
    destroy=extend_schema(
        summary="Revoke an API key",
        parameters=[KEY_ID],
        request=ApiKeyRevokeSerializer,
        responses={200: ApiKeyRevokedSerializer},
    ),
    rotate=extend_schema(
        summary="Rotate an API key",
        parameters=[KEY_ID],
        request=ApiKeyRotateSerializer,
        responses={201: ApiKeyRotatedSerializer},
    ),
)
class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """The caller's owner's keys. A new key never holds more than the calling key (§3)."""

    required_scope = "admin:write"
    lookup_field = "key_id"
    serializer_class = ApiKeySerializer
    filterset_class = ApiKeyFilterSet
    error_statuses = {"destroy": (409,), "rotate": (409,)}  # already revoked, not active
    idempotency_redact = ("key", "signing_secret")  # secrets are shown once: a replay has null

    def get_queryset(self):
        return api_key_list(owner=self.request.user)

    def get_object(self):
        return api_key_get(owner=self.request.user, key_id=self.kwargs["key_id"])

    def create(self, request):
        params = ApiKeyCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        key, secret = api_key_create(
            owner=request.user, granting_key=request.auth, **params.validated_data
        )
        return Response(
            ApiKeyCreatedSerializer(key, context={"secret": secret}).data,
            status=status.HTTP_201_CREATED,
        )

    def destroy(self, request, key_id: str):
        params = ApiKeyRevokeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        key, descendants = api_key_revoke(
            key=self.get_object(), actor_key=request.auth, **params.validated_data
        )
        return Response(ApiKeyRevokedSerializer(key, context={"descendants": descendants}).data)

    @action(detail=True, methods=["post"])
    def rotate(self, request, key_id: str):
        key = self.get_object()
        params = ApiKeyRotateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        new_key, secret = api_key_rotate(
            key=key, granting_key=request.auth, grace_hours=params.validated_data["grace_hours"]
        )
        key.refresh_from_db()
        context = {"secret": secret, "previous": key}
        return Response(
            ApiKeyRotatedSerializer(new_key, context=context).data,
            status=status.HTTP_201_CREATED,
        )
