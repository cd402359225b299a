"""`/security/ip-whitelist`, `/security/block-ip`, `/security/blocks` (semantics §12.2, §12.3).

Both are system-wide settings: reading them needs `admin:write`, changing them also a key whose
owner is staff (§3). A change that would lock out the caller's own address is 409.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from j1msky.api.views import ApiView, GenericViewSet
from security.api.serializers import (
    BlockIpSerializer,
    IpBlockedSerializer,
    IpBlockSerializer,
    IpWhitelistSerializer,
    IpWhitelistSetSerializer,
)
from security.filtersets import IpBlockFilterSet
from security.net import client_ip
from security.selectors import allowlist_get, ip_block_get, ip_block_list
from security.services import allowlist_set, ip_block_create, ip_block_lift

BLOCK_ID = OpenApiParameter("block_id", str, OpenApiParameter.PATH, description="`blk_…`")


class IpWhitelistView(ApiView):
    required_scope = "admin:write"
    system_wide_methods = ("PUT",)

    def _answer(self, request, row):
        context = {"your_ip": client_ip(request)}
        return Response(IpWhitelistSerializer(row, context=context).data)

    @extend_schema(summary="The IP allowlist", responses=IpWhitelistSerializer)
    def get(self, request):
        return self._answer(request, allowlist_get())

    @extend_schema(
        summary="Set the IP allowlist",
        description="Replaces the saved allowlist. 409 `ip_lockout_refused` when it would refuse "
        "the address this request comes from.",
        request=IpWhitelistSetSerializer,
        responses=IpWhitelistSerializer,
    )
    def put(self, request):
        params = IpWhitelistSetSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        row = allowlist_set(
            caller_ip=client_ip(request), actor_key=request.auth, **params.validated_data
        )
        return self._answer(request, row)


class BlockIpView(ApiView):
    required_scope = "admin:write"
    system_wide_methods = ("POST",)

    @extend_schema(
        summary="Block an address or network",
        description="Refused (403 `ip_blocked`) on every route but /health until "
        "`duration_hours` pass or it is lifted. 409 when it covers your own address.",
        request=BlockIpSerializer,
        responses={201: IpBlockedSerializer},
    )
    def post(self, request):
        params = BlockIpSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        block = ip_block_create(
            caller_ip=client_ip(request), actor_key=request.auth, **params.validated_data
        )
        return Response(IpBlockedSerializer(block).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List IP blocks"),
    retrieve=extend_schema(summary="Get an IP block", parameters=[BLOCK_ID]),
    destroy=extend_schema(
        summary="Lift an IP block",
        parameters=[BLOCK_ID],
        request=None,
        responses=IpBlockSerializer,
    ),
)
class IpBlockViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Every block, newest first, with its status (`active`, `expired`, `lifted`)."""

    required_scope = "admin:write"
    system_wide_methods = ("DELETE",)
    lookup_field = "block_id"
    serializer_class = IpBlockSerializer
    filterset_class = IpBlockFilterSet

    def get_queryset(self):
        return ip_block_list()

    def get_object(self):
        return ip_block_get(self.kwargs["block_id"])

    def destroy(self, request, block_id: str):
        block = ip_block_lift(block=self.get_object(), actor_key=request.auth)
        return Response(IpBlockSerializer(block).data)
