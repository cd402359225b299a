from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from j1msky.api.views import ApiView, ListApiView
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


class KeyListCreateView(ListApiView):
    """`GET /keys` (the caller's owner's keys) and `POST /keys`."""

    required_scope = "admin:write"
    serializer_class = ApiKeySerializer
    filterset_class = ApiKeyFilterSet
    idempotency_redact = ("key",)  # the secret is shown once; a replay answers `key: null`

    def get_queryset(self):
        return api_key_list(owner=self.request.user)

    @extend_schema(summary="List API keys")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create an API key",
        request=ApiKeyCreateSerializer,
        responses={201: ApiKeyCreatedSerializer},
    )
    def post(self, request):
        params = ApiKeyCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        key, secret = api_key_create(
            owner=request.user, granting_key=request.auth, **params.validated_data
        )
        key.key = secret
        return Response(ApiKeyCreatedSerializer(key).data, status=status.HTTP_201_CREATED)


class KeyDetailView(ApiView):
    required_scope = "admin:write"

    @extend_schema(summary="Get an API key", parameters=[KEY_ID], responses=ApiKeySerializer)
    def get(self, request, key_id: str):
        return Response(ApiKeySerializer(api_key_get(owner=request.user, key_id=key_id)).data)

    @extend_schema(
        summary="Revoke an API key",
        parameters=[KEY_ID],
        request=ApiKeyRevokeSerializer,
        responses=ApiKeyRevokedSerializer,
    )
    def delete(self, request, key_id: str):
        key = api_key_get(owner=request.user, key_id=key_id)
        params = ApiKeyRevokeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        key, descendants = api_key_revoke(key=key, actor_key=request.auth, **params.validated_data)
        return Response(
            {
                "success": True,
                "message": f"API key {key.key_id} revoked",
                "key_id": key.key_id,
                "revoked_at": key.revoked_at,
                "revoked_descendants": [child.key_id for child in descendants],
            }
        )


class KeyRotateView(ApiView):
    required_scope = "admin:write"
    idempotency_redact = ("key",)

    @extend_schema(
        summary="Rotate an API key",
        parameters=[KEY_ID],
        request=ApiKeyRotateSerializer,
        responses={201: ApiKeyRotatedSerializer},
    )
    def post(self, request, key_id: str):
        key = api_key_get(owner=request.user, key_id=key_id)
        params = ApiKeyRotateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        new_key, secret = api_key_rotate(
            key=key, granting_key=request.auth, grace_hours=params.validated_data["grace_hours"]
        )
        key.refresh_from_db()
        new_key.key = secret
        new_key.previous_key_id = key.key_id
        new_key.previous_key_expires_at = key.expires_at
        return Response(ApiKeyRotatedSerializer(new_key).data, status=status.HTTP_201_CREATED)
