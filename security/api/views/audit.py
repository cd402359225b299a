"""`/security/audit` (the configuration) and `/security/audit/logs` (semantics §12.5).

The configuration is system-wide: changing it needs a staff owner's key. The log is append-only:
no route writes or deletes a row. A staff owner's key reads every row, any other the rows
about its own owner.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.response import Response

from j1msky.api.views import ApiView, ListViewSet
from security.api.serializers import (
    AuditConfigSerializer,
    AuditConfigSetSerializer,
    AuditLogSerializer,
)
from security.filtersets import AuditLogFilterSet
from security.selectors import audit_log_list
from security.services import audit_setting_get, audit_setting_set


class AuditConfigView(ApiView):
    required_scope = "admin:write"
    system_wide_methods = ("POST",)

    @extend_schema(summary="The audit configuration", responses=AuditConfigSerializer)
    def get(self, request):
        return Response(AuditConfigSerializer(audit_setting_get()).data)

    @extend_schema(
        summary="Configure the audit log",
        description="Fields left out keep their value. `log_level`: `minimal` keeps security "
        "violations, configuration changes and key lifecycle events only; `standard` every "
        "listed event, `api.key.used` once a minute per key; `verbose` `api.key.used` for every "
        "request, with the request and response bodies when asked (secrets redacted, PII "
        "masked). A change of this configuration is always recorded.",
        request=AuditConfigSetSerializer,
        responses=AuditConfigSerializer,
    )
    def post(self, request):
        params = AuditConfigSetSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        config = audit_setting_set(actor_key=request.auth, **params.validated_data)
        return Response(AuditConfigSerializer(config).data)


@extend_schema_view(list=extend_schema(summary="Audit log entries, newest first"))
class AuditLogViewSet(ListViewSet):
    required_scope = "admin:write"
    serializer_class = AuditLogSerializer
    filterset_class = AuditLogFilterSet
    default_sort = "-timestamp"

    def get_queryset(self):
        return audit_log_list(owner=self.request.user)
