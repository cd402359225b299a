from security.api.serializers.audit import (
    AuditConfigSerializer,
    AuditConfigSetSerializer,
    AuditLogSerializer,
)
from security.api.serializers.keys import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeyRevokedSerializer,
    ApiKeyRevokeSerializer,
    ApiKeyRotatedSerializer,
    ApiKeyRotateSerializer,
    ApiKeySerializer,
    ScopeListField,
)
from security.api.serializers.network import (
    BlockIpSerializer,
    IpBlockedSerializer,
    IpBlockSerializer,
    IpWhitelistSerializer,
    IpWhitelistSetSerializer,
)
from security.api.serializers.privacy import PrivacyExportSerializer

__all__ = [
    "ApiKeyCreateSerializer",
    "ApiKeyCreatedSerializer",
    "ApiKeyRevokeSerializer",
    "ApiKeyRevokedSerializer",
    "ApiKeyRotateSerializer",
    "ApiKeyRotatedSerializer",
    "ApiKeySerializer",
    "AuditConfigSerializer",
    "AuditConfigSetSerializer",
    "AuditLogSerializer",
    "BlockIpSerializer",
    "IpBlockSerializer",
    "IpBlockedSerializer",
    "IpWhitelistSerializer",
    "IpWhitelistSetSerializer",
    "PrivacyExportSerializer",
    "ScopeListField",
]
