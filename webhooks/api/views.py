"""Webhook endpoints of both kinds, their delivery logs, tests and replays (semantics §11).

Agent webhooks live under `/webhooks`; pricing webhooks under the reference's
`/pricing/webhook` (register, and each one's routes) and `/pricing/webhooks` (the list). Every
route needs `admin:write`; an endpoint or delivery of another owner is 404. Views translate:
validate → one service or selector → serialize.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from j1msky.api.views import ApiView, GenericViewSet, ListViewSet
from webhooks.api.serializers import (
    DeliveryQueuedSerializer,
    DeliverySerializer,
    PricingWebhookListSerializer,
    WebhookCreatedSerializer,
    WebhookCreateSerializer,
    WebhookRemovedSerializer,
    WebhookSecretRotatedSerializer,
    WebhookSecretRotateSerializer,
    WebhookSerializer,
    WebhookTestSerializer,
)
from webhooks.filtersets import DeliveryFilterSet, WebhookFilterSet
from webhooks.models import Delivery, WebhookEndpoint
from webhooks.selectors import delivery_get, delivery_list, webhook_get, webhook_list
from webhooks.services import (
    delivery_replay,
    webhook_create,
    webhook_delete,
    webhook_pause,
    webhook_resume,
    webhook_secret_rotate,
    webhook_test_send,
)

SCOPE = "admin:write"
AGENT, PRICING = WebhookEndpoint.Kind.AGENT, WebhookEndpoint.Kind.PRICING
WEBHOOK_ID = OpenApiParameter(
    "webhook_id", str, OpenApiParameter.PATH, description="`wh_…` or `pricing_webhook_…`"
)
DELIVERY_ID = OpenApiParameter("delivery_id", str, OpenApiParameter.PATH, description="`whd_…`")
KIND_TAGS = {AGENT: ["webhooks"], PRICING: ["pricing webhooks"]}


def _endpoint_schema(tags: list[str]):
    """The schema of one kind's endpoint routes."""
    one = {"tags": tags, "parameters": [WEBHOOK_ID]}
    return extend_schema_view(
        create=extend_schema(
            tags=tags,
            summary="Register a webhook",
            request=WebhookCreateSerializer,
            responses={201: WebhookCreatedSerializer},
        ),
        retrieve=extend_schema(summary="Get a webhook", **one),
        destroy=extend_schema(
            summary="Delete a webhook", request=None, responses=WebhookRemovedSerializer, **one
        ),
        pause=extend_schema(summary="Pause deliveries (they are held)", request=None, **one),
        resume=extend_schema(summary="Resume a paused or disabled webhook", request=None, **one),
        rotate_secret=extend_schema(
            summary="Rotate the signing secret",
            request=WebhookSecretRotateSerializer,
            responses=WebhookSecretRotatedSerializer,
            **one,
        ),
        test=extend_schema(
            summary="Send a test event",
            request=WebhookTestSerializer,
            responses={202: DeliveryQueuedSerializer},
            **one,
        ),
    )


class _EndpointViewSet(mixins.RetrieveModelMixin, GenericViewSet):
    """One kind's endpoints: register (the secret is shown once), get, delete, pause, resume,
    rotate the secret, send a test event."""

    required_scope = SCOPE
    kind: str
    queryset = WebhookEndpoint.objects.none()
    lookup_field = "webhook_id"
    serializer_class = WebhookSerializer
    idempotency_redact = ("secret",)  # a secret is shown once: a replay answers `secret: null`

    def get_queryset(self):
        return webhook_list(owner=self.request.user, kind=self.kind)

    def get_object(self):
        return webhook_get(
            owner=self.request.user, kind=self.kind, webhook_id=self.kwargs["webhook_id"]
        )

    def create(self, request):
        params = WebhookCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        endpoint, secret = webhook_create(
            owner=request.user, kind=self.kind, api_key=request.auth, **params.validated_data
        )
        body = WebhookCreatedSerializer(endpoint, context={"secret": secret}).data
        return Response(body, status=status.HTTP_201_CREATED)

    def destroy(self, request, webhook_id: str):
        endpoint = self.get_object()
        webhook_delete(endpoint=endpoint, api_key=request.auth)
        label = "Pricing webhook" if self.kind == PRICING else "Webhook"
        body = {"success": True, "message": f"{label} {endpoint.webhook_id} removed"}
        return Response(WebhookRemovedSerializer(body).data)

    @action(detail=True, methods=["post"])
    def pause(self, request, webhook_id: str):
        endpoint = webhook_pause(endpoint=self.get_object(), api_key=request.auth)
        return Response(WebhookSerializer(endpoint).data)

    @action(detail=True, methods=["post"])
    def resume(self, request, webhook_id: str):
        endpoint = webhook_resume(endpoint=self.get_object(), api_key=request.auth)
        return Response(WebhookSerializer(endpoint).data)

    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, webhook_id: str):
        params = WebhookSecretRotateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        endpoint, secret = webhook_secret_rotate(
            endpoint=self.get_object(), api_key=request.auth, **params.validated_data
        )
        return Response(WebhookSecretRotatedSerializer(endpoint, context={"secret": secret}).data)

    @action(detail=True, methods=["post"])
    def test(self, request, webhook_id: str):
        params = WebhookTestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        delivery = webhook_test_send(
            endpoint=self.get_object(), event_type=params.validated_data.get("event")
        )
        context = {"message": "Test event queued"}
        body = DeliveryQueuedSerializer(delivery, context=context).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


@_endpoint_schema(KIND_TAGS[AGENT])
@extend_schema_view(list=extend_schema(tags=KIND_TAGS[AGENT], summary="List webhooks"))
class WebhookViewSet(mixins.ListModelMixin, _EndpointViewSet):
    """Agent webhooks (`/webhooks`)."""

    kind = AGENT
    filterset_class = WebhookFilterSet


@_endpoint_schema(KIND_TAGS[PRICING])
class PricingWebhookViewSet(_EndpointViewSet):
    """Pricing webhooks (`/pricing/webhook`, as the reference names them)."""

    kind = PRICING


class PricingWebhookListView(ApiView):
    required_scope = SCOPE

    @extend_schema(
        tags=KIND_TAGS[PRICING],
        summary="List pricing webhooks",
        responses=PricingWebhookListSerializer,
    )
    def get(self, request):
        """Every pricing webhook of the key's owner, newest first, unpaginated (the
        reference's shape)."""
        endpoints = list(webhook_list(owner=request.user, kind=PRICING))
        body = {"success": True, "webhooks": endpoints, "count": len(endpoints)}
        return Response(PricingWebhookListSerializer(body).data)


class _DeliveryLogViewSet(ListViewSet):
    """An endpoint's delivery log, newest first: each delivery with every attempt (time,
    status code, duration, response excerpt, error, next retry)."""

    required_scope = SCOPE
    kind: str
    queryset = Delivery.objects.none()
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilterSet

    def get_queryset(self):
        return delivery_list(
            owner=self.request.user, kind=self.kind, webhook_id=self.kwargs["webhook_id"]
        )

    def list(self, request, webhook_id: str):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        webhook_get(owner=request.user, kind=self.kind, webhook_id=webhook_id)  # else 404
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        tags=KIND_TAGS[AGENT], summary="A webhook's deliveries", parameters=[WEBHOOK_ID]
    )
)
class WebhookDeliveryLogViewSet(_DeliveryLogViewSet):
    kind = AGENT


@extend_schema_view(
    list=extend_schema(
        tags=KIND_TAGS[PRICING], summary="A pricing webhook's deliveries", parameters=[WEBHOOK_ID]
    )
)
class PricingWebhookDeliveryLogViewSet(_DeliveryLogViewSet):
    kind = PRICING


@extend_schema_view(
    retrieve=extend_schema(
        tags=KIND_TAGS[AGENT], summary="Get a delivery", parameters=[DELIVERY_ID]
    ),
    replay=extend_schema(
        tags=KIND_TAGS[AGENT],
        summary="Replay a delivery",
        parameters=[DELIVERY_ID],
        request=None,
        responses={202: DeliveryQueuedSerializer},
    ),
)
class DeliveryViewSet(mixins.RetrieveModelMixin, GenericViewSet):
    """One delivery of either kind of webhook, with its attempts; `replay` sends it again now
    with the same body and `webhook-id` (its retry schedule starts over)."""

    required_scope = SCOPE
    queryset = Delivery.objects.none()
    lookup_field = "delivery_id"
    serializer_class = DeliverySerializer

    def get_object(self):
        return delivery_get(owner=self.request.user, delivery_id=self.kwargs["delivery_id"])

    @action(detail=True, methods=["post"])
    def replay(self, request, delivery_id: str):
        delivery = delivery_replay(delivery=self.get_object())
        context = {"message": "Delivery queued"}
        body = DeliveryQueuedSerializer(delivery, context=context).data
        return Response(body, status=status.HTTP_202_ACCEPTED)
