"""Routes of both kinds of webhook. Order matters: the delivery routes come before
`webhooks/<webhook_id>`, which would otherwise take `webhooks/deliveries/…` apart."""

from django.urls import path

from j1msky.api.routers import Router
from webhooks.api import views

router = Router()
router.register("webhooks/deliveries", views.DeliveryViewSet, basename="webhook-delivery")
router.register(
    "webhooks/<str:webhook_id>/deliveries",
    views.WebhookDeliveryLogViewSet,
    basename="webhook-delivery-log",
)
router.register(
    "pricing/webhook/<str:webhook_id>/deliveries",
    views.PricingWebhookDeliveryLogViewSet,
    basename="pricing-webhook-delivery-log",
)
router.register("webhooks", views.WebhookViewSet, basename="webhook")
router.register("pricing/webhook", views.PricingWebhookViewSet, basename="pricing-webhook")

urlpatterns = [
    path("pricing/webhooks", views.PricingWebhookListView.as_view(), name="pricing-webhook-list"),
    *router.urls,
]
