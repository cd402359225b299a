"""`/keys` request and response bodies (semantics §12.1, §12.4)."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from j1msky.api.fields import Text
from j1msky.api.permissions import SCOPES
from security.models import ApiKey


class ScopeListField(serializers.ListField):
    """A list of scopes, or one comma-separated string (handy in form bodies)."""

    child = serializers.ChoiceField(choices=list(SCOPES))

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [s.strip() for s in data.split(",") if s.strip()]
        elif hasattr(data, "getlist"):
            data = data.getlist(self.field_name)
        return super().to_internal_value(data)

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            values = dictionary.getlist(self.field_name)
            return values[0] if len(values) == 1 else values
        return super().get_value(dictionary)


class ApiKeySerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    rotated_from = serializers.SlugRelatedField(
        slug_field="key_id", read_only=True, allow_null=True
    )
    created_by = serializers.SlugRelatedField(
        slug_field="key_id",
        read_only=True,
        allow_null=True,
        help_text="The key whose request created this one; null when made in the admin.",
    )
    has_signing_secret = serializers.SerializerMethodField()

    def get_has_signing_secret(self, key) -> bool:
        return key.signing_secret is not None

    class Meta:
        model = ApiKey
        fields = [
            "key_id",
            "name",
            "prefix",
            "scopes",
            "status",
            "created_at",
            "expires_at",
            "revoked_at",
            "revoked_reason",
            "rotated_from",
            "created_by",
            "last_used_at",
            "last_used_ip",
            "daily_budget",
            "max_concurrent_agents",
            "has_signing_secret",
            "require_signature",
            "suspended_at",
            "suspended_reason",
        ]
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    """A new key with its secret (`context["secret"]`), shown only this once."""

    success = serializers.SerializerMethodField()
    key = serializers.SerializerMethodField(
        help_text="The secret. Shown only this once: null in an Idempotency-Key replay.",
    )
    signing_secret = serializers.SerializerMethodField(
        help_text="The key's request-signing secret, when it has one. Shown only this once: "
        "null in an Idempotency-Key replay.",
    )

    class Meta(ApiKeySerializer.Meta):
        fields = ["success", "key", "signing_secret", *ApiKeySerializer.Meta.fields]
        read_only_fields = fields

    def get_success(self, key) -> bool:
        return True

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_key(self, key) -> str | None:
        return self.context.get("secret")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_signing_secret(self, key) -> str | None:
        return key.signing_secret


class ApiKeyCreateSerializer(serializers.Serializer):
    name = Text(max_length=100)
    scopes = ScopeListField(allow_empty=False, min_length=1)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    expires_in_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)
    daily_budget = serializers.DecimalField(
        max_digits=14, decimal_places=4, min_value=0, required=False, allow_null=True
    )
    max_concurrent_agents = serializers.IntegerField(
        min_value=1, max_value=1000, required=False, default=10
    )
    signing_secret = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Issue a request-signing secret with the key (returned once).",
    )
    require_signature = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Refuse the key's unsigned requests (implies signing_secret).",
    )

    def validate(self, attrs):
        days = attrs.pop("expires_in_days", None)
        if days is not None:
            if attrs.get("expires_at"):
                raise serializers.ValidationError(
                    {"expires_in_days": ["Give expires_at or expires_in_days, not both"]}
                )
            attrs["expires_at"] = timezone.now() + timedelta(days=days)
        expires_at = attrs.get("expires_at")
        if expires_at and expires_at <= timezone.now():
            raise serializers.ValidationError({"expires_at": ["Must be in the future"]})
        return attrs


class ApiKeyRevokeSerializer(serializers.Serializer):
    reason = Text(max_length=200, required=False, allow_blank=True, default="")
    notify_user = serializers.BooleanField(required=False, default=False)
    revoke_descendants = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also revoke every key this key created, and the keys they created.",
    )


class ApiKeyRotateSerializer(serializers.Serializer):
    grace_hours = serializers.IntegerField(min_value=0, max_value=720, required=False, default=24)


class ApiKeyRevokedSerializer(serializers.ModelSerializer):
    """A revoked key, and the descendants revoked with it (`context["descendants"]`)."""

    success = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()
    revoked_descendants = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = ["success", "message", "key_id", "revoked_at", "revoked_descendants"]
        read_only_fields = fields

    def get_success(self, key) -> bool:
        return True

    def get_message(self, key) -> str:
        return f"API key {key.key_id} revoked"

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_revoked_descendants(self, key) -> list[str]:
        return [child.key_id for child in self.context.get("descendants", [])]


class ApiKeyRotatedSerializer(ApiKeyCreatedSerializer):
    """The new key of a rotation, with the old one's id and grace end (`context["previous"]`)."""

    previous_key_id = serializers.SerializerMethodField()
    previous_key_expires_at = serializers.SerializerMethodField()

    def get_previous_key_id(self, key) -> str:
        return self.context["previous"].key_id

    @extend_schema_field(serializers.DateTimeField())
    def get_previous_key_expires_at(self, key):
        expires_at = self.context["previous"].expires_at
        return serializers.DateTimeField().to_representation(expires_at)

    class Meta(ApiKeyCreatedSerializer.Meta):
        fields = [
            *ApiKeyCreatedSerializer.Meta.fields,
            "previous_key_id",
            "previous_key_expires_at",
        ]
        read_only_fields = fields
