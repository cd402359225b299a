"""`/security/audit` and `/security/audit/logs` bodies (semantics §12.5)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from j1msky.api.fields import CatalogueText
from security.models import AuditLog, AuditSetting
from security.services import audit_events


class EventListField(serializers.ListField):
    """Audit event names the apps registered (the schema lists them as the items' enum); null
    for every one of them."""

    child = CatalogueText(catalogue=audit_events, max_length=64)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [s.strip() for s in data.split(",") if s.strip()]
        events = super().to_internal_value(data)
        known = audit_events()
        unknown = [e for e in events if e not in known]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown event: {unknown[0]}. Known: {', '.join(known)}"
            )
        return events

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            values = dictionary.getlist(self.field_name)
            return values[0] if len(values) == 1 else values
        return super().get_value(dictionary)


class AuditConfigSetSerializer(serializers.Serializer):
    """Every field optional: what is left out keeps its value."""

    enabled = serializers.BooleanField(required=False)
    log_level = serializers.ChoiceField(choices=AuditSetting.Level.choices, required=False)
    retention_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    include_request_body = serializers.BooleanField(required=False)
    include_response_body = serializers.BooleanField(required=False)
    events = EventListField(
        required=False,
        allow_empty=True,
        allow_null=True,
        help_text="The events to record (null: every known event).",
    )


class AuditConfigSerializer(serializers.ModelSerializer):
    events = serializers.SerializerMethodField(
        help_text="The events recorded (every known event unless a list was configured)."
    )
    known_events = serializers.SerializerMethodField()

    class Meta:
        model = AuditSetting
        fields = [
            "enabled",
            "log_level",
            "retention_days",
            "include_request_body",
            "include_response_body",
            "events",
            "known_events",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_events(self, config) -> list[str]:
        return audit_events() if config.events is None else list(config.events)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_known_events(self, config) -> list[str]:
        return audit_events()


class AuditResourceSerializer(serializers.Serializer):
    type = serializers.CharField(allow_null=True)
    id = serializers.CharField(allow_null=True)


class AuditLogSerializer(serializers.ModelSerializer):
    """One entry in the reference's shape, with its id and who acted."""

    api_key_id = serializers.SerializerMethodField()
    resource = serializers.SerializerMethodField()
    details = serializers.DictField(read_only=True)

    class Meta:
        model = AuditLog
        fields = [
            "id",
            "timestamp",
            "event",
            "severity",
            "api_key_id",
            "actor",
            "ip_address",
            "user_agent",
            "request_id",
            "resource",
            "details",
        ]
        read_only_fields = fields

    def get_api_key_id(self, row) -> str | None:
        return row.api_key_id or None

    @extend_schema_field(AuditResourceSerializer(allow_null=True))
    def get_resource(self, row):
        if not row.resource_type and not row.resource_id:
            return None
        return {"type": row.resource_type or None, "id": row.resource_id or None}
