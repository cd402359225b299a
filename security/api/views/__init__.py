from security.api.views.audit import AuditConfigView, AuditLogViewSet
from security.api.views.keys import ApiKeyViewSet
from security.api.views.network import BlockIpView, IpBlockViewSet, IpWhitelistView
from security.api.views.privacy import PrivacyExportView

__all__ = [
    "ApiKeyViewSet",
    "AuditConfigView",
    "AuditLogViewSet",
    "BlockIpView",
    "IpBlockViewSet",
    "IpWhitelistView",
    "PrivacyExportView",
]
