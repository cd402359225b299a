"""`/security/ip-whitelist` and `/security/block-ip`, `/security/blocks` bodies (§12.2, §12.3)."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from security.models import IpBlock


class AddressListField(serializers.ListField):
    """CIDRs or single addresses; in a form body repeated, comma-separated, or a JSON array."""

    child = serializers.CharField(max_length=64, trim_whitespace=True)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [s.strip() for s in data.split(",") if s.strip()]
        return super().to_internal_value(data)

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            values = dictionary.getlist(self.field_name)
            return values[0] if len(values) == 1 else values
        return super().get_value(dictionary)


class IpWhitelistSetSerializer(serializers.Serializer):
    allowed_ips = AddressListField(
        allow_empty=True,
        max_length=1000,
        help_text="CIDRs or single IPs, v4 or v6 (192.168.1.0/24, 203.0.113.45, 2001:db8::/32).",
    )
    enforce = serializers.BooleanField(
        help_text="Refuse every other address (403) on every route but /health."
    )
    log_violations = serializers.BooleanField(
        default=True,
        help_text="Record each refused address (once a minute) as a security.violation; with "
        "enforce false, record without refusing.",
    )


class IpWhitelistSerializer(serializers.Serializer):
    """The saved allowlist, the environment's, and the caller's own address."""

    allowed_ips = serializers.ListField(child=serializers.CharField())
    enforce = serializers.BooleanField()
    log_violations = serializers.BooleanField()
    environment_ips = serializers.SerializerMethodField(
        help_text="J1MSKY_ALLOWED_IPS: always allowed, and enforced whenever set."
    )
    enforced = serializers.SerializerMethodField(
        help_text="Whether addresses outside the allowlist are refused now."
    )
    your_ip = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = serializers.CharField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_environment_ips(self, row) -> list[str]:
        return list(settings.J1MSKY_ALLOWED_IPS)

    def get_enforced(self, row) -> bool:
        return bool(settings.J1MSKY_ALLOWED_IPS) or row.enforce

    def get_your_ip(self, row) -> str:
        return self.context["your_ip"]


class BlockIpSerializer(serializers.Serializer):
    ip = serializers.CharField(max_length=64, help_text="An address or a CIDR network.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    duration_hours = serializers.IntegerField(
        min_value=1, max_value=87_600, default=24, help_text="1 hour to 10 years; default 24."
    )


class IpBlockSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()

    class Meta:
        model = IpBlock
        fields = [
            "block_id",
            "network",
            "reason",
            "status",
            "created_at",
            "created_by",
            "expires_at",
            "lifted_at",
            "lifted_by",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(help_text="active, expired or lifted"))
    def get_status(self, block) -> str:
        return block.status(timezone.now())


class IpBlockedSerializer(IpBlockSerializer):
    success = serializers.SerializerMethodField()

    class Meta(IpBlockSerializer.Meta):
        fields = ["success", *IpBlockSerializer.Meta.fields]
        read_only_fields = fields

    def get_success(self, block) -> bool:
        return True
