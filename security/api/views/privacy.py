"""`GET /privacy/export`: the caller's owner's records, all of them (semantics §12.6)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from j1msky.api.views import ApiView
from security.api.serializers import PrivacyExportSerializer
from security.exports import privacy_export
from security.services import audit_record


class PrivacyExportView(ApiView):
    required_scope = "agents:read"

    @extend_schema(
        summary="Export every record of the key's owner",
        description="Agents with their task and result (decrypted), keys (never a secret), "
        "usage, events, audit rows and pricing records. Audited as `privacy.export`.",
        responses=PrivacyExportSerializer,
    )
    def get(self, request):
        body = privacy_export(owner=request.user)
        audit_record(
            event="privacy.export",
            api_key=request.auth,
            resource_type="owner",
            resource_id=request.user.get_username()[:64],
            details={"sections": {name: len(rows) for name, rows in body["records"].items()}},
        )
        return Response(PrivacyExportSerializer(body).data)
