from django.urls import path

from j1msky.api.routers import Router
from security.api import views

router = Router()
router.register("keys", views.ApiKeyViewSet, basename="key")
router.register("security/blocks", views.IpBlockViewSet, basename="ip-block")
router.register("security/audit/logs", views.AuditLogViewSet, basename="audit-log")

urlpatterns = [
    path("security/ip-whitelist", views.IpWhitelistView.as_view(), name="ip-whitelist"),
    path("security/block-ip", views.BlockIpView.as_view(), name="block-ip"),
    path("security/audit", views.AuditConfigView.as_view(), name="audit-config"),
    path("privacy/export", views.PrivacyExportView.as_view(), name="privacy-export"),
    *router.urls,
]
