"""`GET /privacy/export` (semantics §12.6)."""

from rest_framework import serializers


class PrivacyExportSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    generated_at = serializers.DateTimeField()
    owner = serializers.DictField(help_text="username, email, date_joined")
    records = serializers.DictField(
        child=serializers.ListField(child=serializers.DictField()),
        help_text="Every record of the owner, by kind: agents (with task and result), "
        "api_keys (never a secret), usage (the ledger), events, audit_log, and the pricing "
        "records it made.",
    )
