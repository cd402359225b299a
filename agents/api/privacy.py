"""A spawn's `privacy` options and an agent's privacy as `GET /agent/{id}` shows it (§12.6)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.api.fields import JSONObjectField
from agents.services import PrivacyOptions
from j1msky.sealing import content_sealing_enabled


class PrivacyOptionsSerializer(serializers.Serializer):
    """A spawn's `privacy` (semantics §12.6)."""

    refuses_unknown_fields = True  # PrivacyField refuses an option it does not know

    detect_pii = serializers.BooleanField(
        default=False, help_text="Report the kinds of PII found in the task and the result."
    )
    mask_pii_in_logs = serializers.BooleanField(
        default=False, help_text="Mask PII in the agent's events, webhook payloads and audit rows."
    )
    encrypt_output = serializers.BooleanField(
        required=False,
        help_text="Content is sealed at rest whenever the server's J1MSKY_ENCRYPT_CONTENT is "
        "on (the default); true while it is off is 400.",
    )
    retention_days = serializers.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        help_text="Days the task and result are kept (default J1MSKY_RETENTION_DAYS, 30).",
    )


@extend_schema_field(PrivacyOptionsSerializer)
class PrivacyField(JSONObjectField):
    """`privacy`: an object (a JSON string in a form body) of `PrivacyOptionsSerializer`."""

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        options = PrivacyOptionsSerializer(data=data)
        unknown = sorted(set(data) - set(options.fields))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown privacy option: {unknown[0]}. Known: {', '.join(options.fields)}"
            )
        options.is_valid(raise_exception=True)
        return PrivacyOptions(**options.validated_data)


class AgentPrivacySerializer(serializers.Serializer):
    detect_pii = serializers.BooleanField()
    mask_pii_in_logs = serializers.BooleanField(source="mask_pii")
    pii_detected = serializers.ListField(child=serializers.CharField())
    encrypted = serializers.SerializerMethodField(
        help_text="Whether the server seals task and result at rest (J1MSKY_ENCRYPT_CONTENT)."
    )
    retention_days = serializers.IntegerField()
    content_expires_at = serializers.DateTimeField(allow_null=True)
    content_erased_at = serializers.DateTimeField(allow_null=True)

    def get_encrypted(self, agent) -> bool:
        return content_sealing_enabled()
